"""The PocketSphinx teacher of tasks/speech-pocketsphinx.yaml on the speech card's full test (and val) split:
WER overall and per noise level (the project's normaliser + jiwer, and plain jiwer on lower-cased text), and
the wall time of building the decoder and of decoding, on one core. Run under the CPU lock (README.md)."""

import json
import sys
import time

import jiwer
import numpy as np

from distillbench.adapters.asr_metrics import error_rates
from distillbench.config import load_card
from distillbench.registry import TASKS

card = load_card("speech-pocketsphinx")
adapter = TASKS.get(card.task)(card)
t0 = time.perf_counter()
data = adapter.load_data()
t_data = time.perf_counter() - t0
t0 = time.perf_counter()
teacher = adapter.build_model(card.teacher.model, data)
t_build = time.perf_counter() - t0
out = {"data_version": data.info["version"], "sizes": data.sizes(), "load_data_s": t_data, "build_s": t_build,
       "teacher": teacher.info}
for split in ("test", "val"):
    ds = getattr(data, split)
    audio = ds.with_format("numpy")["audio"]
    refs = list(ds["text"])
    t0 = time.perf_counter()
    hyps = [teacher.transcribe(a) for a in audio]
    secs = time.perf_counter() - t0
    audio_s = sum(len(a) for a in audio) / 16000
    meta = {r["id"]: r for r in map(json.loads, open(f"{data.info['path']}/meta.jsonl"))}
    snr = [meta[i]["snr_db"] for i in ds["id"]]  # the noise level each utterance was synthesised with
    res = {"n": len(refs), "decode_s": secs, "audio_s": audio_s, "rtf": secs / audio_s,
           "project": {k: v for k, v in error_rates(refs, hyps).items() if k in ("wer", "cer", "wer_ci95")},
           "jiwer_lower": jiwer.wer([r.lower() for r in refs], [h.lower() for h in hyps]),
           "empty_hypotheses": sum(1 for h in hyps if not h.strip()), "by_snr": {}}
    for level in sorted({s for s in snr if s is not None}, reverse=True) + [None]:
        idx = [i for i, s in enumerate(snr) if s == level]
        name = "clean" if level is None else f"{level:g} dB"
        res["by_snr"][name] = {"n": len(idx), "jiwer_lower": jiwer.wer([refs[i].lower() for i in idx],
                                                                     [hyps[i].lower() for i in idx])}
    res["examples"] = [{"ref": r, "hyp": h} for r, h in list(zip(refs, hyps))[:5]]
    out[split] = res
json.dump(out, sys.stdout, indent=1, default=str)
print()
