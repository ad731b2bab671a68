"""Sentiment classification of short texts: accuracy and macro-F1 on a held-out test split.

Texts are tokenised once with the teacher's tokeniser (students share its vocabulary), truncated to
``max_length`` tokens (a data option, recorded in the data info and the results). Batches are padded
dynamically to the longest sequence in the batch. Training batches are random but grouped by
length (:func:`~distillbench.adapters.base.grouped_order`, as HF Trainer's ``group_by_length``), evaluation batches are
length-sorted (which changes no prediction, only the padding work). Metrics use scikit-learn; the
accuracy's 95% interval is a percentile bootstrap over test sentences (Efron & Tibshirani 1993).
Predictions: per sentence its row index in the split, the true and the predicted label index.

Speed is measured on the real length distribution: the throughput batch is a seeded random sample
of test sentences (dynamic padding), and the batch-1 latency pass cycles through 64 sampled test
sentences, each unpadded, so p50/p90/p99 reflect sentence lengths; the pack starts with its
median-length sentence, which is what the single batch-1 call that counts FLOPs sees (MFLOPs/sample
is that of a median-length test sentence). Throughput is reported in
sequences/s and, via the mean number of real (non-padding) tokens, in tokens/s. Throughput batches
are capped at ``MAX_THROUGHPUT_BATCH`` sequences, so measuring a 22M-parameter encoder on a CPU takes
seconds, not minutes.

The teacher's test evaluation also fits the sanity floor on the same split: TF-IDF (word 1-2
grams, sublinear tf) + logistic regression, C chosen on the validation split; it is recorded under
``quality["reference"]["tfidf_lr"]`` and as ``quality["tfidf_lr_accuracy"]``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from distillbench.adapters.base import (
    GROUP_BATCHES,
    PREDICTIONS,
    Batch,
    DataSplits,
    ModelOutput,
    TaskAdapter,
    example_rows,
    grouped_order,
    label_predictions,
    pad_ids,
)
from distillbench.data.base import build_source
from distillbench.models.spec import build_model
from distillbench.registry import TASKS
from distillbench.stats import bootstrap_ci

MAX_THROUGHPUT_BATCH = 32
DEFAULT_MAX_LENGTH = 64
LATENCY_SENTENCES = 64
EVAL_BATCH = 128
#: training batches are grouped by length within random mega-batches of this many batches
TFIDF_C_GRID = (1.0, 3.0, 10.0, 30.0)


@TASKS.register("sentiment")
class SentimentClassification(TaskAdapter):
    """Sentence-level sentiment (positive / negative, or any classes the data source defines)."""

    metric = "accuracy"
    metrics: ClassVar[dict[str, bool]] = {"accuracy": True, "macro_f1": True}
    sample_unit = "sequences"

    def __init__(self, card: Any) -> None:
        super().__init__(card)
        self._ids: dict[int, tuple[list[list[int]], torch.Tensor]] = {}
        self._pad = 0
        self._max_length = DEFAULT_MAX_LENGTH
        self._teachers: set[int] = set()
        self._data: DataSplits | None = None
        self._cycle = 0

    # ------------------------------------------------------------------ data and models

    def load_data(self, smoke: bool = False) -> DataSplits:
        from distillbench.config import SMOKE_MAX_SAMPLES
        from distillbench.models.hf_text import load_tokenizer, tokenizer_source

        source = build_source(self.card.data.source, self.card.data.options, where=f"{self.card.path} data.options")
        self._max_length = int(getattr(source.options, "max_length", DEFAULT_MAX_LENGTH))
        data = source.load(max_samples=SMOKE_MAX_SAMPLES if smoke else None)
        tok_source = tokenizer_source(self.card.teacher.model)
        self._tokenizer = load_tokenizer(tok_source)
        self._pad = int(self._tokenizer.pad_token_id or 0)
        for split in (data.train, data.val, data.test):
            self._tokenise(split)
        test_lengths = np.asarray([len(x) for x in self._ids[id(data.test)][0]])
        data.info.update(
            tokenizer=tok_source,
            vocab_size=len(self._tokenizer),
            pad_token_id=self._pad,
            max_length=self._max_length,
            padding=(
                "dynamic: each batch padded to its longest sequence; training batches grouped by length "
                f"within random mega-batches of {GROUP_BATCHES} batches, evaluation batches length-sorted"
            ),
            test_tokens_mean=float(test_lengths.mean()),
            test_tokens_p50=float(np.percentile(test_lengths, 50)),
            test_tokens_p90=float(np.percentile(test_lengths, 90)),
            truncated_share=float((test_lengths >= self._max_length).mean()),
        )
        data.info["version"] = f"{data.info['version']}-{tok_source}-len{self._max_length}"
        self._data = data
        return data

    def _tokenise(self, ds: Any) -> tuple[list[list[int]], torch.Tensor]:
        key = id(ds)
        if key not in self._ids:
            enc = self._tokenizer(list(ds["text"]), truncation=True, max_length=self._max_length)
            self._ids[key] = (enc["input_ids"], torch.as_tensor(np.asarray(ds["label"], dtype=np.int64)))
        return self._ids[key]

    def build_model(self, spec: str, data: DataSplits) -> nn.Module:
        info = data.info
        model = build_model(
            spec,
            num_classes=info["num_classes"],
            vocab_size=info["vocab_size"],
            pad_token_id=info["pad_token_id"],
            max_positions=max(512, info["max_length"]),
        )
        if spec == self.card.teacher.model:
            self._teachers.add(id(model))
        return model

    # ------------------------------------------------------------------ batches and forward

    def _pack(self, seqs: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        return pad_ids(seqs, self._pad)

    def batches(self, ds: Any, batch_size: int, shuffle: bool = False, seed: int = 0) -> Iterator[Batch]:
        seqs, labels = self._tokenise(ds)
        if shuffle:
            groups = grouped_order([len(s) for s in seqs], batch_size, seed)
        else:
            groups = [list(range(i, min(i + batch_size, len(seqs)))) for i in range(0, len(seqs), batch_size)]
        for idx in groups:
            ids, mask = self._pack([seqs[i] for i in idx])
            index = torch.as_tensor(idx, dtype=torch.long)  # the rows' indices in the split, for per-sample look-ups
            yield {"input_ids": ids, "attention_mask": mask, "labels": labels[idx], "index": index}

    def forward(self, model: nn.Module, batch: Batch) -> ModelOutput:
        logits = model(batch["input_ids"], batch["attention_mask"])
        loss = F.cross_entropy(logits.float(), batch["labels"]) if "labels" in batch else None
        return ModelOutput(logits=logits, loss=loss)

    def infer(self, model: nn.Module, inputs: Batch) -> Any:
        if "lengths" in inputs:  # the latency pack: one real, unpadded sentence per call, in turn
            i = self._cycle % inputs["input_ids"].shape[0]
            self._cycle += 1
            n = int(inputs["lengths"][i])
            return model(inputs["input_ids"][i : i + 1, :n], inputs["attention_mask"][i : i + 1, :n])
        return model(inputs["input_ids"], inputs["attention_mask"])

    # ------------------------------------------------------------------ quality

    @torch.inference_mode()
    def predict(self, model: nn.Module, ds: Any, device: torch.device, autocast: Any) -> tuple[np.ndarray, np.ndarray]:
        """Predicted and true labels of a split (length-sorted batches; the order is restored)."""
        seqs, labels = self._tokenise(ds)
        order = np.argsort([len(s) for s in seqs], kind="stable")
        preds = np.empty(len(seqs), dtype=np.int64)
        for start in range(0, len(order), EVAL_BATCH):
            idx = order[start : start + EVAL_BATCH]
            ids, mask = self._pack([seqs[i] for i in idx])
            with autocast():
                logits = model(ids.to(device), mask.to(device))
            preds[idx] = logits.argmax(dim=-1).cpu().numpy()
        return preds, labels.numpy()

    def evaluate(self, model: nn.Module, ds: Any, device: torch.device, autocast: Any) -> dict[str, Any]:
        from sklearn.metrics import accuracy_score, f1_score

        y_pred, y_true = self.predict(model, ds, device, autocast)
        lo, hi = bootstrap_ci((y_pred == y_true).astype(np.float64))
        out: dict[str, Any] = {
            "accuracy": float(accuracy_score(y_true, y_pred)),
            "macro_f1": float(f1_score(y_true, y_pred, average="macro", zero_division=0)),
            "accuracy_ci95": [lo, hi],
            "n_test": len(y_true),
            PREDICTIONS: label_predictions(y_true, y_pred),
        }
        if id(model) in self._teachers and self._data is not None and ds is self._data.test:
            ref = tfidf_reference(self._data)
            out["reference"] = {"tfidf_lr": ref}
            out["tfidf_lr_accuracy"] = ref["accuracy"]
        return out

    # ------------------------------------------------------------------ speed

    def example_inputs(self, data: DataSplits, batch_size: int) -> Batch:
        seqs, _ = self._tokenise(data.test)
        self._cycle = 0  # the next batch-1 call (e.g. FLOP counting after the throughput pass) takes row 0
        picks = example_rows([len(s) for s in seqs], batch_size, LATENCY_SENTENCES)
        ids, mask = self._pack([seqs[i] for i in picks])
        if batch_size == 1:
            return {"input_ids": ids, "attention_mask": mask, "lengths": mask.sum(1)}
        return {"input_ids": ids, "attention_mask": mask}

    def measure_config(self, cfg: Any) -> Any:
        sizes = [b for b in cfg.batch_sizes if b <= MAX_THROUGHPUT_BATCH] or [MAX_THROUGHPUT_BATCH]
        return dataclasses.replace(cfg, batch_sizes=sizes)

    def speed_extras(self, data: DataSplits, speed: dict[str, Any]) -> dict[str, Any]:
        batch = int(speed.get("throughput_batch_size") or 1)
        inputs = self.example_inputs(data, batch) if batch > 1 else None
        real = float(inputs["attention_mask"].sum()) / batch if inputs is not None else data.info["test_tokens_mean"]
        padded = float(inputs["attention_mask"].numel()) / batch if inputs is not None else real
        return {
            "tokens_per_sequence": real,
            "padded_tokens_per_sequence": padded,
            "tokens_per_s": speed["throughput"] * real,
            "max_length": data.info["max_length"],
            "padding": data.info["padding"],
        }

    def describe_inputs(self, data: DataSplits) -> str:
        i = data.info
        return (
            f"test sentences, {i['tokenizer']} tokeniser, truncated at {i['max_length']} tokens "
            f"(mean {i['test_tokens_mean']:.1f}, p90 {i['test_tokens_p90']:.0f}), dynamic padding to the longest "
            f"in the batch; batch-1 latency over {LATENCY_SENTENCES} unpadded sentences"
        )


def tfidf_reference(data: DataSplits) -> dict[str, Any]:
    """TF-IDF + logistic regression on the same split: C picked on validation, scored on test."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score

    vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1, lowercase=True)
    x_train = vec.fit_transform(data.train["text"])
    y_train = np.asarray(data.train["label"])
    x_val, y_val = vec.transform(data.val["text"]), np.asarray(data.val["label"])
    fits = {c: LogisticRegression(C=c, max_iter=2000).fit(x_train, y_train) for c in TFIDF_C_GRID}
    val_acc = {c: float(accuracy_score(y_val, m.predict(x_val))) for c, m in fits.items()}
    best = max(TFIDF_C_GRID, key=lambda c: (val_acc[c], -c))
    y_test = np.asarray(data.test["label"])
    pred = fits[best].predict(vec.transform(data.test["text"]))
    lo, hi = bootstrap_ci((pred == y_test).astype(np.float64))
    return {
        "accuracy": float(accuracy_score(y_test, pred)),
        "macro_f1": float(f1_score(y_test, pred, average="macro", zero_division=0)),
        "accuracy_ci95": [lo, hi],
        "val_accuracy": val_acc[best],
        "C": best,
        "features": "word 1-2 gram TF-IDF, sublinear tf",
    }
