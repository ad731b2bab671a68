"""Variational information distillation: maximise a variational lower bound on the mutual information.

Ahn, Hu, Damianou, Lawrence & Dai (2019), "Variational Information Distillation for Knowledge
Transfer", CVPR 2019, arXiv:1904.05835.

The teacher's feature t is modelled as a Gaussian whose mean mu(s) is regressed from the student's
feature s (three 1x1 convolutions with ReLUs between, as in the authors' code) and whose variance is
learned per channel, sigma²_c = softplus(alpha_c) + eps. Minimising the negative
log-likelihood (constant dropped) maximises the bound on I(t; s):

    L_VID = mean over (N, C, H, W) of 0.5 * ((mu(s) - t)² / sigma² + log sigma²)
    loss  = ce_weight * task + weight * sum over feature pairs of L_VID

alpha_c starts at softplus^-1(init_pred_var - eps), so sigma² starts at ``init_pred_var``. When the
spatial sizes differ, the larger map is adaptive-average pooled to the smaller (the CRD/mdistiller
convention). The regressors and the variances are built in :meth:`setup` from the first batch and
trained with the student. 4-D features only. Logged parts: ``task`` and ``vid`` (unweighted sum).
"""

from __future__ import annotations

import math
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
class VIDOptions:
    #: feature names (task card), one Gaussian per student/teacher pair
    features: list[str] = field(default_factory=lambda: ["hint"])
    #: weight of the summed negative log-likelihoods (1 in CRD and mdistiller)
    weight: float = 1.0
    ce_weight: float = 1.0
    #: the variance sigma² every channel starts at (5.0 in the authors' code)
    init_pred_var: float = 5.0
    #: floor of the variance
    eps: float = 1e-5

    def __post_init__(self) -> None:
        if not self.features:
            raise ValueError("vid needs at least one feature")
        if self.weight < 0 or self.ce_weight < 0:
            raise ValueError("vid weights must be >= 0")
        if self.eps <= 0 or self.init_pred_var <= self.eps:
            raise ValueError(f"vid needs 0 < eps < init_pred_var, got {self.eps} and {self.init_pred_var}")


def match_sizes(s: torch.Tensor, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Pool the larger of two (N, C, H, W) maps to the other's spatial size."""
    if s.dim() != 4 or t.dim() != 4:
        raise ValueError(f"vid works on 4-D (N, C, H, W) maps, got {tuple(s.shape)} and {tuple(t.shape)}")
    size = (min(s.shape[2], t.shape[2]), min(s.shape[3], t.shape[3]))
    if s.shape[2:] != size:
        s = F.adaptive_avg_pool2d(s, size)
    if t.shape[2:] != size:
        t = F.adaptive_avg_pool2d(t, size)
    return s, t


def vid_nll(mean: torch.Tensor, t: torch.Tensor, log_scale: torch.Tensor, eps: float) -> torch.Tensor:
    """Mean Gaussian negative log-likelihood (constant dropped) of t under N(mean, softplus(log_scale) + eps)."""
    var = (F.softplus(log_scale.float()) + eps).view(1, -1, 1, 1)
    return (0.5 * ((mean.float() - t.float()).pow(2) / var + var.log())).mean()


def _regressor(cs: int, ct: int) -> nn.Sequential:
    conv = lambda a, b: nn.Conv2d(a, b, 1, bias=False)  # noqa: E731
    return nn.Sequential(conv(cs, ct), nn.ReLU(), conv(ct, ct), nn.ReLU(), conv(ct, ct))


@METHODS.register("vid")
class VariationalInformationDistillation(DistillMethod):
    """Variational information distillation (Ahn et al. 2019): Gaussian likelihood with learned variance."""

    Options: ClassVar[type] = VIDOptions

    def __init__(self, options: VIDOptions | None = None) -> None:
        super().__init__(options)
        self.regressors = nn.ModuleList()
        self.log_scales = nn.ParameterList()

    def feature_names(self) -> tuple[str, ...]:
        return tuple(self.options.features)

    def setup(self, student: ModelOutput, teacher: ModelOutput | None) -> None:
        o = self.options
        init = math.log(math.expm1(o.init_pred_var - o.eps))  # softplus^-1
        self.regressors, self.log_scales = nn.ModuleList(), nn.ParameterList()
        for name in o.features:
            s, t = match_sizes(get_feature(student, name, "student"), get_feature(teacher, name, "teacher"))
            self.regressors.append(_regressor(s.shape[1], t.shape[1]).to(s.device))
            self.log_scales.append(nn.Parameter(torch.full((t.shape[1],), init, device=s.device)))

    def loss(self, student: ModelOutput, teacher: ModelOutput | None, batch: Batch) -> dict[str, torch.Tensor]:
        o = self.options
        if len(self.regressors) != len(o.features):
            raise RuntimeError("vid: setup() must be called with the first batch before loss()")
        terms = []
        for name, regressor, log_scale in zip(o.features, self.regressors, self.log_scales, strict=True):
            s, t = match_sizes(get_feature(student, name, "student"), get_feature(teacher, name, "teacher").detach())
            terms.append(vid_nll(regressor(s), t, log_scale, o.eps))
        vid = torch.stack(terms).sum()
        task = task_loss(student)
        return {"loss": o.ce_weight * task + o.weight * vid, "task": task, "vid": vid}
