"""FitNets: regress the teacher's intermediate features ("hints") from the student's.

Romero, Ballas, Kahou, Chassang, Gatta & Bengio (2015), "FitNets: Hints for Thin Deep Nets",
ICLR 2015, arXiv:1412.6550.

    loss = ce_weight * task + weight * MSE(regressor(s_feat), t_feat)

By default run in one stage with the hint as an auxiliary loss, as the CRD benchmark does (Tian et al. 2020,
arXiv:1910.10699). With ``hint_epochs: n > 0`` it trains in the paper's two stages (a method stage,
methods/base.py): for the first n epochs the hint loss alone (``weight * MSE``: only the student up to the
guided layer and the regressor get gradients, as in the paper's stage 1), then the whole student with KD
(``(1 - kd_alpha) * task + kd_alpha * T² * KL``, Hinton et al. 2015; the paper anneals the KD weight over
training, which is not reproduced here: ``kd_alpha`` and ``temperature`` are fixed). The learning-rate
schedule runs over all epochs. The regressor is learned with the student:

- 4-D (N, C, H, W) maps: a 1x1 convolution + BatchNorm when the channel counts differ. When the
  spatial sizes differ, the student map is first resized to the teacher's with
  ``adaptive_avg_pool2d`` (averaging when shrinking, repeating values when enlarging); pooling
  before the 1x1 convolution is the same as after it, and cheaper.
- 3-D (N, T, D) hidden states: a Linear layer when the widths differ; the MSE is averaged over the
  valid positions when the output has a ``mask``. Sequence lengths must match.
- identity when the shapes already match.

Logged parts: ``task`` and ``hint`` (the unweighted MSE); in the KD stage ``task`` and ``kd``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from distillbench.methods.base import DistillMethod, Stage, task_loss
from distillbench.methods.kd import soft_kl
from distillbench.registry import METHODS
from distillbench.types import Batch, ModelOutput


@dataclass
class FitNetOptions:
    #: feature name (as mapped in the task card) compared between student and teacher
    feature: str = "hint"
    #: weight of the hint MSE. 100 is the CRD benchmark's beta for FitNet: the MSE is a mean over every
    #: feature element, so with weight 1 the one-stage hint term would barely move the student next to
    #: cross-entropy (the paper avoids the question by training the hint in a separate first stage).
    weight: float = 100.0
    #: weight of the task loss
    ce_weight: float = 1.0
    #: epochs of the paper's hint stage before a KD stage; 0 trains in one stage (hint + task throughout)
    hint_epochs: int = 0
    #: the KD stage's weight of the distillation term (the task gets 1 - kd_alpha) and temperature
    kd_alpha: float = 0.9
    temperature: float = 4.0

    def __post_init__(self) -> None:
        if self.hint_epochs < 0:
            raise ValueError(f"hint_epochs must be >= 0, got {self.hint_epochs}")
        if not 0.0 <= self.kd_alpha <= 1.0 or self.temperature <= 0:
            raise ValueError(
                f"fitnet needs kd_alpha in [0, 1] and temperature > 0, got {self.kd_alpha}, {self.temperature}"
            )


def get_feature(output: ModelOutput | None, name: str, role: str) -> torch.Tensor:
    """The feature ``name`` of the student's or teacher's output, with a clear error when missing."""
    if output is None:
        raise ValueError(f"this method needs the {role}'s outputs")
    if name not in output.features:
        have = ", ".join(output.features) or "none"
        raise ValueError(
            f"the {role} has no feature {name!r} (it has: {have}); map it under the model's "
            "'features:' in the task card"
        )
    return output.features[name]


def build_regressor(s: torch.Tensor, t: torch.Tensor) -> nn.Module:
    """The module mapping student features ``s`` to the teacher's width (see the module docstring)."""
    if s.dim() != t.dim() or s.dim() not in (3, 4):
        raise ValueError(
            f"fitnet needs two 4-D (N, C, H, W) or two 3-D (N, T, D) features, got {tuple(s.shape)} (student) "
            f"and {tuple(t.shape)} (teacher)"
        )
    cs, ct = (s.shape[1], t.shape[1]) if s.dim() == 4 else (s.shape[2], t.shape[2])
    if s.dim() == 3 and s.shape[1] != t.shape[1]:
        raise ValueError(f"fitnet: student and teacher sequence lengths differ ({s.shape[1]} vs {t.shape[1]})")
    if cs == ct:
        return nn.Identity()
    if s.dim() == 4:
        return nn.Sequential(nn.Conv2d(cs, ct, kernel_size=1, bias=False), nn.BatchNorm2d(ct))
    return nn.Linear(cs, ct)


@METHODS.register("fitnet")
class FitNet(DistillMethod):
    """Hint learning with a learned regressor from the student's feature to the teacher's."""

    Options: ClassVar[type] = FitNetOptions

    def __init__(self, options: FitNetOptions | None = None) -> None:
        super().__init__(options)
        self.regressor: nn.Module | None = None

    def feature_names(self) -> tuple[str, ...]:
        return (self.options.feature,)

    def stages(self, epochs: int) -> list[Stage]:
        if not self.options.hint_epochs:
            return super().stages(epochs)
        return [Stage("hint", self.options.hint_epochs), Stage("kd", epochs - self.options.hint_epochs)]

    def setup(self, student: ModelOutput, teacher: ModelOutput | None) -> None:
        s = get_feature(student, self.options.feature, "student")
        t = get_feature(teacher, self.options.feature, "teacher")
        self.regressor = build_regressor(s, t).to(s.device)

    def loss(self, student: ModelOutput, teacher: ModelOutput | None, batch: Batch) -> dict[str, torch.Tensor]:
        if self.regressor is None:
            raise RuntimeError("fitnet: setup() must be called with the first batch before loss()")
        if self.stage == "kd":  # the paper's second stage
            task, kd = task_loss(student), soft_kl(student.logits, teacher.logits, self.options.temperature)
            return {"loss": (1.0 - self.options.kd_alpha) * task + self.options.kd_alpha * kd, "task": task, "kd": kd}
        s = get_feature(student, self.options.feature, "student")
        t = get_feature(teacher, self.options.feature, "teacher").detach()
        if s.dim() == 4 and s.shape[-2:] != t.shape[-2:]:
            s = F.adaptive_avg_pool2d(s, t.shape[-2:])
        sq = (self.regressor(s).float() - t.float()).pow(2)
        if sq.dim() == 3 and student.mask is not None:  # mean over the valid positions only
            mask = student.mask.bool()
            hint = sq.mean(-1).masked_fill(~mask, 0.0).sum() / mask.sum().clamp_min(1)
        else:
            hint = sq.mean()
        if self.stage == "hint":  # the paper's first stage: the hint alone
            return {"loss": self.options.weight * hint, "hint": hint}
        task = task_loss(student)
        return {"loss": self.options.ce_weight * task + self.options.weight * hint, "task": task, "hint": hint}
