"""Sequence-level knowledge distillation, alone and combined with word-level KD.

Kim & Rush (2016), "Sequence-Level Knowledge Distillation", EMNLP 2016, arXiv:1606.07947.

- ``seq_kd`` (sec. 3.2): the student is trained with the ordinary cross-entropy, but on the teacher's
  beam-search translations of the training sources instead of the references. The task adapter decodes
  them once and caches them beside the teacher (``teacher_targets``); the teacher is not run while the
  student trains, so a seq-KD student costs what a plain one does.
- ``seq_kd_word`` (sec. 3.3, "Seq-KD + Word-KD"): on those teacher targets, add word-level KD —
  the per-token KL divergence to the teacher's softened distribution (Hinton et al. 2015), as ``kd``:

      loss = (1 - alpha) * task + alpha * T² * KL(softmax(t / T) || softmax(s / T)), over target tokens.
"""

from __future__ import annotations

from typing import ClassVar

import torch

from distillbench.methods.base import DistillMethod, NoOptions, task_loss
from distillbench.methods.kd import HintonKD
from distillbench.registry import METHODS
from distillbench.types import Batch, ModelOutput


@METHODS.register("seq_kd")
class SeqKD(DistillMethod):
    """Cross-entropy on the teacher's beam outputs (the teacher only decodes, once, before training)."""

    Options: ClassVar[type] = NoOptions
    needs_teacher: ClassVar[bool] = False
    teacher_targets: ClassVar[bool] = True

    def loss(self, student: ModelOutput, teacher: ModelOutput | None, batch: Batch) -> dict[str, torch.Tensor]:
        task = task_loss(student)
        return {"loss": task, "task": task}


@METHODS.register("seq_kd_word")
class SeqWordKD(HintonKD):
    """Word-level KD on the teacher's beam outputs: Kim & Rush's Seq-KD + Word-KD (``kd``'s loss)."""

    teacher_targets: ClassVar[bool] = True
