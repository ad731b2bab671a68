"""Born-again networks: generations of one architecture, each distilled from the one before.

Furlanello, Lipton, Tschannen, Itti & Anandkumar (2018), "Born Again Neural Networks", ICML 2018,
arXiv:1805.04770.

Generation 0 is the student's architecture trained normally on the labels (no teacher; the card's teacher
is not used). Generation k >= 1 has the same architecture, starts from fresh random weights and is trained
to match generation k-1's output distribution (the paper's eq. 1, the cross-entropy between the teacher's
and the student's outputs, here as the KL divergence, which has the same gradient):

    L_k = (1 - alpha) * CE + alpha * T² * KL(softmax(z_{k-1} / T) || softmax(z_k / T))

with the paper's defaults alpha = 1 (the teacher's outputs only; alpha < 1 adds the labels, the paper's
"BAN+L" variant) and T = 1. Each generation learns from its predecessor's validation-selected epoch
(the card's ``select``), as students learn from the teacher's. The ensemble row is the paper's BAN
ensemble: the average of the predicted class distributions of generations 1..``generations``
(generation 0, the teacher, is left out, as in the paper).

Every generation and the ensemble is a job and a row of its own (``born_again/gen0``, ``born_again/gen1``,
..., ``born_again/ensemble``); the generations are cached per seed (the worker's generations.py), so each
is trained once however many rows need it. Generation k of seed s draws its initial weights from seed
s + 10007 * k (gen 0 from s itself, so it is the ``no_kd`` student of seed s).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch

from distillbench.methods.base import DistillMethod, task_loss
from distillbench.methods.kd import soft_kl
from distillbench.registry import METHODS
from distillbench.types import Batch, ModelOutput

#: generation k of seed s is initialised from seed s + SEED_STRIDE * k
SEED_STRIDE = 10007
ENSEMBLE = "ensemble"


@dataclass
class BornAgainOptions:
    #: generations after generation 0 (the paper trains sequences of up to 3 on CIFAR-100)
    generations: int = 3
    #: weight of the distillation term; 1 trains on the previous generation's outputs alone (the paper's BAN)
    alpha: float = 1.0
    #: softmax temperature (1 in the paper)
    temperature: float = 1.0
    #: add the ensemble of generations 1..N as a row
    ensemble: bool = True

    def __post_init__(self) -> None:
        if self.generations < 1:
            raise ValueError(f"born_again needs at least 1 generation after generation 0, got {self.generations}")
        if not 0.0 <= self.alpha <= 1.0 or self.temperature <= 0:
            raise ValueError(f"born_again needs alpha in [0, 1], temperature > 0; got {self.alpha}, {self.temperature}")


def generation_of(row: str) -> int | None:
    """``gen3`` -> 3; ``ensemble`` -> None; anything else is an error."""
    if row == ENSEMBLE:
        return None
    if row.startswith("gen") and row[3:].isdigit():
        return int(row[3:])
    raise ValueError(f"born_again has rows gen<k> and {ENSEMBLE!r}, not {row!r}")


def generation_seed(seed: int, generation: int) -> int:
    return seed + SEED_STRIDE * generation


@METHODS.register("born_again")
class BornAgain(DistillMethod):
    """BAN (Furlanello et al. 2018): the loss of generation k >= 1, with generation k-1 as the teacher."""

    Options: ClassVar[type] = BornAgainOptions
    teacher_kind: ClassVar[str] = "previous_generation"
    #: the teacher (the previous generation) differs per seed and generation: it runs online
    cacheable_teacher: ClassVar[bool] = False

    def rows(self) -> list[str]:
        gens = [f"gen{k}" for k in range(self.options.generations + 1)]
        return gens + ([ENSEMBLE] if self.options.ensemble else [])

    def loss(self, student: ModelOutput, teacher: ModelOutput | None, batch: Batch) -> dict[str, torch.Tensor]:
        o = self.options
        teacher = self.class_logits(student, teacher)
        task = task_loss(student)
        kd = soft_kl(student.logits, teacher.logits, o.temperature)
        return {"loss": (1.0 - o.alpha) * task + o.alpha * kd, "task": task, "kd": kd}
