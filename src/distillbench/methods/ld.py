"""Localization distillation: KL between the teacher's and the student's box-edge distributions.

Zheng, Ye, Wang, Ren, Hu, Zuo & Cheng (2022), "Localization Distillation for Dense Object Detection",
CVPR, arXiv:2102.12252; the authors' code is HikariTJU/LD (mmdetection's ``LDHead``). Both detectors
predict every box edge as a discrete distribution (General Focal Loss, Li et al. 2020; here
``local:fcos(edge_bins=n)``, ``models/edge_distribution.py``), and the student learns the teacher's
temperature-softened edge distributions, which carry the teacher's localisation ambiguity:

    LD_a = T² * (1/4) * sum_{e in l,t,r,b} KL(softmax(z^T_ae / T) || softmax(z^S_ae / T))
    ld   = sum_{a in P} w_a LD_a / sum_{a in P} w_a,       w_a = max_c sigmoid(s_ac)  (student, detached)
    loss = task + weight * ld

over the "main distillation region" P: the positive locations of the student's label assignment (FCOS's,
read from the ``head.positives`` probe), each weighted by the student's classification confidence, as the
authors' ``LDHead`` weights it (GFL's box-loss weight). T = 10 is the authors' temperature.

Left out, and said so: the valuable localisation region (VLR: LD on negatives whose anchor overlaps a box,
which needs ATSS's IoU-based assignment) and the authors' classification KD and feature imitation on the
main region (``det_kd`` and ``fg_hint`` are those ideas here). Normalisation differs: the authors sum over
the positives of the images on one GPU with the KL averaged over the ``n + 1`` bins and weight 0.25; that
sum grows with the batch's object count, so here it is a weighted mean over positives of the true KL
(summed over bins), and ``weight`` 1.0 is our default, not the paper's. Student and teacher need the same
locations and the same number of bins. Logged parts: ``task`` and ``ld`` (unweighted).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F

from distillbench.methods.base import DistillMethod, check_non_negative, check_positive, task_loss
from distillbench.methods.fitnet import get_feature
from distillbench.registry import METHODS
from distillbench.types import Batch, ModelOutput


@dataclass
class LDOptions:
    #: feature names (task card) of the (N, A, 4, n+1) edge logits and the student's (N, A) positive mask
    edges_feature: str = "edges"
    positives_feature: str = "positives"
    #: the authors' temperature
    temperature: float = 10.0
    #: weight of the LD term (the task loss keeps weight 1)
    weight: float = 1.0

    def __post_init__(self) -> None:
        check_positive(temperature=self.temperature)
        check_non_negative(weight=self.weight)


def edge_kl(student_edges: torch.Tensor, teacher_edges: torch.Tensor, temperature: float) -> torch.Tensor:
    """T² * KL(teacher || student) of (..., 4, n+1) edge logits, averaged over the 4 edges: shape (...)."""
    t = F.softmax(teacher_edges.detach().float() / temperature, dim=-1)
    log_s = F.log_softmax(student_edges.float() / temperature, dim=-1)
    kl = (torch.xlogy(t, t) - t * log_s).sum(-1)
    return kl.mean(-1) * temperature**2


def localization_distillation(
    student_edges: torch.Tensor,
    teacher_edges: torch.Tensor,
    positives: torch.Tensor,
    student_logits: torch.Tensor,
    temperature: float,
) -> torch.Tensor:
    """The confidence-weighted mean of :func:`edge_kl` over the positive locations (0 when there are none)."""
    if student_edges.shape != teacher_edges.shape:
        raise ValueError(
            f"student and teacher edge distributions differ in shape: {tuple(student_edges.shape)} vs "
            f"{tuple(teacher_edges.shape)} (ld needs the same FPN strides and edge_bins)"
        )
    pos = positives.bool()
    if pos.shape != student_edges.shape[:2]:
        raise ValueError(
            f"positive mask {tuple(pos.shape)} does not match the locations {tuple(student_edges.shape[:2])}"
        )
    w = torch.sigmoid(student_logits.detach().float()).amax(-1)[pos]
    per_location = edge_kl(student_edges[pos], teacher_edges[pos], temperature)
    return (w * per_location).sum() / w.sum().clamp_min(1e-6)


@METHODS.register("ld")
class LocalizationDistillation(DistillMethod):
    """KL on box-edge distributions at the student's positive locations (Zheng et al. 2022)."""

    Options: ClassVar[type] = LDOptions

    def feature_names(self) -> tuple[str, ...]:
        return (self.options.edges_feature, self.options.positives_feature)

    def loss(self, student: ModelOutput, teacher: ModelOutput | None, batch: Batch) -> dict[str, torch.Tensor]:
        if teacher is None:
            raise ValueError("ld needs the teacher's outputs")
        o = self.options
        task = task_loss(student)
        if o.positives_feature not in student.features:
            raise ValueError(
                f"ld: the student gave no {o.positives_feature!r} feature; map it to the detector's 'head.positives' "
                "probe (local:fcos with edge_bins > 0) and train it with ground-truth boxes"
            )
        ld = localization_distillation(
            get_feature(student, o.edges_feature, "student"),
            get_feature(teacher, o.edges_feature, "teacher"),
            student.features[o.positives_feature],
            student.logits,
            o.temperature,
        )
        return {"loss": task + o.weight * ld, "task": task, "ld": ld}
