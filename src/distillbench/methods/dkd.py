"""Decoupled knowledge distillation: the KD loss split into target-class and non-target-class terms.

Zhao, Cui, Song, Qiu & Liang (2022), "Decoupled Knowledge Distillation", CVPR 2022, arXiv:2203.08679.

With p = softmax(logits / T) and the ground-truth class g of each sample:

- TCKD = T² * KL([p_g, 1 - p_g] of the teacher || the same of the student), a binary distribution;
- NCKD = T² * KL over the non-target classes only, renormalised; as in the reference code
  (github.com/megvii-research/mdistiller, ``dkd_loss``) the target logit is masked by subtracting
  1000 from logits / T before the softmax.

    loss = ce_weight * task + w * (alpha * TCKD + beta * NCKD),  w = min((epoch + 1) / warmup_epochs, 1)

Both KL terms are summed over classes and divided by the batch size, as in the reference code. The
binary log-probabilities are taken in log space (logsumexp over the classes of log_softmax), which
equals the reference's log of summed probabilities without its log(0) for a saturated student. The
warm-up factor w follows the reference's ``min(epoch / warmup, 1)`` with its 1-based epochs, so the
first epoch already gets ``1 / warmup_epochs``; ``warmup_epochs = 0`` means no warm-up (the reference
code uses 20 of 240 epochs on CIFAR-100, 1 of 100 on ImageNet).

``logit_standardization: true`` z-scores both models' logits per sample before the temperature
(Sun et al. 2024, "Logit Standardization in Knowledge Distillation", CVPR 2024, arXiv:2403.01427; see
``kd``); the paper's base temperature with it is 2.

Classification only: needs (N, C) logits and the ground-truth classes in ``batch["labels"]``.
Logged parts: ``task``, ``tckd`` and ``nckd``, unweighted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F

from distillbench.methods.base import DistillMethod, check_positive, task_loss
from distillbench.methods.kd import standardize
from distillbench.registry import METHODS
from distillbench.types import Batch, ModelOutput


@dataclass
class DKDOptions:
    #: weight of TCKD (target-class KD)
    alpha: float = 1.0
    #: weight of NCKD (non-target-class KD); 8 is the reference CIFAR-100 default (0.5 on ImageNet)
    beta: float = 8.0
    #: softmax temperature T
    temperature: float = 4.0
    #: weight of the task loss
    ce_weight: float = 1.0
    #: epochs over which the KD weight ramps linearly up to 1 (may be fractional); 0 = no warm-up
    warmup_epochs: float = 0.0
    #: z-score each row of logits before the temperature (Sun et al. 2024); the paper pairs it with temperature 2
    logit_standardization: bool = False

    def __post_init__(self) -> None:
        check_positive(temperature=self.temperature)
        if self.warmup_epochs < 0:
            raise ValueError(f"warmup_epochs must be >= 0, got {self.warmup_epochs}")


def _binary(log_p: torch.Tensor, gt: torch.Tensor) -> torch.Tensor:
    """(N, C) log-probabilities -> (N, 2) log [p_target, 1 - p_target]."""
    target = log_p.masked_fill(~gt, float("-inf")).logsumexp(1)
    other = log_p.masked_fill(gt, float("-inf")).logsumexp(1)
    return torch.stack([target, other], dim=1)


def dkd_terms(
    student_logits: torch.Tensor, teacher_logits: torch.Tensor, labels: torch.Tensor, temperature: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """(TCKD, NCKD) of a batch, both multiplied by T² and averaged over the batch."""
    s = student_logits.float() / temperature
    t = teacher_logits.detach().float() / temperature
    gt = F.one_hot(labels.long(), s.shape[1]).bool()
    tckd = F.kl_div(
        _binary(F.log_softmax(s, 1), gt), _binary(F.log_softmax(t, 1), gt), reduction="batchmean", log_target=True
    )
    masked = 1000.0 * gt.float()
    nckd = F.kl_div(F.log_softmax(s - masked, 1), F.softmax(t - masked, 1), reduction="batchmean")
    return tckd * temperature**2, nckd * temperature**2


@METHODS.register("dkd")
class DKD(DistillMethod):
    """Decoupled KD on class logits (needs ground-truth labels)."""

    Options: ClassVar[type] = DKDOptions

    def warmup_factor(self) -> float:
        """The KD weight w for the current epoch."""
        warmup = self.options.warmup_epochs
        return 1.0 if warmup <= 0 else min((self.epoch + 1) / warmup, 1.0)

    def loss(self, student: ModelOutput, teacher: ModelOutput | None, batch: Batch) -> dict[str, torch.Tensor]:
        if teacher is None:
            raise ValueError("dkd needs the teacher's outputs")
        if student.logits.dim() != 2 or teacher.logits.dim() != 2:
            raise ValueError(
                f"dkd needs (N, C) class logits, got {tuple(student.logits.shape)}: it is defined for "
                "classification only (per-token logits are not supported)"
            )
        if student.logits.shape != teacher.logits.shape:
            raise ValueError(
                f"student and teacher logits differ in shape: {tuple(student.logits.shape)} vs "
                f"{tuple(teacher.logits.shape)}"
            )
        if "labels" not in batch:
            raise ValueError("dkd needs the ground-truth classes in batch['labels']")
        o = self.options
        s_logits, t_logits = student.logits, teacher.logits
        if o.logit_standardization:
            s_logits, t_logits = standardize(s_logits), standardize(t_logits)
        tckd, nckd = dkd_terms(s_logits, t_logits, batch["labels"], o.temperature)
        task = task_loss(student)
        kd = self.warmup_factor() * (o.alpha * tckd + o.beta * nckd)
        return {"loss": o.ce_weight * task + kd, "task": task, "tckd": tckd, "nckd": nckd}
