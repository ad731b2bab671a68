"""The distillation method contract (DESIGN.md, "Interfaces").

A method turns the student's and the teacher's :class:`ModelOutput` into a loss dict holding
``"loss"`` (what is minimised) and its named parts (logged). It reads intermediate features by
the names the task card maps to module paths, may own learnable projections (built in
:meth:`setup` from the first batch's shapes, then trained with the student), and declares
whether teacher outputs can be cached. It never owns the training loop or any measurement.

Beyond one loss over one fixed teacher (issue 19), a method may declare:

- ``needs_index``: it reads ``batch["index"]`` (each sample's row in the training split) and is told the
  split's size (``num_samples``) before :meth:`setup`, e.g. to keep a memory bank with one slot per sample (crd);
- state across steps: tensors registered with ``register_buffer`` (memory banks, moving averages,
  normalisation constants). They are part of ``state_dict()``, which the training loop checkpoints with
  the student's weights after every epoch and loads on resume, so a resumed run carries on with them;
- stages (:meth:`stages`): a schedule of losses over the epochs, e.g. FitNet's hint stage then its KD
  stage. The loop sets :attr:`stage` before each epoch and records which epochs each stage trained;
- the teacher it needs (``teacher_kind``): ``none`` (the student alone), ``fixed`` (the card's pretrained
  teacher, today's default), ``previous_generation`` (the previous generation of the student itself,
  born_again) or ``peers`` (students of the same architecture trained together, dml). For ``peers`` the
  loop trains the peers with the student and calls :meth:`peer_loss` instead of :meth:`loss`;
- ``ddp_ok``: False when its state cannot be kept in step across DDP processes (a memory bank updated from
  each process's own share of the batch); such a method refuses ``nproc > 1`` with a clear error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import torch
from torch import nn

from distillbench.types import Batch, ModelOutput


@dataclass
class NoOptions:
    """Methods without options."""


#: the teachers a method can ask for (see the module docstring)
TeacherKind = Literal["none", "fixed", "previous_generation", "peers"]
TEACHER_KINDS: tuple[str, ...] = ("none", "fixed", "previous_generation", "peers")


@dataclass(frozen=True)
class Stage:
    """One stage of a method's schedule: its name and how many epochs it trains (the last stage takes the rest)."""

    name: str
    epochs: int


def stage_at(stages: list[Stage], epoch: int) -> Stage:
    """The stage that trains the 0-based ``epoch`` (the last stage runs on to the end)."""
    end = 0
    for stage in stages:
        end += stage.epochs
        if epoch < end:
            return stage
    return stages[-1]


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
    #: the teacher it needs; None: "fixed" when ``needs_teacher``, else "none" (every method written before it)
    teacher_kind: ClassVar[TeacherKind | None] = None
    #: True when the loss reads ``batch["index"]``; the loop then sets ``num_samples`` before setup()
    needs_index: ClassVar[bool] = False
    #: False when its state cannot follow DDP training (see the module docstring)
    ddp_ok: ClassVar[bool] = True
    #: for a method that differs from the paper its name suggests: a short tag the leaderboard shows after the
    #: method's name (``tinybert (hybrid)``) and a note saying what it is; empty for methods as published
    caveat_tag: ClassVar[str] = ""
    caveat: ClassVar[str] = ""

    def __init__(self, options: Any = None) -> None:
        super().__init__()
        self.options = options if options is not None else self.Options()
        #: training progress, set by the training loop before each epoch (for warm-up schedules)
        self.epoch = 0
        self.epochs = 1
        #: the current stage's name, set by the training loop before each epoch
        self.stage = "train"
        #: the training split's size, set by the loop before setup() when ``needs_index``
        self.num_samples = 0

    @classmethod
    def teacher_needed(cls) -> str:
        """The teacher kind, with ``None`` resolved from ``needs_teacher``."""
        return cls.teacher_kind or ("fixed" if cls.needs_teacher else "none")

    def stages(self, epochs: int) -> list[Stage]:
        """The schedule of losses over ``epochs`` epochs; one stage by default."""
        return [Stage("train", epochs)]

    def on_epoch_start(self, epoch: int, epochs: int) -> None:
        """Called by the training loop before each epoch (0-based ``epoch`` of ``epochs``)."""
        self.epoch, self.epochs = epoch, epochs
        self.stage = stage_at(self.stages(epochs), epoch).name

    def rows(self) -> list[str]:
        """The table rows one card entry of this method yields: ``[""]`` is the method's own row; born_again yields
        one per generation plus an ensemble (``gen0``, ..., ``ensemble``), each a job of its own."""
        return [""]

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

    def num_peers(self) -> int:
        """For ``teacher_kind == "peers"``: how many models train together, the student counted."""
        return 1

    def peer_loss(self, outputs: list[ModelOutput], batch: Batch) -> dict[str, torch.Tensor]:
        """For ``teacher_kind == "peers"``: the loss of all peers together from their outputs (the student's first)."""
        raise NotImplementedError(f"{self.registry_name} trains no peers")

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


def check_positive(**values: float) -> None:
    """Raise ValueError naming the first option that is not > 0 (an options dataclass's ``__post_init__``)."""
    for name, value in values.items():
        if value <= 0:
            raise ValueError(f"{name} must be positive, got {value}")


def check_non_negative(**values: float) -> None:
    """Raise ValueError naming the first option that is < 0."""
    for name, value in values.items():
        if value < 0:
            raise ValueError(f"{name} must be non-negative, got {value}")


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
