"""Patient knowledge distillation: the student also learns the teacher's intermediate [CLS] states.

Sun, Cheng, Gan & Liu (2019), "Patient Knowledge Distillation for BERT Model Compression",
EMNLP-IJCNLP 2019, arXiv:1908.09355.

For each mapped pair (student layer j, teacher layer I(j)), the [CLS] (first-token) hidden states
are L2-normalised and their squared difference is taken:

    PT   = mean over pairs, samples and dimensions of (h_s / ||h_s|| - h_t / ||h_t||)²
    loss = (1 - alpha) * task + alpha * T² * KL(softmax(t / T) || softmax(s / T)) + beta * PT

The paper writes PT as a sum of squared L2 norms over samples and layers; the authors' code
(github.com/intersun/PKD-for-BERT-Model-Compression, ``patience_loss``) takes the mean over every
element, which is what ``beta`` was tuned against, so the mean is used here (= the sum / (pairs x
samples x width)). The KL term is ``kd``'s (T² kept).

Layer maps (``layers``), for a student of M and a teacher of N layers; only the student's first M-1
layers are mapped — its last one is taught through the logits:

- ``skip`` (PKD-Skip): I(j) = j * N / M, rounded half up (6 of 12: teacher layers 2, 4, 6, 8, 10);
- ``last`` (PKD-Last): I(j) = N - M + j (6 of 12: teacher layers 7, 8, 9, 10, 11);
- or an explicit list of [student_layer, teacher_layer] pairs (1..L = layer outputs, 0 = embeddings).

The paper's students share the teacher's width; when the widths differ (a narrower random-init
student), a Linear projection per pair, built in :meth:`setup` and trained with the student, maps the
student's [CLS] state to the teacher's width before the normalisation (an extension). The paper
searched T in {5, 10, 20}, alpha in {0.2, 0.5, 0.7} and beta in {10, 100, 500, 1000} per task; the
defaults here are points of that grid (T 10, alpha 0.5, beta 100), not a published single setting.

Features: the stacked hidden states (L+1, N, T, D) under ``hidden_feature`` (the ``hidden_states``
probe of ``models/hf_text.py``). Logged parts: ``task``, ``kd`` and ``patience`` (unweighted).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from distillbench.methods.base import DistillMethod, check_positive, task_loss
from distillbench.methods.fitnet import get_feature
from distillbench.methods.kd import soft_kl
from distillbench.registry import METHODS
from distillbench.types import Batch, ModelOutput


@dataclass
class PKDOptions:
    #: feature name (task card) of the stacked hidden states (L+1, N, T, D)
    hidden_feature: str = "hidden"
    #: "skip" (PKD-Skip), "last" (PKD-Last) or a list of [student_layer, teacher_layer] pairs
    layers: str | list[list[int]] = "skip"
    #: weight of the KD term; the task loss gets 1 - alpha
    alpha: float = 0.5
    temperature: float = 10.0
    #: weight of the patient (normalised [CLS]) term
    beta: float = 100.0

    def __post_init__(self) -> None:
        if isinstance(self.layers, str) and self.layers not in ("skip", "last"):
            raise ValueError(f"layers must be 'skip', 'last' or [student, teacher] pairs, got {self.layers!r}")
        if isinstance(self.layers, list) and (not self.layers or any(len(p) != 2 or min(p) < 0 for p in self.layers)):
            raise ValueError(f"layers must be non-empty [student, teacher] pairs of indices >= 0, got {self.layers}")
        if not 0.0 <= self.alpha <= 1.0:
            raise ValueError(f"alpha must be in [0, 1], got {self.alpha}")
        check_positive(temperature=self.temperature)
        if self.beta < 0:
            raise ValueError(f"beta must be >= 0, got {self.beta}")


def pkd_layer_pairs(layers: str | list[list[int]], n_student: int, n_teacher: int) -> list[tuple[int, int]]:
    """(student, teacher) hidden-state indices (1..L = layer outputs) of PKD-Skip, PKD-Last or an explicit map."""
    if isinstance(layers, str):
        if n_student > n_teacher:
            raise ValueError(f"pkd maps a shallower student; got {n_student} vs {n_teacher} layers")
        if n_student < 2:
            raise ValueError("pkd needs a student of at least 2 layers (its last layer is taught by the logits)")
        if layers == "skip":  # j * N / M rounded half up
            return [(j, (2 * j * n_teacher + n_student) // (2 * n_student)) for j in range(1, n_student)]
        return [(j, n_teacher - n_student + j) for j in range(1, n_student)]
    pairs = [(int(s), int(t)) for s, t in layers]
    bad = [p for p in pairs if p[0] > n_student or p[1] > n_teacher]
    if bad:
        raise ValueError(f"layer pairs {bad} exceed the depths (student {n_student}, teacher {n_teacher} layers)")
    return pairs


def patience_loss(s_cls: torch.Tensor, t_cls: torch.Tensor) -> torch.Tensor:
    """Mean squared difference of L2-normalised (..., D) vectors."""
    return (F.normalize(s_cls.float(), dim=-1) - F.normalize(t_cls.float(), dim=-1)).pow(2).mean()


@METHODS.register("pkd")
class PatientKD(DistillMethod):
    """Patient KD (Sun et al. 2019): normalised [CLS] states of mapped intermediate layers + logit KD + CE."""

    Options: ClassVar[type] = PKDOptions
    cacheable_teacher: ClassVar[bool] = False

    def __init__(self, options: PKDOptions | None = None) -> None:
        super().__init__(options)
        self.pairs: list[tuple[int, int]] = []
        self.projections = nn.ModuleList()

    def feature_names(self) -> tuple[str, ...]:
        return (self.options.hidden_feature,)

    def _hidden(self, output: ModelOutput | None, role: str) -> torch.Tensor:
        h = get_feature(output, self.options.hidden_feature, role)
        if h.dim() != 4:
            raise ValueError(
                f"pkd: {self.options.hidden_feature!r} must be stacked hidden states (L+1, N, T, D), got "
                f"{tuple(h.shape)}; map it to the model's 'hidden_states' probe"
            )
        return h

    def setup(self, student: ModelOutput, teacher: ModelOutput | None) -> None:
        hs, ht = self._hidden(student, "student"), self._hidden(teacher, "teacher")
        self.pairs = pkd_layer_pairs(self.options.layers, hs.shape[0] - 1, ht.shape[0] - 1)
        d_s, d_t = hs.shape[-1], ht.shape[-1]
        self.projections = nn.ModuleList([nn.Identity() if d_s == d_t else nn.Linear(d_s, d_t) for _ in self.pairs]).to(
            hs.device
        )

    def loss(self, student: ModelOutput, teacher: ModelOutput | None, batch: Batch) -> dict[str, torch.Tensor]:
        if not self.pairs:
            raise RuntimeError("pkd: setup() must be called with the first batch before loss()")
        o = self.options
        hs, ht = self._hidden(student, "student"), self._hidden(teacher, "teacher").detach()
        s_cls = torch.stack([proj(hs[s, :, 0]) for proj, (s, _) in zip(self.projections, self.pairs, strict=True)])
        t_cls = torch.stack([ht[t, :, 0] for _, t in self.pairs])
        patience = patience_loss(s_cls, t_cls)
        kd = soft_kl(student.logits, teacher.logits, o.temperature)
        task = task_loss(student)
        total = (1.0 - o.alpha) * task + o.alpha * kd + o.beta * patience
        return {"loss": total, "task": task, "kd": kd, "patience": patience}
