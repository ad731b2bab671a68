"""Machine translation with encoder-decoder Transformers: sacreBLEU and chrF on a held-out test split.

Sentences are tokenised with one subword vocabulary shared by source and target, trained on the
training split (:mod:`distillbench.models.subword`, cached, recorded in the data info) — or with the
teacher's own tokeniser when the teacher is a pretrained ``hf:`` model. Sources and training/validation
targets longer than ``max_length`` tokens are truncated (kept: the first ``max_length - 1`` tokens and
``</s>``); the truncated sentences are counted per split in ``info["truncated"]``. Test references are
never truncated: BLEU is scored against the raw reference text.

Training: teacher forcing, cross-entropy with label smoothing ``LABEL_SMOOTHING`` (Szegedy et al. 2016)
over the target tokens; the forward pass returns per-token logits (N, T, V) with the target mask, so
word-level KD is the generic ``kd`` method (Kim & Rush 2016, sec. 3.1; Hinton et al. 2015). Sequence-level
KD (``seq_kd``) trains on the teacher's beam-search outputs: :meth:`teacher_targets` decodes the training
sources once and caches them beside the teacher.

Quality (:mod:`distillbench.adapters.translation_metrics`): detokenised hypotheses from beam search
(``NUM_BEAMS``) and from greedy decoding are scored with sacreBLEU (Post 2018) and chrF (Popović 2015),
with the sacrebleu signatures and bootstrap 95% intervals. Predictions: per test sentence its row, the
source, the raw reference, the beam hypothesis (``prediction``) and the greedy one (``greedy``). Speed:
greedy decoding is the primary throughput (sentences/s); beam search is a second pass at the same batch;
generated tokens/s for both; batch-1 latency p50/p90/p99 cycles through ``LATENCY_SENTENCES`` unpadded
test sentences.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from distillbench.adapters.base import (
    PREDICTIONS,
    Batch,
    DataSplits,
    ModelOutput,
    TaskAdapter,
    example_rows,
    grouped_order,
    pad_ids,
)
from distillbench.adapters.translation_metrics import copy_baseline, score
from distillbench.data.base import build_source
from distillbench.models.spec import build_model, parse_spec
from distillbench.registry import TASKS

NUM_BEAMS = 4
LENGTH_PENALTY = 1.0
LABEL_SMOOTHING = 0.1
MAX_THROUGHPUT_BATCH = 32
MAX_TIMED_ITERS = 10
LATENCY_SENTENCES = 32
EVAL_BATCH = 64
SMOKE_NEW_TOKENS = 4
SMOKE_EVAL = 16


def decode_settings(num_beams: int, max_new_tokens: int) -> dict[str, Any]:
    return {
        "num_beams": num_beams,
        "do_sample": False,
        "length_penalty": LENGTH_PENALTY,
        "max_new_tokens": max_new_tokens,
        "early_stopping": num_beams > 1,
    }


@TASKS.register("translation")
class Translation(TaskAdapter):
    """Sentence-level translation of a source language into a target language."""

    metric = "bleu"
    metrics: ClassVar[dict[str, bool]] = {"bleu": True, "chrf": True}
    metric_range = (0.0, 100.0)
    sample_unit = "sentences"

    def __init__(self, card: Any) -> None:
        super().__init__(card)
        self._ids: dict[int, tuple[list[list[int]], list[list[int]]]] = {}
        self._teachers: set[int] = set()
        self._data: DataSplits | None = None
        self._cycle = 0
        self._max_length = 64
        self._new_tokens = 64
        self._pretrained: dict[str, Any] = {}

    # ------------------------------------------------------------------ data, tokeniser, models

    def load_data(self, smoke: bool = False) -> DataSplits:
        from distillbench.config import SMOKE_MAX_SAMPLES
        from distillbench.models.subword import PretrainedTokenizer, train_or_load
        from distillbench.paths import default_cache_dir

        source = build_source(self.card.data.source, self.card.data.options, where=f"{self.card.path} data.options")
        data = source.load(max_samples=SMOKE_MAX_SAMPLES if smoke else None)
        if smoke:  # decoding dominates a smoke job: evaluate on a few sentences only
            data.val, data.test = (ds.select(range(min(len(ds), SMOKE_EVAL))) for ds in (data.val, data.test))
        self._max_length = int(data.info["max_length"])
        self._new_tokens = SMOKE_NEW_TOKENS if smoke else self._max_length
        spec = parse_spec(self.card.teacher.model)
        if spec.scheme == "hf":
            model, tok = self._load_pretrained(spec.name)
            self.tokenizer: Any = PretrainedTokenizer(tok, spec.name, int(model.config.decoder_start_token_id or 0))
        else:
            texts = list(data.train["source"]) + list(data.train["target"])
            version = f"{data.info['version']}-n{len(data.train)}"
            self.tokenizer = train_or_load(texts, int(data.info["vocab_size"]), version, default_cache_dir())
        truncated = {name: self._tokenise(ds) for name, ds in (("train", data.train), ("val", data.val))}
        truncated["test"] = self._tokenise(data.test)
        lengths = np.asarray([len(x) for x in self._ids[id(data.test)][0]])
        data.info.update(
            tokenizer=self.tokenizer.describe(),
            pad_token_id=self.tokenizer.pad_id,
            truncated=truncated,
            test_source_tokens_mean=float(lengths.mean()),
            test_source_tokens_p90=float(np.percentile(lengths, 90)),
            decoding={
                "beam": decode_settings(NUM_BEAMS, self._new_tokens),
                "greedy": decode_settings(1, self._new_tokens),
            },
            label_smoothing=LABEL_SMOOTHING,
        )
        data.info["version"] = f"{data.info['version']}-{self.tokenizer.describe().get('sha256', self.tokenizer.path)}"
        self._data = data
        return data

    def _tokenise(self, ds: Any) -> dict[str, int]:
        """Token ids of a split's sources and targets (cached per split); returns the truncation counts."""
        n = self._max_length
        src = self.tokenizer.encode(list(ds["source"]))
        tgt = self.tokenizer.encode(list(ds["target"]), target=True)
        counts = {"source": sum(len(s) > n for s in src), "target": sum(len(t) > n for t in tgt), "of": len(src)}
        eos = self.tokenizer.eos_id
        self._ids[id(ds)] = (
            [s if len(s) <= n else [*s[: n - 1], eos] for s in src],
            [t if len(t) <= n else [*t[: n - 1], eos] for t in tgt],
        )
        return counts

    def _load_pretrained(self, name: str) -> tuple[nn.Module, Any]:
        from distillbench.models.seq2seq import load_pretrained

        if name not in self._pretrained:
            self._pretrained[name] = load_pretrained(name)
        return self._pretrained[name]

    def build_model(self, spec: str, data: DataSplits) -> nn.Module:
        parsed = parse_spec(spec)
        if parsed.scheme == "hf":
            import copy

            model = copy.deepcopy(self._load_pretrained(parsed.name)[0])
        else:
            model = build_model(
                spec,
                vocab_size=self.tokenizer.vocab_size,
                pad_token_id=self.tokenizer.pad_id,
                eos_token_id=self.tokenizer.eos_id,
                decoder_start_token_id=self.tokenizer.decoder_start_id,
                max_positions=max(512, self._max_length + 2),
            )
        if spec == self.card.teacher.model:
            self._teachers.add(id(model))
        return model

    # ------------------------------------------------------------------ batches and forward

    def _pad(self, seqs: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        return pad_ids(seqs, self.tokenizer.pad_id)

    def batches(self, ds: Any, batch_size: int, shuffle: bool = False, seed: int = 0) -> Iterator[Batch]:
        if id(ds) not in self._ids:
            self._tokenise(ds)
        src, tgt = self._ids[id(ds)]
        if shuffle:
            groups = grouped_order([len(s) + len(t) for s, t in zip(src, tgt, strict=True)], batch_size, seed)
        else:
            groups = [list(range(i, min(i + batch_size, len(src)))) for i in range(0, len(src), batch_size)]
        for idx in groups:
            ids, mask = self._pad([src[i] for i in idx])
            labels, label_mask = self._pad([tgt[i] for i in idx])
            start = torch.full((len(idx), 1), self.tokenizer.decoder_start_id, dtype=torch.long)
            yield {
                "input_ids": ids,
                "attention_mask": mask,
                "labels": labels,
                "label_mask": label_mask,
                "decoder_input_ids": torch.cat([start, labels[:, :-1]], dim=1),
                "index": torch.as_tensor(idx, dtype=torch.long),  # the rows' indices in the split
            }

    def forward(self, model: nn.Module, batch: Batch) -> ModelOutput:
        logits = model(
            input_ids=batch["input_ids"],
            attention_mask=batch["attention_mask"],
            decoder_input_ids=batch["decoder_input_ids"],
        ).logits
        mask = batch["label_mask"].bool()
        loss = F.cross_entropy(logits.float()[mask], batch["labels"][mask], label_smoothing=LABEL_SMOOTHING)
        return ModelOutput(logits=logits, loss=loss, mask=mask)

    # ------------------------------------------------------------------ decoding and quality

    @torch.inference_mode()
    def translate(
        self, model: nn.Module, ds: Any, device: torch.device, num_beams: int, autocast: Any = None
    ) -> list[list[int]]:
        """Generated token ids (without the decoder start) for every source of a split, in order."""
        if id(ds) not in self._ids:
            self._tokenise(ds)
        src = self._ids[id(ds)][0]
        order = np.argsort([len(s) for s in src], kind="stable")
        out: list[list[int]] = [[] for _ in src]
        settings = decode_settings(num_beams, self._new_tokens)
        for start in range(0, len(order), EVAL_BATCH):
            idx = order[start : start + EVAL_BATCH]
            ids, mask = self._pad([src[i] for i in idx])
            ctx = autocast() if autocast is not None else torch.autocast("cpu", enabled=False)
            with ctx:
                gen = model.generate(input_ids=ids.to(device), attention_mask=mask.to(device), **settings)
            for row, i in zip(gen[:, 1:].tolist(), idx, strict=True):
                out[i] = [t for t in row if t != self.tokenizer.pad_id]
        return out

    def evaluate(self, model: nn.Module, ds: Any, device: torch.device, autocast: Any) -> dict[str, Any]:
        refs = list(ds["target"])
        ids = self.translate(model, ds, device, NUM_BEAMS, autocast)
        beam = self.tokenizer.decode(ids)
        out = score(beam, refs)
        total = sum(len(t) for t in ids)  # generated tokens (EOS included, as speed's tokens/s counts them)
        out["output_count"] = {"unit": "tokens", "per_sample": total / max(1, len(ids)), "total": total}
        out["decoding"] = decode_settings(NUM_BEAMS, self._new_tokens)
        out["n_test"] = len(refs)
        rows = [
            {"id": i, "source": s, "reference": r, "prediction": h}
            for i, (s, r, h) in enumerate(zip(ds["source"], refs, beam, strict=True))
        ]
        out[PREDICTIONS] = rows
        if self._data is not None and ds is self._data.test:
            greedy = self.tokenizer.decode(self.translate(model, ds, device, 1, autocast))
            g = score(greedy, refs)
            out.update(bleu_greedy=g["bleu"], chrf_greedy=g["chrf"], greedy=g)
            for row, h in zip(rows, greedy, strict=True):
                row["greedy"] = h
            out["examples"] = [
                {"source": s, "reference": r, "beam": h}
                for s, r, h in zip(ds["source"][:3], refs[:3], beam[:3], strict=True)
            ]
            if id(model) in self._teachers:
                out["reference"] = {"copy_source": copy_baseline(list(ds["source"]), refs)}
        return out

    def teacher_targets(
        self, teacher: nn.Module, data: DataSplits, cache_path: str, device: torch.device, shipped: Path | None = None
    ) -> DataSplits:
        """The training split with the teacher's beam-search outputs as targets (Kim & Rush 2016, sec. 3.2).

        Decoded once and cached as ``<teacher cache>.seqkd-<key>.json`` (token ids), keyed by the data
        version, the number of training pairs and the decoding settings; the returned split carries them. A copy
        shipped beside the teacher artifact (``shipped``: teachers/outputs.py) is copied in rather than decoded.
        """
        from distillbench.data.parallel import pair_dataset
        from distillbench.paths import locked
        from distillbench.teachers.outputs import fetch

        settings = decode_settings(NUM_BEAMS, self._new_tokens)
        key = hashlib.sha256(json.dumps([data.info["version"], len(data.train), settings]).encode()).hexdigest()[:12]
        path = Path(f"{cache_path}.seqkd-{key}.json")
        start = time.perf_counter()
        path.parent.mkdir(parents=True, exist_ok=True)  # a shipped teacher: nothing else was cached there yet
        with locked(path):  # a parallel job waits for the first one's decoding
            from_artifact = not path.is_file() and fetch(path, shipped)
            if path.is_file():
                ids, cached = json.loads(path.read_text()), True
            else:
                ids, cached = self.translate(teacher.to(device).eval(), data.train, device, NUM_BEAMS), False
                tmp = path.with_suffix(f".tmp{os.getpid()}")
                tmp.write_text(json.dumps(ids))
                os.replace(tmp, path)
        n = self._max_length
        eos = self.tokenizer.eos_id
        targets = [(t if t and t[-1] == eos else [*t, eos])[:n] for t in ids]
        targets = [t if t[-1] == eos else [*t[:-1], eos] for t in targets]
        train = pair_dataset(list(data.train["source"]), self.tokenizer.decode(ids))
        self._ids[id(train)] = (self._ids[id(data.train)][0], targets)
        info = dict(data.info)
        info["teacher_targets"] = {
            "path": str(path),
            "cached": cached,
            "shipped_with_teacher": from_artifact,
            "seconds": time.perf_counter() - start,
            "decoding": settings,
            "empty_outputs": sum(1 for t in ids if len(t) <= 1),
            "target_tokens_mean": float(np.mean([len(t) for t in targets])),
        }
        return DataSplits(train, data.val, data.test, info)

    # ------------------------------------------------------------------ speed

    def example_inputs(self, data: DataSplits, batch_size: int) -> Batch:
        src = self._ids[id(data.test)][0]
        self._cycle = 0  # the next batch-1 call (e.g. FLOP counting after the throughput pass) takes row 0
        picks = example_rows([len(s) for s in src], batch_size, LATENCY_SENTENCES)
        ids, mask = self._pad([src[i] for i in picks])
        if batch_size == 1:
            return {"input_ids": ids, "attention_mask": mask, "lengths": mask.sum(1)}
        return {"input_ids": ids, "attention_mask": mask}

    def infer(self, model: nn.Module, inputs: Batch, num_beams: int = 1) -> Any:
        settings = decode_settings(num_beams, self._new_tokens)
        if "lengths" in inputs:  # the latency pack: one real, unpadded sentence per call, in turn
            i = self._cycle % inputs["input_ids"].shape[0]
            self._cycle += 1
            n = int(inputs["lengths"][i])
            return model.generate(
                input_ids=inputs["input_ids"][i : i + 1, :n],
                attention_mask=inputs["attention_mask"][i : i + 1, :n],
                **settings,
            )
        return model.generate(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"], **settings)

    def measure_config(self, cfg: Any) -> Any:
        sizes = [b for b in cfg.batch_sizes if b <= MAX_THROUGHPUT_BATCH] or [MAX_THROUGHPUT_BATCH]
        return dataclasses.replace(
            cfg, batch_sizes=sizes, min_iters=min(cfg.min_iters, MAX_TIMED_ITERS), warmup_iters=min(cfg.warmup_iters, 2)
        )

    def extra_speed(
        self, model: nn.Module, data: DataSplits, cfg: Any, device: torch.device, speed: dict[str, Any]
    ) -> dict[str, Any]:
        """Generated tokens/s for greedy decoding, and beam search timed with the same protocol and batch."""
        from distillbench import measure

        batch = int(speed.get("throughput_batch_size") or 1)
        out: dict[str, Any] = {
            "decoding": {
                "greedy": decode_settings(1, self._new_tokens),
                "beam": decode_settings(NUM_BEAMS, self._new_tokens),
            }
        }
        model.eval()
        with torch.inference_mode(), measure.fixed_threads(cfg.threads):
            inputs = {k: v.to(device) for k, v in self.example_inputs(data, batch).items()}
            tokens = {
                b: float((self.infer(model, inputs, b)[:, 1:] != self.tokenizer.pad_id).sum()) / batch
                for b in (1, NUM_BEAMS)
            }
            beam_cfg = dataclasses.replace(cfg, batch_sizes=[batch])
            thr = measure.measure_throughput(lambda _b: lambda: self.infer(model, inputs, NUM_BEAMS), device, beam_cfg)
            one = {k: v.to(device) for k, v in self.example_inputs(data, 1).items()}
            lat = measure.measure_latency(lambda: self.infer(model, one, NUM_BEAMS), device, cfg)
        out.update(
            generated_tokens_per_sentence=tokens[1],
            tokens_per_s=speed["throughput"] * tokens[1],
            beam={
                "num_beams": NUM_BEAMS,
                "throughput": thr["throughput"],
                "throughput_batch_size": thr["throughput_batch_size"],
                "throughput_spread_pct": thr["throughput_spread_pct"],
                "generated_tokens_per_sentence": tokens[NUM_BEAMS],
                "tokens_per_s": thr["throughput"] * tokens[NUM_BEAMS],
                **{k: lat[k] for k in ("latency_p50_ms", "latency_p90_ms", "latency_p99_ms", "latency_iters")},
            },
        )
        return out

    def describe_inputs(self, data: DataSplits) -> str:
        i = data.info
        return (
            f"test sentences ({i['test_source_tokens_mean']:.1f} source tokens on average, p90 "
            f"{i['test_source_tokens_p90']:.0f}, truncated at {i['max_length']}), greedy decoding (beam {NUM_BEAMS} "
            f"under speed.beam), at most {self._new_tokens} new tokens; batch-1 latency over {LATENCY_SENTENCES} "
            "unpadded sentences"
        )
