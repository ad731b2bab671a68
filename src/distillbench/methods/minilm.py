"""MiniLM: deep self-attention distillation of the last layer's attention distributions and value relations.

Wang, Wei, Dong, Bao, Yang & Zhou (2020), "MiniLM: Deep Self-Attention Distillation for
Task-Agnostic Compression of Pre-Trained Transformers", NeurIPS 2020, arXiv:2002.10957.

Only the last Transformer layer of each model is used, so the depths need not match:

- attention transfer: L_AT = KL(A_t || A_s) of the self-attention distributions, summed over keys and
  averaged over heads and valid (non-padding) queries;
- value-relation transfer: with the values V of that layer split into heads, VR = softmax(V V^T /
  sqrt(d_head)) over the valid keys; L_VR = KL(VR_t || VR_s), reduced the same way.

    loss = ce_weight * task + attention_weight * L_AT + value_weight * L_VR + kd_weight * T² KL(logits)

The value relations are |x| x |x| per head, so the widths may differ. MiniLM needs the same number
of heads on both sides; when they differ, the attention maps are compared head-averaged (as in
``tinybert``) and ``relation_heads`` splits both models' values into that many relation heads (the
approach of MiniLMv2, Wang et al. 2021, arXiv:2012.15828); with ``relation_heads: 0`` each model's
own head count is used and must match.

The paper distils task-agnostically during pre-training and then fine-tunes; here the transfer runs in
one stage on the task, with the task loss (and optional logit KD) alongside.

Features (task card): ``attention_feature`` is the stacked attention distributions (L, N, H, T, T)
of ``models/hf_text.py``'s ``attentions`` probe (the last layer is taken), and ``value_feature`` is
read with a forward hook on the last layer's value projection, a Linear whose output is V (N, T, D):
for a BERT encoder inside the text classifier its module path is
``encoder.encoder.layer.<L-1>.attention.self.value``. Padding comes from the batch's
``attention_mask``. Logged parts: ``task``, ``attention``, ``value`` and ``kd`` (unweighted).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import torch

from distillbench.methods.base import DistillMethod, check_positive, task_loss
from distillbench.methods.fitnet import get_feature
from distillbench.methods.hidden import attention_kl
from distillbench.methods.kd import soft_kl
from distillbench.registry import METHODS
from distillbench.types import Batch, ModelOutput


@dataclass
class MiniLMOptions:
    #: feature names (task card): stacked attentions (L, N, H, T, T) and the last layer's values (N, T, D)
    attention_feature: str = "attention"
    value_feature: str = "value"
    attention_weight: float = 1.0
    value_weight: float = 1.0
    #: heads the values are split into for the relations; 0 = each model's own (must match)
    relation_heads: int = 0
    kd_weight: float = 0.0
    temperature: float = 1.0
    ce_weight: float = 1.0

    def __post_init__(self) -> None:
        if min(self.attention_weight, self.value_weight, self.kd_weight, self.ce_weight) < 0:
            raise ValueError("minilm weights must be >= 0")
        if self.attention_weight == 0 and self.value_weight == 0:
            raise ValueError("minilm: attention_weight and value_weight are both 0")
        if self.relation_heads < 0:
            raise ValueError(f"relation_heads must be >= 0, got {self.relation_heads}")
        check_positive(temperature=self.temperature)


def value_relation(values: torch.Tensor, heads: int, mask: torch.Tensor | None) -> torch.Tensor:
    """(N, T, D) values -> (N, heads, T, T) softmax(V_h V_h^T / sqrt(d_head)) over the valid keys."""
    n, t, d = values.shape
    if d % heads:
        raise ValueError(f"minilm: a width of {d} cannot be split into {heads} relation heads")
    v = values.float().view(n, t, heads, d // heads).transpose(1, 2)
    scores = v @ v.transpose(-1, -2) / math.sqrt(d // heads)
    if mask is not None:
        scores = scores.masked_fill(~mask.bool()[:, None, None, :], float("-inf"))
    return torch.softmax(scores, dim=-1)


@METHODS.register("minilm")
class MiniLM(DistillMethod):
    """MiniLM (Wang et al. 2020): last-layer self-attention distribution and value-relation KL."""

    Options: ClassVar[type] = MiniLMOptions
    cacheable_teacher: ClassVar[bool] = False

    def feature_names(self) -> tuple[str, ...]:
        o = self.options
        names = [o.attention_feature] if o.attention_weight > 0 or o.relation_heads == 0 else []
        return tuple(names + ([o.value_feature] if o.value_weight > 0 else []))

    def _last_attention(self, output: ModelOutput | None, role: str) -> torch.Tensor:
        a = get_feature(output, self.options.attention_feature, role)
        if a.dim() != 5:
            raise ValueError(
                f"minilm: {self.options.attention_feature!r} must be stacked attentions (L, N, H, T, T), got "
                f"{tuple(a.shape)}; map it to the model's 'attentions' probe"
            )
        return a[-1]

    def _values(self, output: ModelOutput | None, role: str) -> torch.Tensor:
        v = get_feature(output, self.options.value_feature, role)
        if v.dim() != 3:
            raise ValueError(
                f"minilm: {self.options.value_feature!r} must be the last layer's values (N, T, D), got "
                f"{tuple(v.shape)}; map it to the last layer's value projection "
                "(e.g. encoder.encoder.layer.<L-1>.attention.self.value)"
            )
        return v

    def _heads(self, student: ModelOutput, teacher: ModelOutput | None) -> tuple[int, int]:
        if self.options.relation_heads:
            return self.options.relation_heads, self.options.relation_heads
        hs = self._last_attention(student, "student").shape[1]
        ht = self._last_attention(teacher, "teacher").shape[1]
        if hs != ht:
            raise ValueError(
                f"minilm: the student has {hs} attention heads and the teacher {ht}; set relation_heads "
                "(a number dividing both widths) to compare value relations"
            )
        return hs, ht

    def loss(self, student: ModelOutput, teacher: ModelOutput | None, batch: Batch) -> dict[str, torch.Tensor]:
        if teacher is None:
            raise ValueError("minilm needs the teacher's outputs")
        o = self.options
        mask = batch.get("attention_mask")
        task = task_loss(student)
        zero = task.new_zeros(())
        parts = {"task": task, "attention": zero, "value": zero, "kd": zero}
        if o.attention_weight > 0:
            a_s, a_t = self._last_attention(student, "student"), self._last_attention(teacher, "teacher").detach()
            parts["attention"] = attention_kl(a_s, a_t, mask)
        if o.value_weight > 0:
            heads_s, heads_t = self._heads(student, teacher)
            vr_s = value_relation(self._values(student, "student"), heads_s, mask)
            vr_t = value_relation(self._values(teacher, "teacher").detach(), heads_t, mask)
            parts["value"] = attention_kl(vr_s, vr_t, mask)
        if o.kd_weight > 0:
            parts["kd"] = soft_kl(student.logits, teacher.logits, o.temperature)
        total = (
            o.ce_weight * task
            + o.attention_weight * parts["attention"]
            + o.value_weight * parts["value"]
            + o.kd_weight * parts["kd"]
        )
        return {"loss": total, **parts}
