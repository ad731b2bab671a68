"""The distillation method contract (DESIGN.md, "Interfaces").

A method turns the student's and the teacher's :class:`ModelOutput` into a loss dict holding
``"loss"`` (what is minimised) and its named parts (logged). It reads intermediate features by
the names the task card maps to module paths, may own learnable projections (built in
:meth:`setup` from the first batch's shapes, then trained with the student), and declares
whether teacher outputs can be cached. It never owns the training loop or any measurement.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import nn

from distillbench.types import Batch, ModelOutput


@dataclass
class NoOptions:
    """Methods without options."""


class DistillMethod(nn.Module):
    """Base class; subclasses register with ``@METHODS.register(name)`` and cite their paper."""

    registry_name: ClassVar[str]
    #: the options dataclass; YAML keys outside it are rejected
    Options: ClassVar[type] = NoOptions
    #: False for the student trained alone
    needs_teacher: ClassVar[bool] = True
    #: True when the loss reads only the teacher's outputs (its logits and the features it names) on
    #: un-augmented inputs, so they can be computed once and looked up per sample (teacher_outputs.py)
    cacheable_teacher: ClassVar[bool] = True
    #: True when the student trains on targets the teacher generates once (the adapter's ``teacher_targets``)
    teacher_targets: ClassVar[bool] = False

    def __init__(self, options: Any = None) -> None:
        super().__init__()
        self.options = options if options is not None else self.Options()
        #: training progress, set by the training loop before each epoch (for warm-up schedules)
        self.epoch = 0
        self.epochs = 1

    def on_epoch_start(self, epoch: int, epochs: int) -> None:
        """Called by the training loop before each epoch (0-based ``epoch`` of ``epochs``)."""
        self.epoch, self.epochs = epoch, epochs

    def feature_names(self) -> tuple[str, ...]:
        """Names of the features (task-card names) this method reads from both models."""
        return ()

    def sparse_teacher_ok(self) -> bool:
        """True when the loss accepts the teacher's top-k logits with the rest masked out (a sparse distribution),
        which is how the teacher-output cache stores a large class dimension (a translation vocabulary)."""
        return False

    def soft_temperatures(self) -> tuple[float, ...]:
        """Temperatures T at which the loss reads the teacher's ``log_softmax(logits / T)``; cached teacher outputs
        then deliver them precomputed (:attr:`ModelOutput.log_probs`) instead of per step."""
        return ()

    def setup(self, student: ModelOutput, teacher: ModelOutput | None) -> None:
        """Build learnable parts from the first batch's outputs (called once, before training)."""

    def loss(self, student: ModelOutput, teacher: ModelOutput | None, batch: Batch) -> dict[str, torch.Tensor]:
        raise NotImplementedError

    def class_logits(self, student: ModelOutput, teacher: ModelOutput | None) -> ModelOutput:
        """The teacher's output, after checking both models give (N, C) class logits of one shape."""
        if teacher is None:
            raise ValueError(f"{self.registry_name} needs the teacher's outputs")
        if student.logits.dim() != 2 or student.logits.shape != teacher.logits.shape:
            raise ValueError(
                f"{self.registry_name} needs (N, C) class logits of the same shape, got "
                f"{tuple(student.logits.shape)} and {tuple(teacher.logits.shape)}"
            )
        return teacher


def task_loss(student: ModelOutput) -> torch.Tensor:
    """The student's loss against the ground truth (every method needs it)."""
    if student.loss is None:
        raise ValueError("the adapter returned no task loss: the batch has no targets")
    return student.loss


def build_method(name: str, options: dict[str, Any] | None = None, where: str = "") -> DistillMethod:
    """Build a registered method from its YAML options (unknown keys rejected)."""
    from distillbench.config import from_dict
    from distillbench.registry import METHODS

    cls = METHODS.get(name)
    opts = from_dict(cls.Options, options or {}, where=where or f"method {name!r}")
    return cls(opts)
