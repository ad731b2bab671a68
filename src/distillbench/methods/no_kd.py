"""The student trained alone on its task loss: the baseline every distillation method is compared to.

No paper of its own: it is the "student" / "w/o KD" row of every distillation table, e.g. in
Tian, Krishnan & Isola (2020), "Contrastive Representation Distillation", ICLR 2020, arXiv:1910.10699.
"""

from __future__ import annotations

from typing import ClassVar

import torch

from distillbench.methods.base import DistillMethod, task_loss
from distillbench.registry import METHODS
from distillbench.types import Batch, ModelOutput


@METHODS.register("no_kd")
class NoKD(DistillMethod):
    """``loss = task``; no teacher is built or run."""

    needs_teacher: ClassVar[bool] = False

    def loss(self, student: ModelOutput, teacher: ModelOutput | None, batch: Batch) -> dict[str, torch.Tensor]:
        task = task_loss(student)
        return {"loss": task, "task": task}
