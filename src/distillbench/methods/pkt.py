"""Probabilistic knowledge transfer: match the conditional probability distributions of a batch's embeddings.

Passalis & Tefas (2018), "Learning Deep Representations with Probabilistic Knowledge Transfer",
ECCV 2018, arXiv:1803.10837.

The embeddings of a batch (a 4-D map is global-average pooled first) are L2-normalised; their
cosine similarities K(i, j), including i = j, are mapped to [0, 1] as (K + 1) / 2 (the paper's
cosine kernel) and normalised per row into conditional probabilities p_{j|i}. The
loss is KL(teacher || student) of those distributions, with eps = 1e-7 inside the log and
averaged over all N² entries, as in the authors' code (github.com/passalis/probabilistic_kt) and
the CRD/mdistiller benchmarks:

    loss = ce_weight * task + weight * mean_ij p^t_{j|i} log((p^t_{j|i} + eps) / (p^s_{j|i} + eps))

Similarities do not depend on the widths, so no projection is learned. Logged parts: ``task`` and
``pkt`` (unweighted).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch

from distillbench.methods.base import DistillMethod, check_positive, task_loss
from distillbench.methods.fitnet import get_feature
from distillbench.methods.rkd import embedding
from distillbench.registry import METHODS
from distillbench.types import Batch, ModelOutput


@dataclass
class PKTOptions:
    #: feature name (task card): an (N, D) embedding or an (N, C, H, W) map, global-average pooled
    feature: str = "final"
    #: weight of the PKT term; 30000 is the CRD/mdistiller CIFAR-100 setting (the loss is a mean over N² entries)
    weight: float = 30000.0
    ce_weight: float = 1.0
    eps: float = 1e-7

    def __post_init__(self) -> None:
        if self.weight < 0 or self.ce_weight < 0:
            raise ValueError("pkt weights must be >= 0")
        check_positive(eps=self.eps)


def conditional_probabilities(e: torch.Tensor, eps: float) -> torch.Tensor:
    """(N, D) -> (N, N) row-normalised cosine-kernel similarities (K + 1) / 2."""
    e = e / (e.norm(dim=1, keepdim=True) + eps)
    k = (e @ e.t() + 1.0) / 2.0
    return k / k.sum(1, keepdim=True)


def pkt_loss(s: torch.Tensor, t: torch.Tensor, eps: float = 1e-7) -> torch.Tensor:
    """KL(teacher || student) of the conditional probabilities of two (N, D) embeddings, mean over N² entries."""
    ps = conditional_probabilities(s, eps)
    pt = conditional_probabilities(t.detach(), eps)
    return (pt * torch.log((pt + eps) / (ps + eps))).mean()


@METHODS.register("pkt")
class ProbabilisticKT(DistillMethod):
    """Probabilistic knowledge transfer (Passalis & Tefas 2018): KL of cosine-kernel neighbour distributions."""

    Options: ClassVar[type] = PKTOptions

    def feature_names(self) -> tuple[str, ...]:
        return (self.options.feature,)

    def loss(self, student: ModelOutput, teacher: ModelOutput | None, batch: Batch) -> dict[str, torch.Tensor]:
        o = self.options
        s = embedding(get_feature(student, o.feature, "student"))
        t = embedding(get_feature(teacher, o.feature, "teacher"))
        pkt = pkt_loss(s, t, o.eps)
        task = task_loss(student)
        return {"loss": o.ce_weight * task + o.weight * pkt, "task": task, "pkt": pkt}
