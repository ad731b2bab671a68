"""The task adapter contract (DESIGN.md, "Interfaces").

An adapter owns everything task-specific: loading splits as ``datasets.Dataset``, building
models from a spec, batching, the forward pass (returning a :class:`ModelOutput` that methods
understand), the task metric, and example inputs for speed measurement. Nothing outside
``adapters/`` branches on the task.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import torch
from torch import nn

if TYPE_CHECKING:
    from datasets import Dataset

    from distillbench.config import MeasureConfig, TaskCard

Batch = dict[str, torch.Tensor]


@dataclass
class ModelOutput:
    """What a forward pass gives the methods.

    ``logits`` are (N, C) for classification or (N, T, C) per token/frame (then ``mask`` marks the
    valid positions). ``loss`` is the task loss against the ground truth. ``features`` holds the
    intermediate outputs captured by forward hooks, keyed by the feature names of the task card.
    """

    logits: torch.Tensor
    loss: torch.Tensor | None = None
    features: dict[str, torch.Tensor] = field(default_factory=dict)
    mask: torch.Tensor | None = None


@dataclass
class DataSplits:
    """Train/val/test splits plus what models need to know about the data (``info``)."""

    train: Dataset
    val: Dataset
    test: Dataset
    info: dict[str, Any] = field(default_factory=dict)

    def sizes(self) -> dict[str, int]:
        return {"train": len(self.train), "val": len(self.val), "test": len(self.test)}


class TaskAdapter(ABC):
    """Base class of every task; subclasses register with ``@TASKS.register(name)``."""

    registry_name: ClassVar[str]
    #: primary quality metric, used for Δ and ranking
    metric: ClassVar[str]
    #: every metric the adapter reports -> whether higher is better
    metrics: ClassVar[dict[str, bool]]
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
        """Yield batches of tensors (on CPU) from a split."""

    @abstractmethod
    def forward(self, model: nn.Module, batch: Batch) -> ModelOutput:
        """Run the model on a batch; set ``loss`` when the batch has targets."""

    @abstractmethod
    def evaluate(self, model: nn.Module, ds: Dataset, device: torch.device, autocast: Any) -> dict[str, Any]:
        """Task metrics on a split (the model is already in eval mode on ``device``)."""

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
