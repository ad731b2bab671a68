"""Attention transfer: match the student's spatial attention maps to the teacher's.

Zagoruyko & Komodakis (2017), "Paying More Attention to Attention: Improving the Performance of
Convolutional Neural Networks via Attention Transfer", ICLR 2017, arXiv:1612.03928.

For a feature map x of shape (N, C, H, W), the attention map is the channel mean of |x|^p,
flattened and L2-normalised per sample (the paper's F^p_sum; the CRD code writes x.pow(p), the same
for the default even p). Each (student, teacher) pair of features contributes the mean squared
difference of their attention maps; when spatial sizes differ, the larger map is adaptive-average
pooled to the smaller size first. Following the CRD benchmark (Tian et al. 2020, arXiv:1910.10699):

    loss = ce_weight * task + beta * sum over features of mean((at(s) - at(t))²)

Attention maps do not depend on the channel count, so no projection is learned. 4-D features only.
Logged parts: ``task`` and ``at`` (the unweighted sum of pair losses).
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
class ATOptions:
    #: feature names (as mapped in the task card) whose attention maps are matched
    features: list[str] = field(default_factory=lambda: ["hint"])
    #: weight of the summed attention losses (1000 in the CRD benchmark and the paper's code)
    beta: float = 1000.0
    #: exponent p of the attention map
    p: int = 2
    #: weight of the task loss
    ce_weight: float = 1.0

    def __post_init__(self) -> None:
        if not self.features:
            raise ValueError("at needs at least one feature")


def attention_map(x: torch.Tensor, p: int) -> torch.Tensor:
    """(N, C, H, W) -> (N, H*W): channel mean of |x|^p, L2-normalised per sample."""
    return F.normalize(x.float().abs().pow(p).mean(1).flatten(1))


def at_pair_loss(s: torch.Tensor, t: torch.Tensor, p: int) -> torch.Tensor:
    """Mean squared difference of the attention maps of one student/teacher feature pair."""
    if s.dim() != 4 or t.dim() != 4:
        raise ValueError(
            f"at works on 4-D (N, C, H, W) feature maps, got {tuple(s.shape)} (student) and {tuple(t.shape)} (teacher)"
        )
    size = (min(s.shape[2], t.shape[2]), min(s.shape[3], t.shape[3]))
    if s.shape[2:] != size:
        s = F.adaptive_avg_pool2d(s, size)
    if t.shape[2:] != size:
        t = F.adaptive_avg_pool2d(t, size)
    return (attention_map(s, p) - attention_map(t.detach(), p)).pow(2).mean()


@METHODS.register("at")
class AttentionTransfer(DistillMethod):
    """Attention transfer on one or more pairs of convolutional feature maps."""

    Options: ClassVar[type] = ATOptions

    def feature_names(self) -> tuple[str, ...]:
        return tuple(self.options.features)

    def loss(self, student: ModelOutput, teacher: ModelOutput | None, batch: Batch) -> dict[str, torch.Tensor]:
        o = self.options
        pairs = [
            at_pair_loss(get_feature(student, name, "student"), get_feature(teacher, name, "teacher"), o.p)
            for name in o.features
        ]
        at = torch.stack(pairs).sum()
        task = task_loss(student)
        return {"loss": o.ce_weight * task + o.beta * at, "task": task, "at": at}
