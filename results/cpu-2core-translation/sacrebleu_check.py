"""BLEU/chrF as distillbench computes them vs. the sacrebleu command line, on the cached teacher's real test output.

Usage: python sacrebleu_check.py <teacher cache .pt> <out folder>   (with DISTILLBENCH_CACHE set as for the run)
"""

import json
import subprocess
import sys
from pathlib import Path

import torch

from distillbench.adapters.translation import NUM_BEAMS
from distillbench.adapters.translation_metrics import score
from distillbench.config import load_card
from distillbench.registry import TASKS, load_components

load_components()
cache, out = Path(sys.argv[1]), Path(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)
card = load_card("translation")
adapter = TASKS.get("translation")(card)
data = adapter.load_data()
model = adapter.build_model(card.teacher.model, data)
model.load_state_dict(torch.load(cache, map_location="cpu", weights_only=True)["state_dict"])
model.eval()
hyps = adapter.tokenizer.decode(adapter.translate(model, data.test, torch.device("cpu"), NUM_BEAMS))
refs = list(data.test["target"])
(out / "teacher.test.hyp.es").write_text("\n".join(hyps) + "\n", encoding="utf-8")
(out / "test.ref.es").write_text("\n".join(refs) + "\n", encoding="utf-8")
ours = score(hyps, refs)
cli = Path(sys.executable).with_name("sacrebleu")
printed = {
    m: subprocess.run(
        [str(cli), str(out / "test.ref.es"), "-i", str(out / "teacher.test.hyp.es"), "-m", m, "-w", "4"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    for m in ("bleu", "chrf")
}
report = {"distillbench": {k: ours[k] for k in ("bleu", "chrf", "bleu_signature", "chrf_signature")}, "sacrebleu_cli": printed}
print(json.dumps(report, indent=1, ensure_ascii=False))
(out / "sacrebleu_check.json").write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
