"""Detection-aware logit distillation on the classification heads of dense detectors.

Dense detectors (FCOS, Tian et al. 2019; RetinaNet, Lin et al. 2017) classify every location with
one sigmoid per class, and almost every location is background. Following Hinton, Vinyals & Dean
(2015, "Distilling the Knowledge in a Neural Network", arXiv:1503.02531) the teacher's
temperature-softened scores are the soft targets; following Chen, Choi, Yu, Han & Chandraker (2017,
"Learning Efficient Object Detection Models with Knowledge Distillation", NeurIPS) the
distillation term is weighted against the background imbalance. Here each location a is weighted by
the teacher's foreground confidence ``w_a = max_c sigmoid(t_ac)`` (our choice for sigmoid heads; it
keeps the thousands of confident-background locations from swamping the few object locations):

    kd   = T² * sum_a w_a * sum_c KL(Bern(sigmoid(t_ac / T)) || Bern(sigmoid(s_ac / T))) / sum_a w_a
    loss = task + weight * kd

The task loss (classification, box regression, centerness) keeps its full weight, since the
distillation term only teaches classification. Student and teacher must have the same locations
(the same FPN strides and anchors per location) and classes. Logged parts: ``task`` and ``kd``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F

from distillbench.methods.base import DistillMethod, check_non_negative, check_positive, task_loss
from distillbench.registry import METHODS
from distillbench.types import Batch, ModelOutput


@dataclass
class DetKDOptions:
    #: temperature T applied to both models' logits before the sigmoid
    temperature: float = 2.0
    #: weight of the distillation term (the task loss keeps weight 1)
    weight: float = 1.0

    def __post_init__(self) -> None:
        check_positive(temperature=self.temperature)
        check_non_negative(weight=self.weight)


def binary_kl(student_logits: torch.Tensor, teacher_logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """T² * the teacher-confidence-weighted mean over locations of the summed per-class binary KL.

    Logits are (N, A, C) (or any (..., C)); the teacher is detached; arithmetic in float32.
    """
    if student_logits.shape != teacher_logits.shape:
        raise ValueError(
            f"student and teacher head outputs differ in shape: {tuple(student_logits.shape)} vs "
            f"{tuple(teacher_logits.shape)} (det_kd needs the same FPN strides, anchors and classes)"
        )
    s = student_logits.float() / temperature
    t = teacher_logits.detach().float() / temperature
    p_t = torch.sigmoid(t)
    # KL(Bern(p_t) || Bern(p_s)) = BCE(s, p_t) - BCE(t, p_t), both from logits (numerically stable)
    kl = F.binary_cross_entropy_with_logits(s, p_t, reduction="none") - F.binary_cross_entropy_with_logits(
        t, p_t, reduction="none"
    )
    weight = torch.sigmoid(teacher_logits.detach().float()).amax(dim=-1)
    per_location = kl.sum(-1)
    return (weight * per_location).sum() / weight.sum().clamp_min(1e-6) * temperature**2


@METHODS.register("det_kd")
class DetectionKD(DistillMethod):
    """Sigmoid-head KD weighted by the teacher's foreground confidence."""

    Options: ClassVar[type] = DetKDOptions

    def loss(self, student: ModelOutput, teacher: ModelOutput | None, batch: Batch) -> dict[str, torch.Tensor]:
        if teacher is None:
            raise ValueError("det_kd needs the teacher's outputs")
        task = task_loss(student)
        kd = binary_kl(student.logits, teacher.logits, self.options.temperature)
        return {"loss": task + self.options.weight * kd, "task": task, "kd": kd}
