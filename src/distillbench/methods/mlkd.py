"""Multi-level logit distillation: instance-, batch- and class-level alignment over several temperatures.

Jin, Wang & Lin (2023), "Multi-Level Logit Distillation", CVPR 2023 (authors' code:
github.com/Jin-Ying/Multi-Level-Logit-Distillation).

Prediction augmentation: the logits of both models are softened at every temperature T of
``temperatures``, p = softmax(z / T), and three alignments are summed over the temperatures:

- instance level: T² * KL(p_t || p_s), summed over classes and averaged over the batch (as ``kd``);
- batch level: the N x N sample-similarity matrices G = p p^T; sum((G_t - G_s)²) / N;
- class level: the C x C class-correlation matrices M = p^T p; sum((M_t - M_s)²) / C.

    loss = ce_weight * task + kd_weight * sum over T of (instance + batch + class)

Defaults are the reference code's: temperatures {2, 3, 4, 5, 6}, CE weight 0.1, KD weight 0.9.

Left out, because it needs the data pipeline to produce a second, strongly augmented view of each
batch: the strong-augmentation branch (the reference adds CE and the instance-level terms on a
RandAugment view). Also not reproduced: the reference multiplies the weak-view terms by the fraction
of samples (for the class level: of classes) whose teacher confidence is at most the batch median,
which — since the terms are already reduced to scalars there — scales them by about 0.5.

``logit_standardization: true`` z-scores each row of both models' logits before the temperatures
(Sun et al. 2024, "Logit Standardization in Knowledge Distillation", CVPR 2024, arXiv:2403.01427);
as in that paper's MLKD code it applies to the instance-level terms only, and the paper's base
temperature with it is 2. Classification only: (N, C) logits. Logged parts: ``task``,
``instance``, ``batch`` and ``class`` (unweighted, summed over the temperatures).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import torch

from distillbench.methods.base import DistillMethod, task_loss
from distillbench.methods.kd import soft_kl, standardize
from distillbench.registry import METHODS
from distillbench.types import Batch, ModelOutput


@dataclass
class MLKDOptions:
    #: the temperatures of the prediction augmentation (the reference code's {4, 3, 5, 2, 6})
    temperatures: list[float] = field(default_factory=lambda: [2.0, 3.0, 4.0, 5.0, 6.0])
    #: weight of the summed alignments and of the task loss (the reference's 0.9 and 0.1)
    kd_weight: float = 0.9
    ce_weight: float = 0.1
    #: z-score each row of logits before the temperatures (instance level; Sun et al. 2024)
    logit_standardization: bool = False

    def __post_init__(self) -> None:
        if not self.temperatures or min(self.temperatures) <= 0:
            raise ValueError(f"temperatures must be a non-empty list of positive numbers, got {self.temperatures}")
        if self.kd_weight < 0 or self.ce_weight < 0:
            raise ValueError("mlkd weights must be >= 0")


def batch_level(ps: torch.Tensor, pt: torch.Tensor) -> torch.Tensor:
    """sum((p_t p_t^T - p_s p_s^T)²) / N for (N, C) probabilities."""
    return (pt @ pt.t() - ps @ ps.t()).pow(2).sum() / ps.shape[0]


def class_level(ps: torch.Tensor, pt: torch.Tensor) -> torch.Tensor:
    """sum((p_t^T p_t - p_s^T p_s)²) / C for (N, C) probabilities."""
    return (pt.t() @ pt - ps.t() @ ps).pow(2).sum() / ps.shape[1]


@METHODS.register("mlkd")
class MultiLevelKD(DistillMethod):
    """Multi-level logit distillation (Jin et al. 2023): instance, batch and class alignment at several temperatures."""

    Options: ClassVar[type] = MLKDOptions

    def loss(self, student: ModelOutput, teacher: ModelOutput | None, batch: Batch) -> dict[str, torch.Tensor]:
        teacher = self.class_logits(student, teacher)
        o = self.options
        zs, zt = student.logits.float(), teacher.logits.detach().float()
        ks, kt = (standardize(zs), standardize(zt)) if o.logit_standardization else (zs, zt)
        instance, batch_term, class_term = zs.new_zeros(()), zs.new_zeros(()), zs.new_zeros(())
        for temp in o.temperatures:
            instance = instance + soft_kl(ks, kt, temp)
            ps, pt = torch.softmax(zs / temp, dim=1), torch.softmax(zt / temp, dim=1)
            batch_term = batch_term + batch_level(ps, pt)
            class_term = class_term + class_level(ps, pt)
        task = task_loss(student)
        total = o.ce_weight * task + o.kd_weight * (instance + batch_term + class_term)
        return {"loss": total, "task": task, "instance": instance, "batch": batch_term, "class": class_term}
