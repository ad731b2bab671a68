"""Shared types at the bottom layer: what data sources, adapters and methods pass each other.

Nothing here imports another distillbench module, so ``data/``, ``adapters/``, ``methods/`` and
``models/`` can all import it without pointing upward.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import torch

if TYPE_CHECKING:
    from datasets import Dataset

Batch = dict[str, torch.Tensor]


@dataclass
class ModelOutput:
    """What a forward pass gives the methods.

    ``logits`` are (N, C) for classification or (N, T, C) per token/frame (then ``mask`` marks the
    valid positions). ``loss`` is the task loss against the ground truth. ``features`` holds the
    intermediate outputs captured by forward hooks, keyed by the feature names of the task card.
    ``log_probs`` holds temperature-softened log-probabilities computed ahead (empty for a forward pass).
    """

    logits: torch.Tensor
    loss: torch.Tensor | None = None
    features: dict[str, torch.Tensor] = field(default_factory=dict)
    mask: torch.Tensor | None = None
    #: ``log_softmax(logits / T)`` per temperature ``T``, where already computed (a teacher's cached outputs:
    #: teacher_outputs.py); methods use them instead of recomputing the teacher's softened distribution
    log_probs: dict[float, torch.Tensor] = field(default_factory=dict)


@dataclass
class DataSplits:
    """Train/val/test splits plus what models need to know about the data (``info``)."""

    train: Dataset
    val: Dataset
    test: Dataset
    info: dict[str, Any] = field(default_factory=dict)

    def sizes(self) -> dict[str, int]:
        return {"train": len(self.train), "val": len(self.val), "test": len(self.test)}
