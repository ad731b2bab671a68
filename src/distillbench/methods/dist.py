"""DIST: distil the inter-class and intra-class relations of the predictions with Pearson correlation.

Huang, You, Wang, Qian & Xu (2022), "Knowledge Distillation from A Stronger Teacher", NeurIPS 2022,
arXiv:2205.10536.

With Y = softmax(logits / tau) as an (N, C) matrix and rho the Pearson correlation coefficient
(cosine similarity of mean-centred vectors, eps = 1e-8 in the denominator as in the authors' code,
github.com/hunto/image_classification_sota ``lib/models/losses/dist_kd.py``):

- inter-class relation: L_inter = tau² * (1 - mean over samples i of rho(Y^s_i,:, Y^t_i,:));
- intra-class relation: L_intra = tau² * (1 - mean over classes j of rho(Y^s_:,j, Y^t_:,j)).

    loss = ce_weight * task + beta * L_inter + gamma * L_intra

Defaults are the paper's ImageNet setting (beta = gamma = tau = 1, CE weight 1). Exact matching is
relaxed to matching relations (invariant to shifts and positive scalings of each row/column), which
the paper argues suits a much stronger teacher. Classification only: (N, C) logits.
Logged parts: ``task``, ``inter`` and ``intra`` (unweighted, each including tau²).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch

from distillbench.methods.base import DistillMethod, check_positive, task_loss
from distillbench.registry import METHODS
from distillbench.types import Batch, ModelOutput


@dataclass
class DISTOptions:
    #: weight of the inter-class (per-sample) relation
    beta: float = 1.0
    #: weight of the intra-class (per-class, over the batch) relation
    gamma: float = 1.0
    #: softmax temperature tau
    temperature: float = 1.0
    ce_weight: float = 1.0

    def __post_init__(self) -> None:
        check_positive(temperature=self.temperature)
        if min(self.beta, self.gamma, self.ce_weight) < 0:
            raise ValueError("dist weights must be >= 0")


def pearson_rows(a: torch.Tensor, b: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Pearson correlation of each row of a with the same row of b: (N, C), (N, C) -> (N,)."""
    a = a - a.mean(1, keepdim=True)
    b = b - b.mean(1, keepdim=True)
    return (a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1) + eps)


def dist_terms(
    student_logits: torch.Tensor, teacher_logits: torch.Tensor, temperature: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """(L_inter, L_intra) of a batch of (N, C) logits, both multiplied by tau²."""
    ys = torch.softmax(student_logits.float() / temperature, dim=1)
    yt = torch.softmax(teacher_logits.detach().float() / temperature, dim=1)
    inter = 1.0 - pearson_rows(ys, yt).mean()
    intra = 1.0 - pearson_rows(ys.t(), yt.t()).mean()
    return inter * temperature**2, intra * temperature**2


@METHODS.register("dist")
class DIST(DistillMethod):
    """DIST (Huang et al. 2022): Pearson-correlation matching of inter- and intra-class prediction relations."""

    Options: ClassVar[type] = DISTOptions

    def loss(self, student: ModelOutput, teacher: ModelOutput | None, batch: Batch) -> dict[str, torch.Tensor]:
        teacher = self.class_logits(student, teacher)
        o = self.options
        inter, intra = dist_terms(student.logits, teacher.logits, o.temperature)
        task = task_loss(student)
        total = o.ce_weight * task + o.beta * inter + o.gamma * intra
        return {"loss": total, "task": task, "inter": inter, "intra": intra}
