"""Text methods added for issue 19 (pkd, minilm): golden values from the papers' formulas, layer maps, errors.

Expected numbers are written literally with their derivation in the comments.
"""

from __future__ import annotations

import pytest
import torch

from distillbench.errors import ConfigError
from distillbench.methods.base import build_method
from distillbench.methods.pkd import pkd_layer_pairs
from distillbench.registry import METHODS
from distillbench.types import ModelOutput


def out(logits: list | torch.Tensor, loss: float = 1.0, **features: torch.Tensor) -> ModelOutput:
    return ModelOutput(logits=torch.as_tensor(logits, dtype=torch.float32), loss=torch.tensor(loss), features=features)


@pytest.mark.parametrize("name", ["pkd", "minilm", "tinybert"])
def test_registered(name: str) -> None:
    assert METHODS.get(name) is type(build_method(name))


def test_tinybert_says_it_is_a_hybrid() -> None:
    assert (METHODS.get("tinybert").__doc__ or "").startswith("Hybrid")


# --------------------------------------------------------------------------- pkd layer maps


def test_pkd_layer_maps() -> None:
    # the paper's 6-layer student of BERT-base (12 layers): PKD-Skip 2, 4, 6, 8, 10; PKD-Last 7, 8, 9, 10, 11
    assert pkd_layer_pairs("skip", 6, 12) == [(1, 2), (2, 4), (3, 6), (4, 8), (5, 10)]
    assert pkd_layer_pairs("last", 6, 12) == [(1, 7), (2, 8), (3, 9), (4, 10), (5, 11)]
    # the sentiment card: 3 of 6 -> skip 2, 4; last 4, 5. 4 of 6 -> skip j * 1.5 rounded half up: 2, 3, 5
    assert pkd_layer_pairs("skip", 3, 6) == [(1, 2), (2, 4)]
    assert pkd_layer_pairs("last", 3, 6) == [(1, 4), (2, 5)]
    assert pkd_layer_pairs("skip", 4, 6) == [(1, 2), (2, 3), (3, 5)]
    assert pkd_layer_pairs([[1, 3]], 2, 4) == [(1, 3)]
    with pytest.raises(ValueError, match="exceed"):
        pkd_layer_pairs([[3, 1]], 2, 4)
    with pytest.raises(ValueError, match="at least 2 layers"):
        pkd_layer_pairs("skip", 1, 4)


@pytest.mark.parametrize(
    ("options", "match"),
    [({"layers": "first"}, "skip"), ({"alpha": 1.5}, "alpha"), ({"beta": -1}, "beta"), ({"temperature": 0}, "temp")],
)
def test_pkd_bad_options(options: dict, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        build_method("pkd", options)


# --------------------------------------------------------------------------- pkd golden
# Student of 2 layers (hidden states (3, N=2, T=2, D=2)), teacher of 4 (5, 2, 2, 2); only the [CLS] (token 0)
# of the mapped layers matter. Student layer 1 [CLS]: (1, 0) and (3, 4) -> normalised (1, 0), (0.6, 0.8).
# PKD-Skip maps it to teacher layer 2: [CLS] (0, 2), (6, 8) -> (0, 1), (0.6, 0.8); squared differences (1, 1)
# and (0, 0), mean over 1 pair x 2 samples x 2 dims = 2 / 4 = 0.5.
# PKD-Last maps it to teacher layer 3: (5, 0), (0, 1) -> (1, 0), (0, 1); differences (0, 0), (0.36, 0.04):
# 0.4 / 4 = 0.1. Equal logits -> KD 0. loss = (1 - 0.5) * task(1) + 0.5 * 0 + 100 * PT: 50.5 and 10.5.


def _pkd_outputs() -> tuple[ModelOutput, ModelOutput]:
    hs = torch.randn(3, 2, 2, 2)
    hs[1, :, 0] = torch.tensor([[1.0, 0.0], [3.0, 4.0]])
    ht = torch.randn(5, 2, 2, 2)
    ht[2, :, 0] = torch.tensor([[0.0, 2.0], [6.0, 8.0]])
    ht[3, :, 0] = torch.tensor([[5.0, 0.0], [0.0, 1.0]])
    logits = [[0.3, -0.2], [1.0, 2.0]]
    return out(logits, hidden=hs), out(logits, hidden=ht)


@pytest.mark.parametrize(("layers", "patience", "total"), [("skip", 0.5, 50.5), ("last", 0.1, 10.5)])
def test_pkd_golden(layers: str, patience: float, total: float) -> None:
    method = build_method("pkd", {"layers": layers, "alpha": 0.5, "beta": 100.0})
    student, teacher = _pkd_outputs()
    method.setup(student, teacher)
    losses = method.loss(student, teacher, {})
    assert losses["patience"].item() == pytest.approx(patience, rel=1e-6)
    assert losses["kd"].item() == pytest.approx(0.0, abs=1e-6)
    assert losses["loss"].item() == pytest.approx(total, rel=1e-6)


def test_pkd_projects_a_narrower_student_and_trains_it() -> None:
    method = build_method("pkd")
    hs = torch.randn(3, 2, 4, 8, requires_grad=True)
    student, teacher = out(torch.zeros(2, 2), hidden=hs), out(torch.zeros(2, 2), hidden=torch.randn(5, 2, 4, 16))
    method.setup(student, teacher)
    assert [m.in_features for m in method.projections] == [8]
    method.loss(student, teacher, {})["loss"].backward()
    assert hs.grad is not None and method.projections[0].weight.grad is not None


def test_pkd_explains_a_wrong_feature() -> None:
    method = build_method("pkd")
    student = out(torch.zeros(2, 2), hidden=torch.zeros(2, 4, 8))
    with pytest.raises(ValueError, match="hidden_states"):
        method.setup(student, student)


# --------------------------------------------------------------------------- minilm golden
# One head, T = 2 valid tokens (+ 1 padding token), width 2. Teacher values (1, 0), (0, 1):
# V V^T / sqrt2 = [[1/sqrt2, 0], [0, 1/sqrt2]] -> each row softmax gives p = sigmoid(1/sqrt2) = 0.6697615493 on
# its own token. Student values 0 -> uniform (1/2, 1/2). KL per query = p ln 2p + (1 - p) ln 2(1 - p)
# = 0.0587998062, the same for both valid queries -> L_VR = 0.0587998062. The padding token (values 5) is
# masked out as a key and as a query. Attentions are equal on both sides -> L_AT = 0.
# loss = 1 * task(1) + 1 * 0 + 1 * 0.0587998062 = 1.0587998062.


def _minilm_outputs(student_heads: int = 1) -> tuple[ModelOutput, ModelOutput, dict[str, torch.Tensor]]:
    attn = torch.full((2, 1, 1, 3, 3), 0.5)
    attn[..., 2] = 0.0  # no attention to the padding key
    vt = torch.tensor([[[1.0, 0.0], [0.0, 1.0], [5.0, 5.0]]])
    vs = torch.tensor([[[0.0, 0.0], [0.0, 0.0], [-5.0, 5.0]]], requires_grad=True)
    s_attn = attn.expand(2, 1, student_heads, 3, 3)
    student = out([[0.0, 1.0]], attention=s_attn, value=vs)
    teacher = out([[0.0, 1.0]], attention=attn.clone(), value=vt)
    return student, teacher, {"attention_mask": torch.tensor([[1, 1, 0]])}


def test_minilm_golden() -> None:
    losses = build_method("minilm").loss(*_minilm_outputs())
    assert losses["attention"].item() == pytest.approx(0.0, abs=1e-6)
    assert losses["value"].item() == pytest.approx(0.0587998062, rel=1e-5)
    assert losses["loss"].item() == pytest.approx(1.0587998062, rel=1e-5)


def test_minilm_head_mismatch_needs_relation_heads() -> None:
    student, teacher, batch = _minilm_outputs(student_heads=2)
    with pytest.raises(ValueError, match="relation_heads"):
        build_method("minilm").loss(student, teacher, batch)
    losses = build_method("minilm", {"relation_heads": 1}).loss(student, teacher, batch)
    assert losses["value"].item() == pytest.approx(0.0587998062, rel=1e-5)
    losses["loss"].backward()
    assert student.features["value"].grad is not None


def test_minilm_features_and_options() -> None:
    assert build_method("minilm").feature_names() == ("attention", "value")
    assert build_method("minilm", {"attention_weight": 0, "relation_heads": 2}).feature_names() == ("value",)
    with pytest.raises(ConfigError, match="both 0"):
        build_method("minilm", {"attention_weight": 0, "value_weight": 0})
    with pytest.raises(ValueError, match="relation heads"):
        build_method("minilm", {"relation_heads": 3}).loss(*_minilm_outputs())
    with pytest.raises(ValueError, match="value projection"):
        student, teacher, batch = _minilm_outputs()
        student.features["value"] = torch.zeros(1, 1, 3, 2)
        build_method("minilm").loss(student, teacher, batch)
