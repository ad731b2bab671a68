"""Image-classification methods added for issue 19: golden values from each paper's formula, plus properties.

Every expected number is written literally, with its derivation in the comment next to it (hand
arithmetic; ln 2 = 0.6931471806, ln 3 = 1.0986122887, ln 5 = 1.6094379124, ln 1.5 = 0.4054651081).
"""

from __future__ import annotations

import math
import sys

import pytest
import torch
from torch import nn

from distillbench.errors import ConfigError
from distillbench.methods.base import build_method
from distillbench.methods.reviewkd import hcl_loss
from distillbench.registry import METHODS
from distillbench.types import ModelOutput

LN3 = math.log(3.0)
NEW = ["rkd", "pkt", "sp", "vid", "dist", "mlkd", "reviewkd"]


def out(logits: list | torch.Tensor, loss: float = 1.0, **features: torch.Tensor) -> ModelOutput:
    return ModelOutput(logits=torch.as_tensor(logits, dtype=torch.float32), loss=torch.tensor(loss), features=features)


def t(x: list) -> torch.Tensor:
    return torch.tensor(x, dtype=torch.float32)


@pytest.mark.parametrize("name", NEW)
def test_registered_with_paper_docstring(name: str) -> None:
    method = build_method(name)
    assert METHODS.get(name) is type(method) and method.registry_name == name
    paper = sys.modules[type(method).__module__].__doc__ or ""
    assert "arXiv:" in paper or name == "mlkd"  # MLKD (CVPR 2023) has no arXiv version; its docstring cites CVPR
    assert type(method).__doc__


@pytest.mark.parametrize(
    ("name", "options", "match"),
    [
        ("rkd", {"distance_weight": 0, "angle_weight": 0}, "both 0"),
        ("pkt", {"weight": -1}, ">= 0"),
        ("sp", {"features": []}, "at least one"),
        ("vid", {"init_pred_var": 0}, "init_pred_var"),
        ("dist", {"temperature": 0}, "temperature"),
        ("mlkd", {"temperatures": [2.0, -1.0]}, "temperatures"),
        ("reviewkd", {"max_mid_channels": 0}, "max_mid_channels"),
    ],
)
def test_bad_options_are_config_errors(name: str, options: dict, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        build_method(name, options)


def test_paper_defaults() -> None:
    rkd = build_method("rkd").options
    assert (rkd.distance_weight, rkd.angle_weight) == (25.0, 50.0)
    assert build_method("pkt").options.weight == 30000.0
    assert build_method("sp").options.weight == 3000.0
    assert build_method("vid").options.init_pred_var == 5.0
    d = build_method("dist").options
    assert (d.beta, d.gamma, d.temperature) == (1.0, 1.0, 1.0)
    m = build_method("mlkd").options
    assert (sorted(m.temperatures), m.kd_weight, m.ce_weight) == ([2.0, 3.0, 4.0, 5.0, 6.0], 0.9, 0.1)
    assert build_method("reviewkd").options.warmup_epochs == 20.0


# --------------------------------------------------------------------------- rkd
# Teacher embeddings (0,0), (1,0), (0,1); student (0,0), (2,0), (0,1).
# Distances: teacher 1, 1, sqrt2, mean over the 6 off-diagonal entries (2 + sqrt2) / 3 = 1.1380711875,
# normalised 0.8786796564, 0.8786796564, 1.2426406871; student 2, 1, sqrt5, mean (3 + sqrt5) / 3 = 1.7453559925,
# normalised 1.1458980338, 0.5729490169, 1.2811529493. Differences 0.2672183774, -0.3057306395, 0.0385122622,
# all < 1 so Huber = x² / 2: 0.0357028305 + 0.0467356120 + 0.0007415971 = 0.0831800396; each pair appears
# twice among the 9 entries: L_D = 2 * 0.0831800396 / 9 = 0.0184844532.
# Angles (cosine at vertex i between the two others): teacher 0, 1/sqrt2, 1/sqrt2; student 0, 2/sqrt5 =
# 0.8944271910, 1/sqrt5 = 0.4472135955. Differences 0.1873204098 and -0.2598931857, Huber 0.0175444680 and
# 0.0337722340, each at 2 of the 27 entries [i, j, k] (j, k the two other vertices, both orders); the other
# entries agree (1 for j = k != i, 0 when j or k is i): L_A = 2 * 0.0513167020 / 27 = 0.0038012372.
# loss = 1 * task(1) + 25 * 0.0184844532 + 50 * 0.0038012372 = 1 + 0.4621113300 + 0.1900618600 = 1.6521731900.


def test_rkd_golden_distance_and_angle() -> None:
    teacher = out([[0.0], [0.0], [0.0]], final=t([[0, 0], [1, 0], [0, 1]]))
    student = out([[0.0], [0.0], [0.0]], final=t([[0, 0], [2, 0], [0, 1]]))
    losses = build_method("rkd").loss(student, teacher, {})
    assert losses["distance"].item() == pytest.approx(0.0184844532, rel=1e-5)
    assert losses["angle"].item() == pytest.approx(0.0038012372, rel=1e-5)
    assert losses["loss"].item() == pytest.approx(1.6521731900, rel=1e-5)


def test_rkd_pools_feature_maps_and_is_scale_invariant() -> None:
    maps = torch.randn(5, 3, 4, 4)
    # a wider student (zero channels added) at 7x the scale has the same normalised distances and angles
    s_maps = torch.cat([7.0 * maps, torch.zeros(5, 2, 4, 4)], dim=1).requires_grad_()
    losses = build_method("rkd").loss(out(torch.zeros(5, 2), final=s_maps), out(torch.zeros(5, 2), final=maps), {})
    assert losses["distance"].item() == pytest.approx(0.0, abs=1e-5)
    assert losses["angle"].item() == pytest.approx(0.0, abs=1e-5)
    assert losses["loss"].requires_grad


# --------------------------------------------------------------------------- pkt
# Teacher (1,0), (0,1): cosines [[1, 0], [0, 1]] -> (K + 1) / 2 = [[1, .5], [.5, 1]] -> rows (2/3, 1/3), (1/3, 2/3).
# Student (1,0), (1,0): all cosines 1 -> rows (1/2, 1/2). KL per row = 2/3 ln(4/3) + 1/3 ln(2/3)
# = 2/3 * 0.2876820725 - 1/3 * 0.4054651081 = 0.1917880483 - 0.1351550360 = 0.0566330123; the mean over the
# N² = 4 entries is the sum of both rows / 4 = 0.0283165061. loss = task + 30000 * pkt = 1 + 849.495184.


def test_pkt_golden() -> None:
    losses = build_method("pkt").loss(
        out([[0.0], [0.0]], final=t([[1, 0], [1, 0]])), out([[0.0], [0.0]], final=t([[1, 0], [0, 1]])), {}
    )
    assert losses["pkt"].item() == pytest.approx(0.0283165061, rel=1e-5)
    assert losses["loss"].item() == pytest.approx(1 + 30000 * 0.0283165061, rel=1e-5)


# --------------------------------------------------------------------------- sp
# Teacher (1,0), (0,1): G = I, rows already unit. Student (1,0), (1,0): G = all ones, rows (1/sqrt2, 1/sqrt2).
# ||G~_t - G~_s||² = 2 (1 - 1/sqrt2)² + 2 (1/sqrt2)² = 2 * 0.0857864376 + 1 = 1.1715728753; / N² = 4: 0.2928932188.


def test_sp_golden_with_different_widths() -> None:
    student = out([[0.0], [0.0]], final=t([[1, 0], [1, 0]]))
    teacher = out([[0.0], [0.0]], final=t([[1, 0, 0], [0, 1, 0]]).view(2, 3, 1, 1))  # a 4-D map of another width
    losses = build_method("sp", {"weight": 1.0}).loss(student, teacher, {})
    assert losses["sp"].item() == pytest.approx(0.2928932188, rel=1e-6)
    assert losses["loss"].item() == pytest.approx(1.2928932188, rel=1e-6)


# --------------------------------------------------------------------------- vid
# With the regressor's last convolution zeroed the predicted mean is 0, and sigma² starts at init_pred_var = 5.
# A teacher map of 2s: every element contributes 0.5 * (4 / 5 + ln 5) = 0.5 * (0.8 + 1.6094379124) = 1.2047189562.


def test_vid_golden_at_initialisation() -> None:
    method = build_method("vid", {"features": ["hint"]})
    student = out(torch.zeros(2, 3), hint=torch.randn(2, 4, 6, 6))  # 6x6 is pooled to the teacher's 3x3
    teacher = out(torch.zeros(2, 3), hint=torch.full((2, 8, 3, 3), 2.0))
    method.setup(student, teacher)
    nn.init.zeros_(method.regressors[0][-1].weight)
    losses = method.loss(student, teacher, {})
    assert losses["vid"].item() == pytest.approx(1.2047189562, rel=1e-5)
    assert losses["loss"].item() == pytest.approx(2.2047189562, rel=1e-5)


def test_vid_learns_its_variance_and_regressor() -> None:
    method = build_method("vid", {"features": ["hint"]})
    s = torch.randn(4, 4, 3, 3, requires_grad=True)
    student, teacher = out(torch.zeros(4, 3), hint=s), out(torch.zeros(4, 3), hint=torch.randn(4, 8, 3, 3))
    method.setup(student, teacher)
    method.loss(student, teacher, {})["loss"].backward()
    assert s.grad is not None and method.log_scales[0].grad is not None
    assert {n for n, _ in method.named_parameters()} >= {"log_scales.0"}


# --------------------------------------------------------------------------- dist
# tau = 1. Teacher probabilities rows (1/2, 1/4, 1/4), (1/4, 1/2, 1/4); student rows (1/4, 1/2, 1/4), (1/2, 1/4, 1/4).
# Inter (rows): centred student row 0 (-1/12, 1/6, -1/12), teacher (1/6, -1/12, -1/12): dot -1/48, norms
# sqrt(1/24) each -> rho = -0.5; row 1 likewise -> L_inter = 1 - (-0.5) = 1.5.
# Intra (columns): column 0 (1/4, 1/2) vs (1/2, 1/4) -> rho = -1; column 1 -> -1; column 2 is constant on both
# sides -> centred vectors are 0 -> rho = 0 / (0 + eps) = 0. Mean -2/3 -> L_intra = 5/3 = 1.6666666667.
# loss = 1 * task(1) + 1.5 + 1.6666666667 = 4.1666666667.


def test_dist_golden() -> None:
    teacher = out(torch.log(t([[0.5, 0.25, 0.25], [0.25, 0.5, 0.25]])))
    student = out(torch.log(t([[0.25, 0.5, 0.25], [0.5, 0.25, 0.25]])))
    losses = build_method("dist").loss(student, teacher, {})
    assert losses["inter"].item() == pytest.approx(1.5, rel=1e-6)
    assert losses["intra"].item() == pytest.approx(5 / 3, rel=1e-6)
    assert losses["loss"].item() == pytest.approx(4.1666666667, rel=1e-6)


def test_dist_is_zero_for_a_shifted_teacher_and_rejects_token_logits() -> None:
    logits = torch.randn(6, 5)
    losses = build_method("dist").loss(out(logits), out(logits + 3.0), {})
    assert losses["inter"].item() == pytest.approx(0.0, abs=1e-6) and losses["intra"].item() == pytest.approx(
        0, abs=1e-6
    )
    with pytest.raises(ValueError, match="\\(N, C\\)"):
        build_method("dist").loss(out(torch.zeros(2, 3, 4)), out(torch.zeros(2, 3, 4)), {})


# --------------------------------------------------------------------------- mlkd
# One temperature T = 1. Student logits 0 -> p_s = (1/2, 1/2) on both rows; teacher (ln 3, 0), (0, ln 3) ->
# p_t = (3/4, 1/4), (1/4, 3/4).
# Instance: KL per row = 0.75 ln 1.5 + 0.25 ln 0.5 = 0.3040988311 - 0.1732867951 = 0.1308120359 (batch mean, T² = 1).
# Batch: G_s = p_s p_s^T = all 1/2; G_t = [[0.625, 0.375], [0.375, 0.625]]; sum of squared differences
# 4 * 0.125² = 0.0625; / N = 2 -> 0.03125. Class: M = p^T p: M_s all 1/2, M_t = [[0.625, 0.375], [0.375, 0.625]]
# -> 0.0625 / C = 2 -> 0.03125. loss = 0.1 * 1 + 0.9 * (0.1308120359 + 0.03125 + 0.03125) = 0.2739808323.
# With logit standardisation the teacher rows become (1/sqrt2, -1/sqrt2) and mirrored (unbiased std of 2 values
# = |a - b| / sqrt2), the student rows stay 0: p_t = sigmoid(sqrt2) = 0.8044296825 and the instance KL is
# p ln 2p + (1 - p) ln 2(1 - p) = 0.1989472636; batch and class terms are not standardised (reference code).


def _mlkd_pair() -> tuple[ModelOutput, ModelOutput]:
    return out([[0.0, 0.0], [0.0, 0.0]]), out([[LN3, 0.0], [0.0, LN3]])


def test_mlkd_golden() -> None:
    losses = build_method("mlkd", {"temperatures": [1.0]}).loss(*_mlkd_pair(), {})
    assert losses["instance"].item() == pytest.approx(0.1308120359, rel=1e-6)
    assert losses["batch"].item() == pytest.approx(0.03125, rel=1e-6)
    assert losses["class"].item() == pytest.approx(0.03125, rel=1e-6)
    assert losses["loss"].item() == pytest.approx(0.2739808323, rel=1e-6)
    twice = build_method("mlkd", {"temperatures": [1.0, 1.0]}).loss(*_mlkd_pair(), {})
    assert twice["loss"].item() == pytest.approx(0.1 + 2 * (0.2739808323 - 0.1), rel=1e-6)


def test_mlkd_logit_standardization_golden() -> None:
    losses = build_method("mlkd", {"temperatures": [1.0], "logit_standardization": True}).loss(*_mlkd_pair(), {})
    assert losses["instance"].item() == pytest.approx(0.1989472636, rel=1e-5)
    assert losses["batch"].item() == pytest.approx(0.03125, rel=1e-6)


# --------------------------------------------------------------------------- logit standardisation of kd, dkd
# Teacher (3, 1): mean 2, unbiased std sqrt2 -> z = (1/sqrt2, -1/sqrt2); the student (0, 0) has std 0 -> z = 0.
# At T = 2: p_t = sigmoid(2 / (2 sqrt2)) = sigmoid(0.7071067812) = 0.6697615493; KL to (1/2, 1/2) =
# p ln 2p + (1 - p) ln 2(1 - p) = 0.0587998062; times T² = 4: 0.2351992248. With two classes DKD's NCKD is 0
# and its TCKD is this same binary KL.


def test_kd_logit_standardization_golden_and_invariance() -> None:
    kd = build_method("kd", {"temperature": 2.0, "alpha": 1.0, "logit_standardization": True})
    assert kd.loss(out([[0.0, 0.0]]), out([[3.0, 1.0]]), {})["kd"].item() == pytest.approx(0.2351992248, rel=1e-5)
    # the z-score removes each row's offset and scale: (30, 10) and (3, 1) teach the same thing
    assert kd.loss(out([[0.0, 0.0]]), out([[30.0, 10.0]]), {})["kd"].item() == pytest.approx(0.2351992248, rel=1e-5)
    assert build_method("kd").options.logit_standardization is False


def test_dkd_logit_standardization_golden() -> None:
    dkd = build_method("dkd", {"temperature": 2.0, "logit_standardization": True})
    losses = dkd.loss(out([[0.0, 0.0]]), out([[3.0, 1.0]]), {"labels": torch.tensor([0])})
    assert losses["tckd"].item() == pytest.approx(0.2351992248, rel=1e-5)
    assert losses["nckd"].item() == pytest.approx(0.0, abs=1e-6)
    assert losses["loss"].item() == pytest.approx(1.2351992248, rel=1e-5)


# --------------------------------------------------------------------------- reviewkd
# HCL of a 4x4 map against zeros: full-size MSE, then pooled to 2x2 (weight 1/2) and 1x1 (weight 1/4); 4x4 is
# skipped (not smaller than the map). Checkerboard of +-1: MSE 1, pooled maps 0 -> 1 / 1.75 = 0.5714285714.
# Left half +1, right half -1: MSE 1, 2x2 pooled (1, -1; 1, -1) MSE 1, 1x1 0 -> 1.5 / 1.75 = 0.8571428571.


def test_hcl_golden() -> None:
    checker = t([[(-1.0) ** (i + j) for j in range(4)] for i in range(4)]).view(1, 1, 4, 4)
    halves = t([[1.0, 1.0, -1.0, -1.0]] * 4).view(1, 1, 4, 4)
    assert hcl_loss(checker, torch.zeros_like(checker)).item() == pytest.approx(0.5714285714, rel=1e-6)
    assert hcl_loss(halves, torch.zeros_like(halves)).item() == pytest.approx(0.8571428571, rel=1e-6)
    assert hcl_loss(torch.ones(1, 1, 1, 1), torch.zeros(1, 1, 1, 1)).item() == pytest.approx(1.0)


def _review_outputs() -> tuple[ModelOutput, ModelOutput, list[torch.Tensor]]:
    s_maps = [torch.randn(3, 4, 14, 14, requires_grad=True), torch.randn(3, 8, 7, 7, requires_grad=True)]
    t_maps = [torch.randn(3, 32, 14, 14), torch.randn(3, 64, 4, 4)]
    student = out(torch.zeros(3, 10), early=s_maps[0], final=s_maps[1])
    teacher = out(torch.zeros(3, 10), early=t_maps[0], final=t_maps[1])
    return student, teacher, s_maps


def test_reviewkd_fuses_levels_to_the_teacher_shapes_and_trains() -> None:
    method = build_method("reviewkd", {"features": ["early", "final"], "warmup_epochs": 2})
    student, teacher, s_maps = _review_outputs()
    method.setup(student, teacher)
    # deepest first: the pooled 1x1 level, then final, then early; out channels are the teacher's
    assert [abf.out[0].out_channels for abf in method.abfs] == [64, 64, 32]
    assert [abf.attention is not None for abf in method.abfs] == [False, True, True]
    assert method.abfs[0].reduce[0].out_channels == 8  # mid = min(512, the student's deepest width)
    method.on_epoch_start(0, 5)
    half = method.loss(student, teacher, {})
    assert half["loss"].item() == pytest.approx(1.0 + 0.5 * half["review"].item(), rel=1e-5)
    half["loss"].backward()
    assert all(m.grad is not None for m in s_maps)
    assert all(p.grad is not None for p in method.parameters() if p.requires_grad)


def test_reviewkd_rejects_token_features() -> None:
    method = build_method("reviewkd", {"features": ["final"]})
    with pytest.raises(ValueError, match="4-D"):
        method.setup(
            out(torch.zeros(2, 3), final=torch.zeros(2, 5, 8)), out(torch.zeros(2, 3), final=torch.zeros(2, 5, 8))
        )


@pytest.mark.parametrize("name", ["rkd", "pkt", "sp", "vid", "reviewkd"])
def test_feature_methods_name_a_missing_feature(name: str) -> None:
    method = build_method(name)
    student = out(torch.zeros(2, 3))
    with pytest.raises(ValueError, match="features:"):
        method.setup(student, student)
        method.loss(student, student, {})


@pytest.mark.parametrize("name", ["rkd", "pkt", "sp", "vid", "dist", "mlkd", "reviewkd"])
def test_teacher_gets_no_gradient(name: str) -> None:
    method = build_method(name, {"features": ["hint"]} if name in ("sp", "vid", "reviewkd") else None)
    feat = "hint" if name in ("sp", "vid", "reviewkd") else "final"
    t_logits = torch.randn(4, 5, requires_grad=True)
    t_map = torch.randn(4, 6, 4, 4, requires_grad=True)
    student = out(torch.randn(4, 5, requires_grad=True), **{feat: torch.randn(4, 3, 4, 4, requires_grad=True)})
    teacher = ModelOutput(logits=t_logits, features={feat: t_map})
    method.setup(student, teacher)
    method.loss(student, teacher, {"labels": torch.tensor([0, 1, 2, 3])})["loss"].backward()
    assert t_logits.grad is None and t_map.grad is None
