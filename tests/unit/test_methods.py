"""Distillation methods: golden values worked out by hand, plus properties.

Every expected number below is written literally and derived in the comment next to it with
exact arithmetic (ln 1.5 = 0.4054651081, ln 0.5 = -0.6931471806, ln 0.75 = -0.2876820725).
"""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from distillbench.adapters.base import ModelOutput
from distillbench.errors import ConfigError, UnknownNameError
from distillbench.methods.base import build_method
from distillbench.registry import METHODS

LN3 = math.log(3.0)
LN4 = math.log(4.0)


def out(
    logits: list | torch.Tensor, loss: float = 1.0, mask: list | None = None, **features: torch.Tensor
) -> ModelOutput:
    """A ModelOutput built by hand (no model, no adapter)."""
    return ModelOutput(
        logits=torch.as_tensor(logits, dtype=torch.float32),
        loss=torch.tensor(loss),
        features=features,
        mask=None if mask is None else torch.tensor(mask),
    )


# --------------------------------------------------------------------------- registry and options


@pytest.mark.parametrize("name", ["no_kd", "kd", "fitnet", "dkd", "at"])
def test_methods_are_registered(name: str) -> None:
    method = build_method(name)
    assert METHODS.get(name) is type(method)
    assert method.registry_name == name


def test_teacher_flags() -> None:
    assert not build_method("no_kd").needs_teacher
    assert build_method("kd").needs_teacher and build_method("kd").cacheable_teacher
    assert build_method("dkd").cacheable_teacher
    # feature methods read only the teacher's outputs too: their features are cached where they fit
    assert build_method("fitnet").cacheable_teacher and build_method("at").cacheable_teacher
    assert not build_method("tinybert").cacheable_teacher  # hidden-state / attention tuples: online


def test_defaults_and_options() -> None:
    kd = build_method("kd")
    assert (kd.options.temperature, kd.options.alpha) == (4.0, 0.9)
    dkd = build_method("dkd", {"beta": 2})  # an int is accepted for a float option
    assert (dkd.options.alpha, dkd.options.beta, dkd.options.temperature, dkd.options.warmup_epochs) == (
        1.0,
        2.0,
        4.0,
        0.0,
    )
    assert build_method("fitnet", {"feature": "layer3"}).feature_names() == ("layer3",)
    assert build_method("at").feature_names() == ("hint",)
    assert build_method("at", {"features": ["a", "b"]}).feature_names() == ("a", "b")


def test_unknown_option_names_the_key() -> None:
    with pytest.raises(ConfigError, match="temprature"):
        build_method("kd", {"temprature": 2})


def test_invalid_option_value_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="temperature"):
        build_method("kd", {"temperature": 0})


def test_unknown_method_suggests_the_closest() -> None:
    with pytest.raises(UnknownNameError, match="'kd'"):
        build_method("kdd")


# --------------------------------------------------------------------------- no_kd


def test_no_kd_golden() -> None:
    losses = build_method("no_kd").loss(out([[0.0, 1.0]], loss=1.25), None, {})
    assert losses["loss"].item() == pytest.approx(1.25)
    assert losses["task"].item() == pytest.approx(1.25)


# --------------------------------------------------------------------------- kd

# Student logits (0, 0) give p_s = (1/2, 1/2) at any T. Teacher logits (4 ln 3, 0) at T = 4 give
# t/T = (ln 3, 0), so p_t = (3/4, 1/4). KL(p_t || p_s) = 0.75 ln(0.75/0.5) + 0.25 ln(0.25/0.5)
# = 0.75 * 0.4054651081 - 0.25 * 0.6931471806 = 0.3040988311 - 0.1732867951 = 0.1308120359.
# A second row with equal logits has KL 0; batchmean over 2 rows: 0.0654060180; times T² = 16:
# kd = 1.0464962875. With alpha = 0.9 and task = 1: loss = 0.1 * 1 + 0.9 * 1.0464962875 = 1.0418466588.


def test_kd_golden_classification() -> None:
    method = build_method("kd", {"temperature": 4.0, "alpha": 0.9})
    student = out([[0.0, 0.0], [0.0, 0.0]], loss=1.0)
    teacher = out([[4 * LN3, 0.0], [0.0, 0.0]])
    losses = method.loss(student, teacher, {})
    assert losses["kd"].item() == pytest.approx(1.0464962875, rel=1e-5)
    assert losses["task"].item() == pytest.approx(1.0)
    assert losses["loss"].item() == pytest.approx(1.0418466588, rel=1e-5)


# Per token, shape (1, 3, 2): position 0 is the row above (KL 0.1308120359), position 1 has equal
# logits (KL 0), position 2 is padding (mask False) with a huge teacher/student gap that must be
# ignored. Mean over the 2 valid positions: 0.0654060180; times 16: 1.0464962875. alpha = 1: loss = kd.


def test_kd_golden_per_token_masked() -> None:
    method = build_method("kd", {"temperature": 4.0, "alpha": 1.0})
    student = out([[[0.0, 0.0], [0.0, 0.0], [0.0, 0.0]]], loss=5.0, mask=[[True, True, False]])
    teacher = out([[[4 * LN3, 0.0], [0.0, 0.0], [50.0, -50.0]]])
    losses = method.loss(student, teacher, {})
    assert losses["kd"].item() == pytest.approx(1.0464962875, rel=1e-5)
    assert losses["loss"].item() == pytest.approx(1.0464962875, rel=1e-5)


def test_kd_is_zero_when_student_equals_teacher() -> None:
    logits = torch.randn(8, 10)
    losses = build_method("kd", {"alpha": 1.0}).loss(out(logits, loss=2.3), out(logits.clone()), {})
    assert losses["loss"].item() == pytest.approx(0.0, abs=1e-6)


def test_kd_gradients_reach_the_student_only() -> None:
    s = torch.randn(4, 5, requires_grad=True)
    t = torch.randn(4, 5, requires_grad=True)
    student = ModelOutput(logits=s, loss=s.sum() * 0.0)
    build_method("kd").loss(student, ModelOutput(logits=t), {})["loss"].backward()
    assert s.grad is not None and s.grad.abs().sum() > 0
    assert t.grad is None


@pytest.mark.parametrize("masked", [False, True])
def test_kd_closed_form_gradient_matches_autograd(masked: bool) -> None:
    """soft_kl's one-node backward gives what autograd derives from the plain arithmetic (and gradcheck agrees)."""
    import torch.nn.functional as F

    from distillbench.methods.kd import _SoftKL, soft_kl

    torch.manual_seed(0)
    s, t = torch.randn(3, 4, 6) * 3, torch.randn(3, 4, 6) * 3
    mask = torch.tensor([[1, 1, 1, 0], [1, 0, 0, 0], [1, 1, 1, 1]]).bool() if masked else None
    fused = s.clone().requires_grad_(True)
    plain = s.clone().requires_grad_(True)
    a = soft_kl(fused, t, 2.0, mask)
    kl = F.kl_div(F.log_softmax(plain / 2.0, -1), F.log_softmax(t / 2.0, -1), reduction="none", log_target=True)
    kl = kl.sum(-1)
    b = (kl.masked_fill(~mask, 0.0).sum() / mask.sum() if masked else kl.mean()) * 4.0
    (a * 1.7).backward()
    (b * 1.7).backward()
    assert a.item() == b.item()  # the forward is the same arithmetic
    assert torch.allclose(fused.grad, plain.grad, rtol=1e-5, atol=1e-7) and fused.grad.abs().sum() > 0
    log_t = F.log_softmax(t.double() / 2.0, -1)
    assert torch.autograd.gradcheck(
        lambda x: _SoftKL.apply(x, log_t, 2.0, mask), (s.double().requires_grad_(True),), eps=1e-6, atol=1e-5
    )


def test_kd_reads_the_teachers_precomputed_log_probs() -> None:
    """Cached outputs hand KD the teacher's log_softmax(t / T): it is used (not recomputed), for the same value."""
    import torch.nn.functional as F

    teacher_logits = torch.randn(5, 7)
    student = out(torch.randn(5, 7), loss=0.3)
    method = build_method("kd", {"temperature": 3.0, "alpha": 0.5})
    assert method.soft_temperatures() == (3.0,)
    assert build_method("kd", {"logit_standardization": True, "temperature": 2.0}).soft_temperatures() == ()
    plain = method.loss(student, out(teacher_logits), {})["kd"]
    soft = F.log_softmax(teacher_logits / 3.0, -1)
    given = method.loss(student, ModelOutput(logits=teacher_logits, log_probs={3.0: soft}), {})["kd"]
    assert given.item() == plain.item()
    other = method.loss(student, ModelOutput(logits=teacher_logits, log_probs={3.0: soft.flip(0)}), {})["kd"]
    assert other.item() != plain.item()  # the given log-probs are what the loss reads


def test_kd_rejects_mismatched_classes() -> None:
    with pytest.raises(ValueError, match="shape"):
        build_method("kd").loss(out(torch.zeros(2, 3)), out(torch.zeros(2, 4)), {})


# --------------------------------------------------------------------------- fitnet

# Identity regressor (same shapes). Student map [[1, 2], [3, 4]], teacher map all ones:
# squared differences 0, 1, 4, 9, mean 14 / 4 = 3.5. With weight 2, ce_weight 1 and task 0.5:
# loss = 0.5 + 2 * 3.5 = 7.5.


def test_fitnet_golden_identity_4d() -> None:
    method = build_method("fitnet", {"weight": 2.0})
    student = out([[0.0]], loss=0.5, hint=torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]]))
    teacher = out([[0.0]], hint=torch.ones(1, 1, 2, 2))
    method.setup(student, teacher)
    assert isinstance(method.regressor, nn.Identity)
    losses = method.loss(student, teacher, {})
    assert losses["hint"].item() == pytest.approx(3.5)
    assert losses["loss"].item() == pytest.approx(7.5)


# 3-D hidden states (1, 3, 1): student (1, 2, 3), teacher 0, last position padding. Squared errors
# over the valid positions: 1, 4, mean 2.5. weight 1, task 1: loss = 1 + 2.5 = 3.5.


def test_fitnet_golden_identity_3d_masked() -> None:
    method = build_method("fitnet", {"weight": 1.0})
    student = out([[0.0]], loss=1.0, mask=[[True, True, False]], hint=torch.tensor([[[1.0], [2.0], [3.0]]]))
    teacher = out([[0.0]], hint=torch.zeros(1, 3, 1))
    method.setup(student, teacher)
    losses = method.loss(student, teacher, {})
    assert losses["hint"].item() == pytest.approx(2.5)
    assert losses["loss"].item() == pytest.approx(3.5)


@pytest.mark.parametrize("s_size, t_size", [(8, 4), (4, 8), (4, 4)])
def test_fitnet_builds_1x1_conv_and_handles_spatial_mismatch(s_size: int, t_size: int) -> None:
    method = build_method("fitnet")
    student = out(torch.zeros(2, 3), hint=torch.randn(2, 8, s_size, s_size))
    teacher = out(torch.zeros(2, 3), hint=torch.randn(2, 16, t_size, t_size))
    method.setup(student, teacher)
    conv = method.regressor[0]
    assert isinstance(conv, nn.Conv2d) and conv.kernel_size == (1, 1)
    assert (conv.in_channels, conv.out_channels) == (8, 16)
    assert isinstance(method.regressor[1], nn.BatchNorm2d)
    assert torch.isfinite(method.loss(student, teacher, {})["loss"])


def test_fitnet_builds_linear_for_hidden_states() -> None:
    method = build_method("fitnet")
    student = out(torch.zeros(2, 3), hint=torch.randn(2, 5, 32))
    method.setup(student, out(torch.zeros(2, 3), hint=torch.randn(2, 5, 64)))
    assert isinstance(method.regressor, nn.Linear)
    assert (method.regressor.in_features, method.regressor.out_features) == (32, 64)


def test_fitnet_gradients_reach_student_and_regressor_not_teacher() -> None:
    method = build_method("fitnet")
    s = torch.randn(2, 4, 4, 4, requires_grad=True)
    t = torch.randn(2, 6, 4, 4, requires_grad=True)
    student, teacher = out(torch.zeros(2, 3), hint=s), out(torch.zeros(2, 3), hint=t)
    method.setup(student, teacher)
    params = list(method.parameters())
    assert params, "the regressor's parameters must be visible to the optimizer"
    method.loss(student, teacher, {})["loss"].backward()
    assert s.grad is not None and s.grad.abs().sum() > 0
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in params)
    assert t.grad is None


def test_fitnet_missing_feature_is_explained() -> None:
    method = build_method("fitnet", {"feature": "layer9"})
    with pytest.raises(ValueError, match="layer9"):
        method.setup(out([[0.0]], hint=torch.zeros(1, 1, 1, 1)), out([[0.0]], hint=torch.zeros(1, 1, 1, 1)))


# --------------------------------------------------------------------------- dkd

# Three classes, T = 2. Student logits (0, 0, 0): p_s = (1/3, 1/3, 1/3). Teacher logits
# (2 ln 4, 2 ln 3, 0) / 2 = (ln 4, ln 3, 0): p_t = (4, 3, 1) / 8 = (0.5, 0.375, 0.125). Label 0.
# TCKD: binary teacher (0.5, 0.5), binary student (1/3, 2/3):
#   KL = 0.5 ln(0.5 / (1/3)) + 0.5 ln(0.5 / (2/3)) = 0.5 (ln 1.5 + ln 0.75) = 0.5 ln 1.125 = 0.0588915178.
# NCKD: non-target teacher (0.375, 0.125) / 0.5 = (0.75, 0.25), non-target student (0.5, 0.5):
#   KL = 0.75 ln 1.5 + 0.25 ln 0.5 = 0.1308120359.
# A second row where student = teacher = (1, 2, 3), label 2, adds 0 to both; batchmean halves them,
# and T² = 4 multiplies: tckd = 4 * 0.0588915178 / 2 = 0.1177830357, nckd = 4 * 0.1308120359 / 2
# = 0.2616240719. loss = 1 * task + 1 * tckd + 8 * nckd = 1 + 0.1177830357 + 2.0929925751 = 3.2107756107.


def _dkd_pair() -> tuple[ModelOutput, ModelOutput, dict[str, torch.Tensor]]:
    student = out([[0.0, 0.0, 0.0], [1.0, 2.0, 3.0]], loss=1.0)
    teacher = out([[2 * LN4, 2 * LN3, 0.0], [1.0, 2.0, 3.0]])
    return student, teacher, {"labels": torch.tensor([0, 2])}


def test_dkd_golden() -> None:
    method = build_method("dkd", {"alpha": 1.0, "beta": 8.0, "temperature": 2.0})
    losses = method.loss(*_dkd_pair())
    assert losses["tckd"].item() == pytest.approx(0.1177830357, rel=1e-5)
    assert losses["nckd"].item() == pytest.approx(0.2616240719, rel=1e-5)
    assert losses["task"].item() == pytest.approx(1.0)
    assert losses["loss"].item() == pytest.approx(3.2107756107, rel=1e-5)


# Warm-up over 4 epochs: at epoch 0 (the reference's epoch 1) the KD weight is 1/4:
# loss = 1 + 0.25 * (0.1177830357 + 2.0929925751) = 1 + 0.5526939027 = 1.5526939027; from epoch 3 on it is 1.


def test_dkd_warmup() -> None:
    method = build_method("dkd", {"temperature": 2.0, "warmup_epochs": 4})
    method.on_epoch_start(0, 10)
    assert method.loss(*_dkd_pair())["loss"].item() == pytest.approx(1.5526939027, rel=1e-5)
    method.on_epoch_start(3, 10)
    assert method.loss(*_dkd_pair())["loss"].item() == pytest.approx(3.2107756107, rel=1e-5)


def test_dkd_rejects_per_token_logits() -> None:
    logits = torch.zeros(2, 3, 5)
    with pytest.raises(ValueError, match="dkd needs \\(N, C\\) class logits"):
        build_method("dkd").loss(out(logits), out(logits), {"labels": torch.zeros(2, dtype=torch.long)})


def test_dkd_needs_labels() -> None:
    with pytest.raises(ValueError, match="labels"):
        build_method("dkd").loss(out(torch.zeros(2, 3)), out(torch.zeros(2, 3)), {})


def test_dkd_gradients_reach_the_student_only() -> None:
    s = torch.randn(4, 5, requires_grad=True)
    t = torch.randn(4, 5, requires_grad=True)
    student = ModelOutput(logits=s, loss=s.sum() * 0.0)
    batch = {"labels": torch.tensor([0, 1, 2, 3])}
    build_method("dkd").loss(student, ModelOutput(logits=t), batch)["loss"].backward()
    assert s.grad is not None and s.grad.abs().sum() > 0
    assert t.grad is None


# --------------------------------------------------------------------------- at

# Student map (1, 2, 1, 2): channels (2, 0) and (0, 0); mean over channels of x² = (2, 0);
# L2-normalised: a_s = (1, 0). Teacher map (1, 3, 1, 2), all ones: mean of x² = (1, 1); a_t = (1, 1) / √2.
# (a_s - a_t)² = ((1 - 0.7071067812)², 0.5) = (0.0857864376, 0.5); mean = 0.2928932188 (= 1 - 1/√2).
# With beta = 1000 and task = 1: loss = 1 + 292.8932188 = 293.8932188.


def test_at_golden() -> None:
    method = build_method("at", {"beta": 1000.0})
    student = out([[0.0]], loss=1.0, hint=torch.tensor([[[[2.0, 0.0]], [[0.0, 0.0]]]]))
    teacher = out([[0.0]], hint=torch.ones(1, 3, 1, 2))
    losses = method.loss(student, teacher, {})
    assert losses["at"].item() == pytest.approx(0.2928932188, rel=1e-5)
    assert losses["loss"].item() == pytest.approx(293.8932188, rel=1e-5)


# Spatial mismatch: the larger map is average-pooled to the smaller size. Student (1, 1, 2, 4) with
# rows (2, 2, 0, 0) pools to (1, 2) as (2, 0), hence a_s = (1, 0) as above; teacher (1, 1, 1, 2) ones.
# A second feature pair with equal maps adds 0. at = 0.2928932188; beta = 1, task = 1: loss = 1.2928932188.
# Swapping roles (teacher larger) pools the teacher instead and gives the same number.


@pytest.mark.parametrize("swap", [False, True])
def test_at_golden_spatial_mismatch_and_sum_over_features(swap: bool) -> None:
    big = torch.tensor([[[[2.0, 2.0, 0.0, 0.0], [2.0, 2.0, 0.0, 0.0]]]])
    small = torch.ones(1, 1, 1, 2)
    same = torch.rand(1, 4, 3, 3)
    s_map, t_map = (small, big) if swap else (big, small)
    method = build_method("at", {"features": ["a", "b"], "beta": 1.0})
    losses = method.loss(out([[0.0]], loss=1.0, a=s_map, b=same), out([[0.0]], a=t_map, b=same.clone()), {})
    assert losses["at"].item() == pytest.approx(0.2928932188, rel=1e-5)
    assert losses["loss"].item() == pytest.approx(1.2928932188, rel=1e-5)


def test_at_rejects_non_4d_features() -> None:
    with pytest.raises(ValueError, match="4-D"):
        build_method("at").loss(out([[0.0]], hint=torch.zeros(1, 3, 8)), out([[0.0]], hint=torch.zeros(1, 3, 8)), {})


def test_at_gradients_reach_the_student_only() -> None:
    s = torch.randn(2, 4, 4, 4, requires_grad=True)
    t = torch.randn(2, 8, 2, 2, requires_grad=True)
    build_method("at").loss(out(torch.zeros(2, 3), hint=s), out(torch.zeros(2, 3), hint=t), {})["loss"].backward()
    assert s.grad is not None and s.grad.abs().sum() > 0
    assert t.grad is None
