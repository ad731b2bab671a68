"""The task adapter contract (DESIGN.md, "Interfaces").

An adapter owns everything task-specific: loading splits as ``datasets.Dataset``, building
models from a spec, batching, the forward pass (returning a :class:`ModelOutput` that methods
understand), the task metric (with the per-sample predictions it was computed from, so anyone can
recompute it: ``distillbench report RUN --recompute``), and example inputs for speed measurement.
Nothing outside ``adapters/`` branches on the task.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import torch
from torch import nn

from distillbench.errors import ConfigError
from distillbench.types import Batch, DataSplits, ModelOutput

if TYPE_CHECKING:
    from datasets import Dataset

    from distillbench.config import MeasureConfig, TaskCard

__all__ = [
    "PREDICTIONS",
    "Batch",
    "DataSplits",
    "ModelOutput",
    "TaskAdapter",
    "example_rows",
    "grouped_order",
    "label_predictions",
    "pad_ids",
    "split_predictions",
]

#: the key of :meth:`TaskAdapter.evaluate`'s result that holds the per-sample predictions
PREDICTIONS = "predictions"


class TaskAdapter(ABC):
    """Base class of every task; subclasses register with ``@TASKS.register(name)``."""

    registry_name: ClassVar[str]
    #: primary quality metric, used for Δ and ranking
    metric: ClassVar[str]
    #: every metric the adapter reports -> whether higher is better
    metrics: ClassVar[dict[str, bool]]
    #: the range the primary metric's values lie in (accuracy: 0-1; BLEU: 0-100)
    metric_range: ClassVar[tuple[float, float]] = (0.0, 1.0)
    #: what one sample is, for throughput ("images/s")
    sample_unit: ClassVar[str] = "samples"

    def __init__(self, card: TaskCard) -> None:
        self.card = card

    @abstractmethod
    def load_data(self, smoke: bool = False) -> DataSplits:
        """Load train/val/test (a small slice of each when ``smoke``)."""

    @abstractmethod
    def build_model(self, spec: str, data: DataSplits) -> nn.Module:
        """Build a model from a model spec, sized for ``data`` (classes, channels)."""

    @abstractmethod
    def batches(self, ds: Dataset, batch_size: int, shuffle: bool = False, seed: int = 0) -> Iterator[Batch]:
        """Yield batches of tensors (on CPU) from a split.

        Every batch holds ``"index"``: a long tensor of each sample's row index in ``ds``, so methods and the
        training loop can look things up per sample (cached teacher outputs, memory banks); models never read it.
        """

    def train_batches(self, ds: Dataset, cfg: Any, seed: int = 0, epoch: int = 0, views: Any = None) -> Iterator[Batch]:
        """The training loop's shuffled batches for epoch ``epoch`` under train config ``cfg`` (a TrainConfig).

        Default: :meth:`batches` shuffled with ``seed``; ``views`` (recorded augmentation views) is for adapters
        that augment. Adapters that support ``cfg.augment`` override it
        (image_classification); elsewhere a non-empty ``augment`` is a config error, never silently ignored.
        """
        if cfg.augment is not None:
            raise ConfigError(f"task {self.card.task!r} does not support 'augment' (only image_classification does)")
        return self.batches(ds, cfg.batch_size, shuffle=True, seed=seed)

    @abstractmethod
    def forward(self, model: nn.Module, batch: Batch) -> ModelOutput:
        """Run the model on a batch; set ``loss`` when the batch has targets."""

    @abstractmethod
    def evaluate(self, model: nn.Module, ds: Dataset, device: torch.device, autocast: Any) -> dict[str, Any]:
        """Task metrics on a split (the model is already in eval mode on ``device``), plus its predictions.

        Under :data:`PREDICTIONS` the dict holds one JSON-able dict per sample of ``ds``, in order:
        ``{"id": ..., "reference": ..., "prediction": ...}`` and whatever else recomputing every metric
        of the dict with the public libraries needs (e.g. detection scores). The worker pops the list
        (:func:`split_predictions`) and saves it beside the results; it is never part of the record.
        """

    @abstractmethod
    def example_inputs(self, data: DataSplits, batch_size: int) -> Batch:
        """A realistic input batch of ``batch_size`` samples for speed measurement."""

    def infer(self, model: nn.Module, inputs: Batch) -> Any:
        """The pass that speed measurement times (inference only). Default: ``model(inputs['x'])``."""
        return model(inputs["x"])

    def describe_inputs(self, data: DataSplits) -> str:
        """One line saying what a sample is for speed figures (resolution, sequence length, ...)."""
        return self.sample_unit

    def measure_config(self, cfg: MeasureConfig) -> MeasureConfig:
        """The suite's measurement protocol as this task applies it (default: unchanged).

        A task may only narrow it (e.g. cap the throughput batch sizes); the config actually used is
        recorded with every result under ``speed.protocol``.
        """
        return cfg

    def speed_extras(self, data: DataSplits, speed: dict[str, Any]) -> dict[str, Any]:
        """Task-specific speed figures derived from the measured ones (e.g. tokens/s); default: none."""
        return {}

    def extra_speed(
        self, model: nn.Module, data: DataSplits, cfg: MeasureConfig, device: torch.device, speed: dict[str, Any]
    ) -> dict[str, Any]:
        """Further task-specific speed passes on the measured model (e.g. beam search); default: none."""
        return {}

    def teacher_targets(
        self, teacher: nn.Module, data: DataSplits, cache_path: str, device: torch.device, shipped: Path | None = None
    ) -> DataSplits:
        """The splits with training targets generated by the teacher (sequence-level KD); cached by the adapter
        (a copy shipped beside the teacher artifact, in ``shipped``, is used instead of generating them)."""
        from distillbench.errors import ConfigError

        raise ConfigError(f"task {self.registry_name!r} has no teacher-generated targets (used by seq_kd methods)")


def split_predictions(out: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """``(metrics, predictions)`` of an :meth:`TaskAdapter.evaluate` result (an adapter without predictions: [])."""
    metrics = dict(out)
    return metrics, list(metrics.pop(PREDICTIONS, None) or [])


def label_predictions(y_true: np.ndarray, y_pred: np.ndarray) -> list[dict[str, int]]:
    """Classification predictions: ``{"id": row in the split, "reference": true class, "prediction": predicted}``."""
    return [
        {"id": i, "reference": int(t), "prediction": int(p)}
        for i, (t, p) in enumerate(zip(y_true.tolist(), y_pred.tolist(), strict=True))
    ]


def example_rows(lengths: Sequence[int], batch_size: int, latency_rows: int) -> list[int]:
    """Test rows for the speed inputs of variable-length tasks, seeded by the batch size.

    Batch 1 (latency): ``latency_rows`` rows for the latency pass to cycle through, the median-length
    row first (so a single batch-1 call, e.g. FLOP counting, sees a typical row); otherwise
    ``batch_size`` random rows (drawn with replacement only when the split is smaller).
    """
    rng = np.random.default_rng(batch_size)
    n = len(lengths)
    if batch_size == 1:
        picks = sorted(rng.choice(n, size=latency_rows, replace=n < latency_rows).tolist(), key=lambda i: lengths[i])
        return picks[len(picks) // 2 :] + picks[: len(picks) // 2]
    return rng.choice(n, size=batch_size, replace=n < batch_size).tolist()


def pad_ids(seqs: list[list[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Token-id lists -> right-padded ``(ids, attention_mask)`` long tensors, as wide as the longest."""
    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, : len(s)] = torch.as_tensor(s, dtype=torch.long)
        mask[i, : len(s)] = 1
    return ids, mask


#: batches per length-sorted mega-batch in :func:`grouped_order`
GROUP_BATCHES = 50


def grouped_order(lengths: list[int], batch_size: int, seed: int) -> list[list[int]]:
    """Random training batches of similar lengths (less padding), as HF Trainer's ``group_by_length``.

    A seeded permutation is cut into mega-batches of ``GROUP_BATCHES`` batches; each mega-batch is
    sorted by length and cut into batches, and the order of all batches is shuffled. Every sample
    appears once per epoch; which samples share a batch stays random.
    """
    rng = np.random.default_rng(seed)
    perm = rng.permutation(len(lengths))
    size = batch_size * GROUP_BATCHES
    batches: list[list[int]] = []
    for start in range(0, len(perm), size):
        chunk = sorted(perm[start : start + size].tolist(), key=lambda i: lengths[i])
        batches.extend(chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size))
    return [batches[i] for i in rng.permutation(len(batches))]
