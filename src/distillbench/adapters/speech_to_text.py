"""Speech to text: CTC acoustic models scored by word and character error rate (jiwer).

Samples are 16 kHz mono waveforms with normalised transcripts (``data/audio.py``). Batches hold
``audio`` (N, S) zero-padded to the longest utterance, ``audio_lengths``, ``targets`` (N, L) character
ids padded with the blank and ``target_lengths``. Training batches are random but grouped by length
(``adapters.base.grouped_order``), evaluation batches length-sorted. Models map (audio, lengths) to
(logits (N, T, V), frame lengths); the adapter returns the logits with a frame ``mask`` and the CTC
loss (Graves et al. 2006; ``F.ctc_loss``, mean over the batch of the per-utterance loss divided by its
target length, ``zero_infinity`` on), so ``kd`` distils frame-level posteriors and ``fitnet`` hidden
states unchanged. Evaluation: greedy CTC decoding, then WER/CER by jiwer with the stated normaliser
(``asr_metrics``); the teacher's record also carries the always-empty transcript's WER (100%) as a
reference row, and every model is also scored on the data source's real recorded test set when it has one
(``quality["real_test"]``, reported separately, never mixed into the synthetic test figures).
Predictions: per utterance its row, ``set`` (``main``, or ``real_test/<name>`` for a real test set) and the
normalised reference and hypothesis, exactly the strings jiwer scored.

Speed: throughput in utterances/s on a seeded sample of test utterances (padded to the longest in the
batch), also given as audio seconds processed per second and its inverse, the real-time factor (RTF);
batch-1 latency cycles through 32 test utterances, each unpadded, so p50/p90/p99 are per utterance, and
the batch-1 RTF is mean latency / mean duration of those utterances. Throughput batches are capped at
``MAX_THROUGHPUT_BATCH``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from distillbench.adapters.asr_metrics import error_rates, greedy_decode
from distillbench.adapters.base import PREDICTIONS, Batch, DataSplits, ModelOutput, TaskAdapter, grouped_order
from distillbench.data.audio import BLANK, NORMALISER, SAMPLE_RATE, VOCAB, encode, normalise
from distillbench.data.base import build_source
from distillbench.models.spec import build_model
from distillbench.registry import TASKS

MAX_THROUGHPUT_BATCH = 32
LATENCY_UTTERANCES = 32
EVAL_BATCH = 32


def pad_audio(clips: list[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
    """Zero-padded (N, S) float tensor and the lengths of a list of 1-D clips."""
    lengths = torch.as_tensor([len(c) for c in clips], dtype=torch.long)
    audio = torch.zeros(len(clips), int(lengths.max()))
    for i, c in enumerate(clips):
        audio[i, : len(c)] = torch.from_numpy(np.asarray(c, dtype=np.float32))
    return audio, lengths


@TASKS.register("speech_to_text")
class SpeechToText(TaskAdapter):
    """Character-level CTC speech recognition; lower WER is better."""

    metric = "wer"
    metrics: ClassVar[dict[str, bool]] = {"wer": False, "cer": False}
    sample_unit = "utterances"

    def __init__(self, card: Any) -> None:
        super().__init__(card)
        self._clips: dict[int, tuple[list[np.ndarray], list[list[int]], list[str]]] = {}
        self._teachers: set[int] = set()
        self._extra: dict[str, Any] = {}
        self._test: Any = None
        self._train: Any = None
        self._cycle = 0
        #: teacher logits per (split, utterance), memoised during one job (see ``forward``)
        self._memo: dict[tuple[int, int], torch.Tensor] = {}

    # ------------------------------------------------------------------ data and models

    def load_data(self, smoke: bool = False) -> DataSplits:
        from distillbench.config import SMOKE_MAX_SAMPLES

        source = build_source(self.card.data.source, self.card.data.options, where=f"{self.card.path} data.options")
        data = source.load(max_samples=SMOKE_MAX_SAMPLES if smoke else None)
        self._extra = data.info.pop("_extra_test", None) or {}
        durations = np.asarray([len(c) for c in self._split(data.test)[0]]) / SAMPLE_RATE
        train_s = sum(len(c) for c in self._split(data.train)[0]) / SAMPLE_RATE
        data.info.update(
            sample_rate=SAMPLE_RATE,
            vocabulary="".join(VOCAB[1:]),
            vocab_size=len(VOCAB),
            normaliser=data.info.get("normaliser", NORMALISER),
            train_audio_hours=train_s / 3600,
            test_seconds_mean=float(durations.mean()),
            test_seconds_p90=float(np.percentile(durations, 90)),
            extra_test={k: {"source": v["source"], "report": v["report"]} for k, v in self._extra.items()},
        )
        self._test, self._train = data.test, data.train
        return data

    def _split(self, ds: Any) -> tuple[list[np.ndarray], list[list[int]], list[str]]:
        key = id(ds)
        if key not in self._clips:
            table = ds.with_format("numpy")
            clips = [np.asarray(a, dtype=np.float32) for a in table["audio"]]
            texts = list(ds["text"])
            self._clips[key] = (clips, [encode(t) for t in texts], texts)
        return self._clips[key]

    def build_model(self, spec: str, data: DataSplits) -> nn.Module:
        if spec.startswith("hf:"):
            from distillbench.models.hf_speech import build_hf_ctc

            model = build_hf_ctc(spec)
        elif spec.startswith("pocketsphinx:"):  # black-box teacher: its language model reads the training text only
            model = build_model(spec, train_texts=self._split(data.train)[2])
        else:
            model = build_model(spec, vocab_size=len(VOCAB))
        if spec == self.card.teacher.model:
            self._teachers.add(id(model))
        return model

    # ------------------------------------------------------------------ batches and forward

    def _batch(self, ds: Any, idx: list[int]) -> Batch:
        clips, labels, _ = self._split(ds)
        audio, lengths = pad_audio([clips[i] for i in idx])
        t_len = torch.as_tensor([len(labels[i]) for i in idx], dtype=torch.long)
        targets = torch.full((len(idx), max(1, int(t_len.max()))), BLANK, dtype=torch.long)
        for row, i in enumerate(idx):
            targets[row, : len(labels[i])] = torch.as_tensor(labels[i], dtype=torch.long)
        index = torch.as_tensor(idx, dtype=torch.long)
        return {"audio": audio, "audio_lengths": lengths, "targets": targets, "target_lengths": t_len, "index": index}

    def batches(self, ds: Any, batch_size: int, shuffle: bool = False, seed: int = 0) -> Iterator[Batch]:
        clips = self._split(ds)[0]
        if shuffle:
            groups = grouped_order([len(c) for c in clips], batch_size, seed)
        else:
            groups = [list(range(i, min(i + batch_size, len(clips)))) for i in range(0, len(clips), batch_size)]
        for idx in groups:
            yield self._batch(ds, idx)

    def forward(self, model: nn.Module, batch: Batch) -> ModelOutput:
        memo = self._memoisable(model, batch)
        if memo and all((id(self._train), int(i)) in self._memo for i in batch["index"]):
            return self._from_memo(batch)
        logits, frames = model(batch["audio"], batch["audio_lengths"])
        mask = torch.arange(logits.shape[1], device=logits.device)[None] < frames[:, None]
        if memo:
            for row, i in enumerate(batch["index"].tolist()):
                self._memo[(id(self._train), i)] = logits[row, : int(frames[row])].detach().cpu()
        loss = None
        if "targets" in batch:
            loss = ctc_loss(logits, frames, batch["targets"], batch["target_lengths"])
        return ModelOutput(logits=logits, loss=loss, mask=mask)

    def _memoisable(self, model: nn.Module, batch: Batch) -> bool:
        """Teacher logits on training batches are memoised per utterance: the teacher is frozen, in eval mode and
        sees un-augmented audio, so its outputs never change within a job (up to padding: the convolutions see the
        zero padding near an utterance's end, so the memo holds its logits as padded in the first batch it was in;
        training batches are length-grouped, so that padding is small). Not when forward hooks read its features
        (they need the real forward pass) or gradients are on."""
        return (
            id(model) in self._teachers
            and not model.training
            and not torch.is_grad_enabled()
            and "index" in batch
            and self._train is not None
            and not any(m._forward_hooks for m in model.modules())
        )

    def _from_memo(self, batch: Batch) -> ModelOutput:
        rows = [self._memo[(id(self._train), int(i))] for i in batch["index"]]
        frames = torch.as_tensor([r.shape[0] for r in rows], device=batch["audio"].device)
        width = int(frames.max())  # the longest utterance sets the padded length, and all its frames are valid
        logits = torch.zeros(len(rows), width, rows[0].shape[-1], device=batch["audio"].device)
        for k, r in enumerate(rows):
            logits[k, : r.shape[0]] = r.to(logits.device)
        mask = torch.arange(width, device=logits.device)[None] < frames[:, None]
        return ModelOutput(logits=logits, loss=None, mask=mask)

    def infer(self, model: nn.Module, inputs: Batch) -> Any:
        if "latency_pack" in inputs:  # one real, unpadded utterance per call, in turn
            i = self._cycle % inputs["audio"].shape[0]
            self._cycle += 1
            n = int(inputs["audio_lengths"][i])
            return model(inputs["audio"][i : i + 1, :n], inputs["audio_lengths"][i : i + 1])
        return model(inputs["audio"], inputs["audio_lengths"])

    # ------------------------------------------------------------------ quality

    @torch.inference_mode()
    def transcribe(self, model: nn.Module, ds: Any, device: torch.device, autocast: Any) -> tuple[list[str], list[str]]:
        """(hypotheses, references) of a split, in its order (length-sorted batches, order restored)."""
        clips, _, texts = self._split(ds)
        if getattr(model, "blackbox", False):  # a black-box recogniser (PocketSphinx) returns transcripts itself
            return [model.transcribe(c) for c in clips], texts
        order = np.argsort([len(c) for c in clips], kind="stable")
        hyps = [""] * len(clips)
        for start in range(0, len(order), EVAL_BATCH):
            idx = order[start : start + EVAL_BATCH].tolist()
            audio, lengths = pad_audio([clips[i] for i in idx])
            with autocast():
                logits, frames = model(audio.to(device), lengths.to(device))
            for i, h in zip(idx, greedy_decode(logits.float(), frames), strict=True):
                hyps[i] = h
        return hyps, texts

    def evaluate(self, model: nn.Module, ds: Any, device: torch.device, autocast: Any) -> dict[str, Any]:
        hyps, refs = self.transcribe(model, ds, device, autocast)
        out = error_rates(refs, hyps)
        out["n_test"] = len(refs)
        out["examples"] = [{"ref": r, "hyp": h} for r, h in list(zip(refs, hyps, strict=True))[:5]]
        out[PREDICTIONS] = transcript_rows("main", refs, hyps)
        if ds is self._test:
            if id(model) in self._teachers:
                out["reference"] = {"empty_transcript": error_rates(refs, [""] * len(refs), bootstrap=False)}
            for name, extra in self._extra.items():
                h, r = self.transcribe(model, extra["data"], device, autocast)
                out.setdefault("real_test", {})[name] = {
                    **error_rates(r, h, bootstrap=False),
                    "n": len(r),
                    "examples": [{"ref": a, "hyp": b} for a, b in list(zip(r, h, strict=True))[:3]],
                }
                out[PREDICTIONS] += transcript_rows(f"real_test/{name}", r, h)
        return out

    # ------------------------------------------------------------------ speed

    def _pick(self, data: DataSplits, batch_size: int) -> list[int]:
        clips = self._split(data.test)[0]
        rng = np.random.default_rng(batch_size)
        n = LATENCY_UTTERANCES if batch_size == 1 else batch_size
        return rng.choice(len(clips), size=n, replace=len(clips) < n).tolist()

    def example_inputs(self, data: DataSplits, batch_size: int) -> Batch:
        clips = self._split(data.test)[0]
        self._cycle = 0
        picks = self._pick(data, batch_size)
        if batch_size == 1:  # utterance 0 of the pack is the median length (FLOPs are counted on it)
            picks = sorted(picks, key=lambda i: len(clips[i]))
            picks = picks[len(picks) // 2 :] + picks[: len(picks) // 2]
        audio, lengths = pad_audio([clips[i] for i in picks])
        batch = {"audio": audio, "audio_lengths": lengths}
        if batch_size == 1:
            batch["latency_pack"] = torch.ones(1)
        return batch

    def measure_config(self, cfg: Any) -> Any:
        sizes = [b for b in cfg.batch_sizes if b <= MAX_THROUGHPUT_BATCH] or [MAX_THROUGHPUT_BATCH]
        return dataclasses.replace(cfg, batch_sizes=sizes)

    def speed_extras(self, data: DataSplits, speed: dict[str, Any]) -> dict[str, Any]:
        clips = self._split(data.test)[0]
        batch = int(speed.get("throughput_batch_size") or 1)
        seconds = float(np.mean([len(clips[i]) for i in self._pick(data, batch)])) / SAMPLE_RATE
        lat_s = float(np.mean([len(clips[i]) for i in self._pick(data, 1)])) / SAMPLE_RATE
        audio_per_s = speed["throughput"] * seconds
        return {
            "audio_seconds_per_s": audio_per_s,
            "rtf": 1.0 / audio_per_s if audio_per_s > 0 else float("nan"),
            "rtf_batch_size": batch,
            "rtf_b1": speed["latency_mean_ms"] / 1e3 / lat_s if lat_s > 0 else float("nan"),
            "seconds_per_utterance": seconds,
        }

    def describe_inputs(self, data: DataSplits) -> str:
        i = data.info
        return (
            f"16 kHz test utterances (mean {i['test_seconds_mean']:.2f} s, p90 {i['test_seconds_p90']:.2f} s), "
            f"zero-padded to the longest in the batch; batch-1 latency over {LATENCY_UTTERANCES} unpadded utterances; "
            "log-mel front end included"
        )


def transcript_rows(name: str, refs: list[str], hyps: list[str]) -> list[dict[str, Any]]:
    """Prediction rows of one test set: the normalised reference and hypothesis per utterance."""
    return [
        {"id": i, "set": name, "reference": normalise(r), "prediction": normalise(h)}
        for i, (r, h) in enumerate(zip(refs, hyps, strict=True))
    ]


def ctc_loss(logits: torch.Tensor, frames: torch.Tensor, targets: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """CTC loss (Graves et al. 2006) of (N, T, V) logits: per utterance / target length, mean over the batch."""
    log_probs = F.log_softmax(logits.float(), dim=-1).transpose(0, 1)  # (T, N, V)
    return F.ctc_loss(log_probs, targets, frames, lengths, blank=BLANK, reduction="mean", zero_infinity=True)
