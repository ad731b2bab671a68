"""A hybrid intermediate-layer distillation for Transformer encoders (registered as ``tinybert``).

Not TinyBERT as published: it combines TinyBERT's hidden-state MSE, MiniLM's attention-distribution
KL (TinyBERT regresses the unnormalised attention scores) and optional logit KD, in one stage, where
TinyBERT trains in two stages (general then task-specific distillation, with data augmentation). For
the methods as published see ``pkd`` and ``minilm``; the registry name stays ``tinybert`` so that
existing cards and results keep working.

After TinyBERT (Jiao et al. 2020, "TinyBERT: Distilling BERT for Natural Language Understanding",
Findings of EMNLP 2020, arXiv:1909.10351) and MiniLM (Wang et al. 2020, "MiniLM:
Deep Self-Attention Distillation for Task-Agnostic Compression of Pre-Trained Transformers",
NeurIPS 2020, arXiv:2002.10957), in one stage with the task loss:

    loss = ce_weight * task + hidden_weight * H + attention_weight * A + kd_weight * T² KL(logits)

- ``H`` (TinyBERT eq. 8-9): for every mapped pair (student layer m, teacher layer g(m)), the MSE
  between ``W_m h_m`` and the teacher's ``h_g(m)``, averaged over feature dimensions and the valid
  (non-padding) tokens, then over pairs. ``W_m`` is a learned Linear when the widths differ (one per
  pair), the identity otherwise. Index 0 is the embedding layer's output.
- ``A`` (MiniLM eq. 4-5): ``KL(teacher || student)`` of the self-attention distributions of each
  mapped pair of (non-embedding) layers, summed over keys and averaged over heads and valid query
  positions, then over pairs. TinyBERT instead regresses the unnormalised scores with MSE; MiniLM
  shows the distributions transfer better. When the head counts differ, the head-averaged maps are
  compared (a mean of distributions is a distribution).
- the layer mapping: ``layers: uniform`` pairs student layer m with teacher layer m·Lt/Ls (TinyBERT's
  g(m) = m·N/M, rounded half up when Lt is not a multiple of Ls, e.g. 4 of 6 -> 2, 3, 5, 6; with
  0 -> 0 for the embeddings when ``include_embeddings``); or an explicit list of
  ``[student_layer, teacher_layer]`` pairs (0 = embeddings, 1..L = layer outputs).

Features: the models expose two names declared in the task card (see ``models/hf_text.py``): the
stacked hidden states (L+1, N, T, D) under ``hidden_feature`` and the stacked attention
distributions (L, N, H, T, T) under ``attention_feature``. Padding comes from the batch's
``attention_mask``. Logged parts: ``task``, ``hidden``, ``attention`` and ``kd`` (unweighted).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import nn

from distillbench.methods.base import DistillMethod, check_positive, task_loss
from distillbench.methods.fitnet import get_feature
from distillbench.methods.kd import soft_kl
from distillbench.registry import METHODS
from distillbench.types import Batch, ModelOutput

EPS = 1e-12


@dataclass
class HiddenOptions:
    #: feature names (task card) of the stacked hidden states and attention distributions
    hidden_feature: str = "hidden"
    attention_feature: str = "attention"
    #: "uniform" or a list of [student_layer, teacher_layer] pairs (0 = embeddings)
    layers: str | list[list[int]] = "uniform"
    #: with "uniform": also match the embedding outputs (0 -> 0)
    include_embeddings: bool = True
    hidden_weight: float = 1.0
    attention_weight: float = 1.0
    kd_weight: float = 0.0
    temperature: float = 1.0
    ce_weight: float = 1.0

    def __post_init__(self) -> None:
        if isinstance(self.layers, str) and self.layers != "uniform":
            raise ValueError(f"layers must be 'uniform' or a list of [student, teacher] pairs, got {self.layers!r}")
        if isinstance(self.layers, list) and (not self.layers or any(len(p) != 2 or min(p) < 0 for p in self.layers)):
            raise ValueError(f"layers must be non-empty [student, teacher] pairs of indices >= 0, got {self.layers}")
        weights = (self.hidden_weight, self.attention_weight, self.kd_weight, self.ce_weight)
        if min(weights) < 0:
            raise ValueError("weights must be >= 0")
        if self.hidden_weight == 0 and self.attention_weight == 0:
            raise ValueError("hidden_weight and attention_weight are both 0: nothing intermediate to distil")
        check_positive(temperature=self.temperature)


def layer_pairs(
    layers: str | list[list[int]], n_student: int, n_teacher: int, embeddings: bool
) -> list[tuple[int, int]]:
    """(student, teacher) hidden-state indices; 0 = embeddings, 1..L = layer outputs."""
    if layers == "uniform":
        if n_student > n_teacher:
            raise ValueError(f"layers 'uniform' maps a shallower student; got {n_student} vs {n_teacher} layers")
        # g(m) = m * N / M, rounded half up when N is not a multiple of M (the last layers always meet)
        pairs = [(m, (2 * m * n_teacher + n_student) // (2 * n_student)) for m in range(1, n_student + 1)]
        return [(0, 0), *pairs] if embeddings else pairs
    pairs = [(int(s), int(t)) for s, t in layers]
    bad = [p for p in pairs if p[0] > n_student or p[1] > n_teacher]
    if bad:
        raise ValueError(f"layer pairs {bad} exceed the depths (student {n_student}, teacher {n_teacher} layers)")
    return pairs


def masked_mse(s: torch.Tensor, t: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """MSE of (N, T, D) tensors averaged over D and the valid positions of ``mask`` (N, T)."""
    sq = (s.float() - t.float()).pow(2).mean(-1)
    if mask is None:
        return sq.mean()
    m = mask.to(sq.dtype)
    return (sq * m).sum() / m.sum().clamp_min(1)


def attention_kl(s: torch.Tensor, t: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """KL(t || s) of (N, H, T, T) attention distributions: sum over keys, mean over heads and valid queries."""
    s, t = s.float(), t.float()
    if s.shape[1] != t.shape[1]:
        s, t = s.mean(1, keepdim=True), t.mean(1, keepdim=True)
    kl = (torch.xlogy(t, t) - t * s.clamp_min(EPS).log()).sum(-1).mean(1)  # (N, T)
    if mask is None:
        return kl.mean()
    if mask.shape != kl.shape:
        raise ValueError(f"attention mask {tuple(mask.shape)} does not match attention maps {tuple(s.shape)}")
    m = mask.to(kl.dtype)
    return (kl * m).sum() / m.sum().clamp_min(1)


@METHODS.register("tinybert")
class IntermediateLayerKD(DistillMethod):
    """Hybrid (not TinyBERT as published): TinyBERT hidden-state MSE + MiniLM attention KL + optional logit KD."""

    Options: ClassVar[type] = HiddenOptions
    cacheable_teacher: ClassVar[bool] = False
    caveat_tag: ClassVar[str] = "hybrid"
    caveat: ClassVar[str] = (
        "not TinyBERT as published: TinyBERT's hidden-state MSE + MiniLM's attention-distribution KL + logit KD, "
        "in one stage (TinyBERT regresses unnormalised attention scores and trains in two stages); pkd and minilm "
        "are published methods"
    )

    def __init__(self, options: HiddenOptions | None = None) -> None:
        super().__init__(options)
        self.projections = nn.ModuleList()
        self.pairs: list[tuple[int, int]] = []

    def feature_names(self) -> tuple[str, ...]:
        o = self.options
        return tuple(
            name
            for name, weight in ((o.hidden_feature, o.hidden_weight), (o.attention_feature, o.attention_weight))
            if weight > 0
        )

    def _depths(self, student: ModelOutput, teacher: ModelOutput | None) -> tuple[int, int, int, int]:
        o = self.options
        if o.hidden_weight > 0:
            hs, ht = (
                get_feature(student, o.hidden_feature, "student"),
                get_feature(teacher, o.hidden_feature, "teacher"),
            )
            if hs.dim() != 4 or ht.dim() != 4:
                raise ValueError(
                    f"tinybert: {o.hidden_feature!r} must be stacked hidden states (L+1, N, T, D), got "
                    f"{tuple(hs.shape)} and {tuple(ht.shape)}; map it to the model's 'hidden_states' probe"
                )
            return hs.shape[0] - 1, ht.shape[0] - 1, hs.shape[-1], ht.shape[-1]
        a_s, a_t = (
            get_feature(student, o.attention_feature, "student"),
            get_feature(teacher, o.attention_feature, "teacher"),
        )
        if a_s.dim() != 5 or a_t.dim() != 5:
            raise ValueError(f"tinybert: {o.attention_feature!r} must be stacked attentions (L, N, H, T, T)")
        return a_s.shape[0], a_t.shape[0], 0, 0

    def setup(self, student: ModelOutput, teacher: ModelOutput | None) -> None:
        o = self.options
        n_s, n_t, d_s, d_t = self._depths(student, teacher)
        self.pairs = layer_pairs(o.layers, n_s, n_t, o.include_embeddings)
        device = student.logits.device
        self.projections = nn.ModuleList(
            [nn.Identity() if d_s == d_t else nn.Linear(d_s, d_t) for _ in self.pairs] if o.hidden_weight > 0 else []
        ).to(device)

    def loss(self, student: ModelOutput, teacher: ModelOutput | None, batch: Batch) -> dict[str, torch.Tensor]:
        if not self.pairs:
            raise RuntimeError("tinybert: setup() must be called with the first batch before loss()")
        o = self.options
        if teacher is None:
            raise ValueError("tinybert needs the teacher's outputs")
        mask = batch.get("attention_mask")
        task = task_loss(student)
        zero = task.new_zeros(())
        parts = {"task": task, "hidden": zero, "attention": zero, "kd": zero}
        if o.hidden_weight > 0:
            hs, ht = student.features[o.hidden_feature], teacher.features[o.hidden_feature].detach()
            terms = [
                masked_mse(proj(hs[s]), ht[t], mask) for proj, (s, t) in zip(self.projections, self.pairs, strict=True)
            ]
            parts["hidden"] = torch.stack(terms).mean()
        if o.attention_weight > 0:
            a_s, a_t = student.features[o.attention_feature], teacher.features[o.attention_feature].detach()
            terms = [attention_kl(a_s[s - 1], a_t[t - 1], mask) for s, t in self.pairs if s > 0 and t > 0]
            if not terms:
                raise ValueError(f"tinybert: no non-embedding layer pair to compare attentions in {self.pairs}")
            parts["attention"] = torch.stack(terms).mean()
        if o.kd_weight > 0:
            parts["kd"] = soft_kl(student.logits, teacher.logits, o.temperature)
        total = (
            o.ce_weight * task
            + o.hidden_weight * parts["hidden"]
            + o.attention_weight * parts["attention"]
            + o.kd_weight * parts["kd"]
        )
        return {"loss": total, **parts}
