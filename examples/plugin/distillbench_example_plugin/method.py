"""``logit_l2``: the student regresses the teacher's logits with a squared error.

Ba & Caruana (2014), "Do Deep Nets Really Need to be Deep?", NeurIPS 2014, arXiv:1312.6184, section 2.2:
a shallow "mimic" net is trained on the deep net's logits (before the softmax) with an L2 loss instead of on
the labels, because the logits keep the relations between classes that the softmax squashes.

    loss = (1 - alpha) * task + alpha * mean((s - t)^2)

over classes and samples. ``alpha: 1`` (the default) is the paper's setting: labels are not used.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F

from distillbench.methods.base import DistillMethod, task_loss
from distillbench.registry import METHODS
from distillbench.types import Batch, ModelOutput


@dataclass
class LogitL2Options:
    #: weight of the logit regression; the task loss gets ``1 - alpha``
    alpha: float = 1.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.alpha <= 1.0:
            raise ValueError(f"alpha must be in [0, 1], got {self.alpha}")


@METHODS.register("logit_l2")
class LogitL2(DistillMethod):
    """Logit regression (Ba & Caruana 2014): L2 between the student's and the teacher's logits."""

    Options: ClassVar[type] = LogitL2Options

    def loss(self, student: ModelOutput, teacher: ModelOutput | None, batch: Batch) -> dict[str, torch.Tensor]:
        teacher = self.class_logits(student, teacher)  # checks both give (N, C) logits of one shape
        task = task_loss(student)
        l2 = F.mse_loss(student.logits.float(), teacher.logits.detach().float())
        return {"loss": (1.0 - self.options.alpha) * task + self.options.alpha * l2, "task": task, "l2": l2}
