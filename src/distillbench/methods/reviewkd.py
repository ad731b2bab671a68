"""Knowledge review: the student's multi-stage features, fused deep-to-shallow, regress the teacher's.

Chen, Liu, Zhao & Jia (2021), "Distilling Knowledge via Knowledge Review", CVPR 2021,
arXiv:2104.09044 (authors' code: github.com/dvlab-research/ReviewKD; also mdistiller's ``ReviewKD``).

The features named in ``features`` (shallow to deep, the same names on both models), plus, with
``include_pooled``, the global-average pooled last feature as a 1x1 level, form the levels 1..L.
Attention-based fusion (ABF) runs from the deepest level to the shallowest: level i's student map
goes through a 1x1 conv + BN to ``mid`` channels; except at the deepest level it is fused with the
residual r from the level below (nearest-upsampled to its size) by two sigmoid attention maps
computed from both, x' = x * a_0 + r * a_1; x' is resized (nearest) to the teacher's spatial size
at that level, becomes the next residual, and a 3x3 conv + BN maps it to the teacher's channels.
``mid`` = min(512, channels of the student's deepest map), as in the reference code.

The hierarchical context loss (HCL) compares each fused output F_i with the teacher's feature T_i
at full resolution and after adaptive average pooling to 4x4, 2x2 and 1x1 (only the sizes smaller
than the map), with weights 1, 1/2, 1/4, 1/8, normalised by their sum, and sums over the levels:

    loss = ce_weight * task + w * weight * sum_i HCL(F_i, T_i),  w = min((epoch + 1) / warmup_epochs, 1)

The warm-up follows ``dkd``'s convention (the reference's 1-based ``min(epoch / warmup, 1)``); the
reference uses 20 warm-up epochs of 240 on CIFAR-100. The ABF modules are built in :meth:`setup`
from the first batch and trained with the student. The reference feeds the student's pre-activation
maps where available; this one reads whatever module outputs the card names. 4-D features only.
Logged parts: ``task`` and ``review`` (the unweighted sum of HCL).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from distillbench.methods.base import DistillMethod, task_loss
from distillbench.methods.fitnet import get_feature
from distillbench.registry import METHODS
from distillbench.types import Batch, ModelOutput


@dataclass
class ReviewKDOptions:
    #: feature names (task card), shallow to deep, each an (N, C, H, W) map on both models
    features: list[str] = field(default_factory=lambda: ["early", "hint", "final"])
    #: add the global-average pooled deepest map as a 1x1 level (the reference does)
    include_pooled: bool = True
    weight: float = 1.0
    ce_weight: float = 1.0
    #: epochs over which the review weight ramps up to 1 (the reference: 20 of 240); 0 = none
    warmup_epochs: float = 20.0
    #: the cap on the ABF's middle width (512 in the reference)
    max_mid_channels: int = 512

    def __post_init__(self) -> None:
        if not self.features:
            raise ValueError("reviewkd needs at least one feature")
        if self.weight < 0 or self.ce_weight < 0 or self.warmup_epochs < 0:
            raise ValueError("reviewkd weights and warmup_epochs must be >= 0")
        if self.max_mid_channels < 1:
            raise ValueError(f"max_mid_channels must be >= 1, got {self.max_mid_channels}")


def hcl_loss(fs: torch.Tensor, ft: torch.Tensor) -> torch.Tensor:
    """Hierarchical context loss of one level: MSE at full size and pooled to 4, 2, 1, weights 1, 1/2, ..."""
    loss, weight, total = F.mse_loss(fs, ft), 1.0, 1.0
    for size in (4, 2, 1):
        if size >= fs.shape[2]:
            continue
        weight /= 2.0
        loss = loss + weight * F.mse_loss(F.adaptive_avg_pool2d(fs, size), F.adaptive_avg_pool2d(ft, size))
        total += weight
    return loss / total


class ABF(nn.Module):
    """Attention-based fusion of one level (see the module docstring)."""

    def __init__(self, cin: int, mid: int, cout: int, fuse: bool) -> None:
        super().__init__()
        self.reduce = nn.Sequential(nn.Conv2d(cin, mid, 1, bias=False), nn.BatchNorm2d(mid))
        self.out = nn.Sequential(nn.Conv2d(mid, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout))
        self.attention = nn.Sequential(nn.Conv2d(2 * mid, 2, 1), nn.Sigmoid()) if fuse else None
        nn.init.kaiming_uniform_(self.reduce[0].weight, a=1)
        nn.init.kaiming_uniform_(self.out[0].weight, a=1)

    def forward(
        self, x: torch.Tensor, residual: torch.Tensor | None, out_size: tuple[int, int]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.reduce(x)
        if self.attention is not None and residual is not None:
            residual = F.interpolate(residual, size=x.shape[-2:], mode="nearest")
            a = self.attention(torch.cat([x, residual], dim=1))
            x = x * a[:, :1] + residual * a[:, 1:]
        if tuple(x.shape[-2:]) != out_size:
            x = F.interpolate(x, size=out_size, mode="nearest")
        return self.out(x), x


@METHODS.register("reviewkd")
class ReviewKD(DistillMethod):
    """Knowledge review (Chen et al. 2021): attention-based fusion of stage features, hierarchical context loss."""

    Options: ClassVar[type] = ReviewKDOptions

    def __init__(self, options: ReviewKDOptions | None = None) -> None:
        super().__init__(options)
        self.abfs = nn.ModuleList()  # deepest level first

    def feature_names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.options.features))

    def _levels(self, output: ModelOutput | None, role: str) -> list[torch.Tensor]:
        maps = [get_feature(output, name, role) for name in self.options.features]
        bad = [tuple(m.shape) for m in maps if m.dim() != 4]
        if bad:
            raise ValueError(f"reviewkd works on 4-D (N, C, H, W) maps; the {role} gave {bad}")
        if self.options.include_pooled:
            maps.append(maps[-1].mean(dim=(2, 3), keepdim=True))
        return maps

    def setup(self, student: ModelOutput, teacher: ModelOutput | None) -> None:
        s_levels, t_levels = self._levels(student, "student"), self._levels(teacher, "teacher")
        mid = min(self.options.max_mid_channels, s_levels[-1].shape[1])
        deepest_first = list(zip(s_levels, t_levels, strict=True))[::-1]
        self.abfs = nn.ModuleList(
            [ABF(s.shape[1], mid, t.shape[1], fuse=i > 0) for i, (s, t) in enumerate(deepest_first)]
        ).to(s_levels[0].device)

    def warmup_factor(self) -> float:
        warmup = self.options.warmup_epochs
        return 1.0 if warmup <= 0 else min((self.epoch + 1) / warmup, 1.0)

    def loss(self, student: ModelOutput, teacher: ModelOutput | None, batch: Batch) -> dict[str, torch.Tensor]:
        o = self.options
        s_levels, t_levels = self._levels(student, "student"), self._levels(teacher, "teacher")
        if len(self.abfs) != len(s_levels):
            raise RuntimeError("reviewkd: setup() must be called with the first batch before loss()")
        residual, terms = None, []
        for abf, s, t in zip(self.abfs, s_levels[::-1], t_levels[::-1], strict=True):
            fused, residual = abf(s, residual, tuple(t.shape[-2:]))
            terms.append(hcl_loss(fused.float(), t.detach().float()))
        review = torch.stack(terms).sum()
        task = task_loss(student)
        return {"loss": o.ce_weight * task + self.warmup_factor() * o.weight * review, "task": task, "review": review}
