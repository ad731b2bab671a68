"""Relational knowledge distillation: match the distances and angles among a batch's embeddings.

Park, Kim, Lu & Cho (2019), "Relational Knowledge Distillation", CVPR 2019, arXiv:1904.05068.

For the embeddings e_1..e_N of a batch (one row per sample; a 4-D feature map is global-average
pooled first, which for the local models is the vector their classifier reads):

- distance: psi_D(i, j) = ||e_i - e_j||_2 / mu, mu the mean distance over the pairs
  i != j; L_D = mean over all N² entries (diagonal 0 on both sides) of Huber(psi_D^s - psi_D^t);
- angle: psi_A(i, j, k) = <(e_j - e_i) / ||e_j - e_i||, (e_k - e_i) / ||e_k - e_i||>, the
  cosine of the angle at e_i; L_A = mean over all N³ entries of Huber(psi_A^s - psi_A^t) (a zero
  difference vector normalises to 0, so entries with j = i or k = i are 0 on both sides).

Huber is PyTorch's ``smooth_l1_loss`` with threshold 1 (the paper's l_delta). As in the authors'
code and the CRD/mdistiller benchmarks, squared distances are clamped at ``eps`` before the square
root and the teacher's relations are computed without gradients:

    loss = ce_weight * task + weight * (distance_weight * L_D + angle_weight * L_A)

Relations do not depend on the embedding widths, so no projection is learned.
Logged parts: ``task``, ``distance`` and ``angle`` (unweighted).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F

from distillbench.methods.base import DistillMethod, check_positive, task_loss
from distillbench.methods.fitnet import get_feature
from distillbench.registry import METHODS
from distillbench.types import Batch, ModelOutput


@dataclass
class RKDOptions:
    #: feature name (task card): an (N, D) embedding or an (N, C, H, W) map, global-average pooled
    feature: str = "final"
    #: lambda_D and lambda_A: 25 and 50, the CRD (RepDistiller) and mdistiller CIFAR-100 setting
    distance_weight: float = 25.0
    angle_weight: float = 50.0
    #: overall weight of the relational term and of the task loss
    weight: float = 1.0
    ce_weight: float = 1.0
    #: squared distances are clamped at eps before the square root
    eps: float = 1e-12

    def __post_init__(self) -> None:
        if min(self.distance_weight, self.angle_weight, self.weight, self.ce_weight) < 0:
            raise ValueError("rkd weights must be >= 0")
        if self.distance_weight == 0 and self.angle_weight == 0:
            raise ValueError("rkd: distance_weight and angle_weight are both 0")
        check_positive(eps=self.eps)


def embedding(x: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) -> global-average pooled (N, C); any other (N, ...) -> flattened (N, D); float32."""
    x = x.float()
    return x.mean(dim=(2, 3)) if x.dim() == 4 else x.flatten(1)


def pairwise_distances(e: torch.Tensor, eps: float) -> torch.Tensor:
    """(N, D) -> (N, N) Euclidean distances, squared values clamped at eps, diagonal 0."""
    sq = e.pow(2).sum(1)
    d = (sq.unsqueeze(1) + sq.unsqueeze(0) - 2 * e @ e.t()).clamp_min(eps).sqrt()
    return d * (1 - torch.eye(len(e), dtype=d.dtype, device=d.device))


def distance_loss(s: torch.Tensor, t: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """RKD-D of two (N, D) embeddings: Huber loss of the mean-normalised distance matrices."""
    with torch.no_grad():
        td = pairwise_distances(t, eps)
        td = td / td[td > 0].mean()
    sd = pairwise_distances(s, eps)
    sd = sd / sd[sd > 0].mean()
    return F.smooth_l1_loss(sd, td)


def angles(e: torch.Tensor) -> torch.Tensor:
    """(N, D) -> (N, N, N): entry [i, j, k] is the cosine of the angle between e_j - e_i and e_k - e_i."""
    diff = F.normalize(e.unsqueeze(0) - e.unsqueeze(1), p=2, dim=2)  # [i, j] = unit(e_j - e_i)
    return diff @ diff.transpose(1, 2)


def angle_loss(s: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """RKD-A of two (N, D) embeddings: Huber loss of the angle tensors."""
    with torch.no_grad():
        ta = angles(t)
    return F.smooth_l1_loss(angles(s), ta)


@METHODS.register("rkd")
class RelationalKD(DistillMethod):
    """Relational KD (Park et al. 2019): distance- and angle-wise relations among a batch's embeddings."""

    Options: ClassVar[type] = RKDOptions

    def feature_names(self) -> tuple[str, ...]:
        return (self.options.feature,)

    def loss(self, student: ModelOutput, teacher: ModelOutput | None, batch: Batch) -> dict[str, torch.Tensor]:
        o = self.options
        s = embedding(get_feature(student, o.feature, "student"))
        t = embedding(get_feature(teacher, o.feature, "teacher").detach())
        if len(s) < 2:
            raise ValueError("rkd needs at least 2 samples per batch (it matches relations between samples)")
        dist = distance_loss(s, t, o.eps) if o.distance_weight > 0 else s.new_zeros(())
        ang = angle_loss(s, t) if o.angle_weight > 0 else s.new_zeros(())
        task = task_loss(student)
        rkd = o.distance_weight * dist + o.angle_weight * ang
        return {"loss": o.ce_weight * task + o.weight * rkd, "task": task, "distance": dist, "angle": ang}
