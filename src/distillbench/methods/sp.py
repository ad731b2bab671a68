"""Similarity-preserving KD: match the batch similarity (Gram) matrices of the two models' activations.

Tung & Mori (2019), "Similarity-Preserving Knowledge Distillation", ICCV 2019, arXiv:1907.09682.

For a feature of shape (N, ...) flattened to Q in R^{N x D}, G = Q Q^T is the N x N similarity
matrix of the batch and G~ its rows L2-normalised. Per pair of features:

    L_SP = ||G~_t - G~_s||_F² / N²,     loss = ce_weight * task + weight * sum over features of L_SP

G is N x N whatever the widths and spatial sizes, so the student and teacher maps need not match
and no projection is learned. ``weight`` 3000 is the paper's gamma for CIFAR-10 and the
CRD/mdistiller CIFAR-100 setting. Logged parts: ``task`` and ``sp`` (the unweighted sum).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import torch
import torch.nn.functional as F

from distillbench.methods.base import DistillMethod, task_loss
from distillbench.methods.fitnet import get_feature
from distillbench.registry import METHODS
from distillbench.types import Batch, ModelOutput


@dataclass
class SPOptions:
    #: feature names (task card) whose batch similarities are matched
    features: list[str] = field(default_factory=lambda: ["final"])
    #: gamma of the paper (3000)
    weight: float = 3000.0
    ce_weight: float = 1.0

    def __post_init__(self) -> None:
        if not self.features:
            raise ValueError("sp needs at least one feature")
        if self.weight < 0 or self.ce_weight < 0:
            raise ValueError("sp weights must be >= 0")


def similarity(x: torch.Tensor) -> torch.Tensor:
    """(N, ...) -> the row-normalised (N, N) Gram matrix of the flattened activations."""
    q = x.float().flatten(1)
    return F.normalize(q @ q.t(), p=2, dim=1)


def sp_pair_loss(s: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """||G~_t - G~_s||_F² / N² for one pair of features of the same batch."""
    if s.shape[0] != t.shape[0]:
        raise ValueError(f"sp: batch sizes differ ({s.shape[0]} vs {t.shape[0]})")
    n = s.shape[0]
    return (similarity(t.detach()) - similarity(s)).pow(2).sum() / (n * n)


@METHODS.register("sp")
class SimilarityPreserving(DistillMethod):
    """Similarity-preserving KD (Tung & Mori 2019): batch similarity matrices of activations."""

    Options: ClassVar[type] = SPOptions

    def feature_names(self) -> tuple[str, ...]:
        return tuple(self.options.features)

    def loss(self, student: ModelOutput, teacher: ModelOutput | None, batch: Batch) -> dict[str, torch.Tensor]:
        o = self.options
        pairs = [
            sp_pair_loss(get_feature(student, name, "student"), get_feature(teacher, name, "teacher"))
            for name in o.features
        ]
        sp = torch.stack(pairs).sum()
        task = task_loss(student)
        return {"loss": o.ce_weight * task + o.weight * sp, "task": task, "sp": sp}
