"""The intermediate-layer method (``tinybert``): golden values worked out by hand, plus properties.

Arithmetic used below: ln 2 = 0.6931471806, ln(2/3) = -0.4054651081, ln 1.5 = 0.4054651081.
"""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from distillbench.adapters.base import ModelOutput
from distillbench.errors import ConfigError
from distillbench.methods.base import build_method
from distillbench.methods.hidden import attention_kl, layer_pairs, masked_mse

# one sentence, two tokens, width 2
S_H = [[[1.0, 2.0], [3.0, 4.0]]]
T_H = [[[0.0, 0.0], [1.0, 1.0]]]
# one head: teacher rows [0.5, 0.5] and [1, 0]; student rows [0.25, 0.75] and [0.5, 0.5]
T_A = [[[[0.5, 0.5], [1.0, 0.0]]]]
S_A = [[[[0.25, 0.75], [0.5, 0.5]]]]
# KL row 0 = 0.5 ln(0.5/0.25) + 0.5 ln(0.5/0.75) = 0.3465735903 - 0.2027325541 = 0.1438410362
# KL row 1 = 1 * ln(1/0.5) + 0 = 0.6931471806
KL_ROW0 = 0.1438410362
KL_ROW1 = 0.6931471806


def t(x: list) -> torch.Tensor:
    return torch.tensor(x, dtype=torch.float32)


def test_masked_mse_golden() -> None:
    # position 0: ((1-0)² + (2-0)²) / 2 = 2.5; position 1: ((3-1)² + (4-1)²) / 2 = 6.5
    assert masked_mse(t(S_H), t(T_H), torch.tensor([[1, 0]])).item() == pytest.approx(2.5)
    assert masked_mse(t(S_H), t(T_H), None).item() == pytest.approx(4.5)
    assert masked_mse(t(S_H), t(T_H), torch.tensor([[1, 1]])).item() == pytest.approx(4.5)


def test_attention_kl_golden() -> None:
    assert attention_kl(t(S_A), t(T_A), torch.tensor([[1, 1]])).item() == pytest.approx(0.4184941084, abs=1e-7)
    assert attention_kl(t(S_A), t(T_A), torch.tensor([[1, 0]])).item() == pytest.approx(KL_ROW0, abs=1e-7)
    assert attention_kl(t(T_A), t(T_A), None).item() == pytest.approx(0.0, abs=1e-7)  # zeros in t give 0, not nan


def test_attention_kl_with_different_head_counts_compares_head_means() -> None:
    # student heads [0.5, 0.5] / [0, 1] and [0.6, 0.4] / [0.4, 0.6] average to S_A's rows
    two_heads = t([[[[0.5, 0.5], [0.6, 0.4]], [[0.0, 1.0], [0.4, 0.6]]]])
    assert attention_kl(two_heads, t(T_A), torch.tensor([[1, 1]])).item() == pytest.approx(0.4184941084, abs=1e-7)


def test_layer_pairs() -> None:
    assert layer_pairs("uniform", 3, 6, True) == [(0, 0), (1, 2), (2, 4), (3, 6)]
    assert layer_pairs("uniform", 3, 6, False) == [(1, 2), (2, 4), (3, 6)]
    assert layer_pairs([[1, 6], [2, 3]], 2, 6, True) == [(1, 6), (2, 3)]
    assert layer_pairs("uniform", 4, 6, False) == [(1, 2), (2, 3), (3, 5), (4, 6)]  # 1.5, 3, 4.5, 6 rounded up
    with pytest.raises(ValueError, match="shallower"):
        layer_pairs("uniform", 7, 6, True)
    with pytest.raises(ValueError, match="exceed"):
        layer_pairs([[3, 1]], 2, 6, True)


def outputs(d_student: int = 2) -> tuple[ModelOutput, ModelOutput]:
    """Student: 1 layer; teacher: 2 layers; hidden stacks (L+1, N, T, D), attention stacks (L, N, H, T, T)."""
    emb = t(T_H)
    s_hidden = torch.stack([emb, t(S_H)]) if d_student == 2 else torch.ones(2, 1, 2, d_student)
    t_hidden = torch.stack([emb, t(S_H), t(T_H)])
    student = ModelOutput(
        logits=t([[0.0, 0.0]]), loss=torch.tensor(1.0), features={"hidden": s_hidden, "attention": t([S_A])}
    )
    teacher = ModelOutput(logits=t([[math.log(3.0), 0.0]]), features={"hidden": t_hidden, "attention": t([S_A, T_A])})
    return student, teacher


def test_tinybert_loss_golden() -> None:
    student, teacher = outputs()
    batch = {"attention_mask": torch.tensor([[1, 0]])}
    method = build_method("tinybert")
    assert method.feature_names() == ("hidden", "attention")
    method.setup(student, teacher)
    assert method.pairs == [(0, 0), (1, 2)]
    parts = method.loss(student, teacher, batch)
    # hidden: pair (0, 0) identical -> 0; pair (1, 2): S_H vs T_H on token 0 -> 2.5; mean 1.25
    assert parts["hidden"].item() == pytest.approx(1.25)
    # attention: only the (1, 2) pair has attentions: student layer 1 vs teacher layer 2, token 0
    assert parts["attention"].item() == pytest.approx(KL_ROW0, abs=1e-7)
    assert parts["loss"].item() == pytest.approx(1.0 + 1.25 + KL_ROW0, abs=1e-6)  # 2.3938410362
    weighted = build_method(
        "tinybert", {"hidden_weight": 2, "attention_weight": 0.5, "ce_weight": 0.5, "kd_weight": 1.0}
    )
    weighted.setup(student, teacher)
    parts = weighted.loss(student, teacher, batch)
    # kd (T = 1): teacher [0.75, 0.25], student [0.5, 0.5]: 0.75 ln 1.5 + 0.25 ln 0.5 = 0.1308120380
    assert parts["kd"].item() == pytest.approx(0.1308120380, abs=1e-7)
    assert parts["loss"].item() == pytest.approx(0.5 + 2.5 + 0.5 * KL_ROW0 + 0.1308120380, abs=1e-6)


def test_explicit_layer_map_and_hidden_only() -> None:
    student, teacher = outputs()
    method = build_method("tinybert", {"layers": [[1, 1]], "attention_weight": 0})
    assert method.feature_names() == ("hidden",)
    method.setup(student, teacher)
    parts = method.loss(student, teacher, {"attention_mask": torch.tensor([[1, 1]])})
    assert parts["hidden"].item() == pytest.approx(0.0)  # student layer 1 == teacher layer 1 (both S_H)
    assert parts["attention"].item() == 0.0 and parts["loss"].item() == pytest.approx(1.0)


def test_projection_is_learned_when_widths_differ() -> None:
    student, teacher = outputs(d_student=3)
    student.features["hidden"].requires_grad_(True)
    method = build_method("tinybert", {"attention_weight": 0})
    method.setup(student, teacher)
    assert all(isinstance(p, nn.Linear) and p.in_features == 3 and p.out_features == 2 for p in method.projections)
    loss = method.loss(student, teacher, {"attention_mask": torch.tensor([[1, 1]])})["loss"]
    loss.backward()
    assert all(p.grad is not None for p in method.parameters())
    assert student.features["hidden"].grad is not None


def test_bad_options_and_features() -> None:
    with pytest.raises(ConfigError, match="uniform"):
        build_method("tinybert", {"layers": "every-other"})
    with pytest.raises(ConfigError, match="nothing intermediate"):
        build_method("tinybert", {"hidden_weight": 0, "attention_weight": 0})
    student, teacher = outputs()
    student.features.pop("hidden")
    with pytest.raises(ValueError, match="no feature 'hidden'"):
        build_method("tinybert").setup(student, teacher)
