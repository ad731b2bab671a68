"""Golden values for the detection losses: expected values computed by hand, written here."""

from __future__ import annotations

import math

import pytest
import torch

from distillbench.adapters.base import ModelOutput
from distillbench.methods.base import build_method
from distillbench.methods.det_kd import binary_kl
from distillbench.methods.fg_hint import foreground_mask

TASK = torch.tensor(2.0)


def _logits(*rows: float) -> torch.Tensor:
    return torch.tensor([[[r] for r in rows]])  # (N=1, A=len(rows), C=1)


def test_no_kd_is_the_task_loss() -> None:
    out = build_method("no_kd").loss(ModelOutput(logits=_logits(0.0), loss=TASK), None, {})
    assert out["loss"].item() == 2.0


def test_det_kd_golden_value_temperature_1() -> None:
    # Student logits 0 (p_s = 0.5). Teacher logits 0 and ln 3: p_t = 0.5 and 0.75, weights w = max_c p_t = 0.5, 0.75.
    # KL(Bern(.5) || Bern(.5)) = 0; KL(Bern(.75) || Bern(.5)) = .75 ln 1.5 + .25 ln .5 = 0.1308120360.
    # kd = (0.5 * 0 + 0.75 * 0.1308120360) / (0.5 + 0.75) = 0.0784872216; loss = 2 + 0.5 * kd = 2.0392436108
    method = build_method("det_kd", {"temperature": 1.0, "weight": 0.5})
    s, t = ModelOutput(logits=_logits(0.0, 0.0), loss=TASK), ModelOutput(logits=_logits(0.0, math.log(3.0)))
    out = method.loss(s, t, {})
    assert out["kd"].item() == pytest.approx(0.0784872216, abs=1e-6)  # float32 arithmetic
    assert out["loss"].item() == pytest.approx(2.0392436108, abs=1e-6)
    assert out["task"].item() == 2.0


def test_det_kd_golden_value_temperature_2() -> None:
    # Teacher logits 0 and 2 ln 3; at T = 2 the soft targets are again 0.5 and 0.75 (KLs 0 and 0.1308120360),
    # but the weights use the unsoftened teacher: sigmoid(0) = 0.5, sigmoid(2 ln 3) = 9/10.
    # kd = T² * 0.9 * 0.1308120360 / 1.4 = 4 * 0.0840934517 = 0.3363738069
    kd = binary_kl(_logits(0.0, 0.0), _logits(0.0, 2 * math.log(3.0)), temperature=2.0)
    assert kd.item() == pytest.approx(0.3363738069, abs=1e-6)  # float32 arithmetic


def test_det_kd_is_zero_when_student_matches_teacher_and_checks_shapes() -> None:
    t = torch.randn(2, 5, 3)
    assert binary_kl(t.clone(), t, 2.0).item() == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(ValueError, match="differ in shape"):
        binary_kl(torch.zeros(1, 4, 3), torch.zeros(1, 5, 3), 2.0)


def test_foreground_mask_marks_every_cell_a_box_overlaps() -> None:
    # stride 2 on a 2x2 grid: box [3, 1, 3.5, 1.5] overlaps only the cell x in [2, 4), y in [0, 2); the padded
    # box (label -1) covers everything and must be ignored
    boxes = torch.tensor([[[3.0, 1.0, 3.5, 1.5], [0.0, 0.0, 4.0, 4.0]]])
    labels = torch.tensor([[4, -1]])
    mask = foreground_mask(boxes, labels, (2, 2), 2.0)
    assert mask.tolist() == [[[False, True], [False, False]]]


def _fg_batch() -> dict:
    return {
        "x": torch.zeros(1, 3, 4, 4),
        "boxes": torch.tensor([[[0.0, 0.0, 2.0, 2.0], [2.0, 2.0, 4.0, 4.0]]]),
        "labels": torch.tensor([[0, -1]]),
    }


def test_fg_hint_golden_value_one_level() -> None:
    # 4x4 image, 2x2 feature (stride 2); the box [0, 0, 2, 2] covers cell (0, 0) only.
    # Student 0, teacher [[1, 2], [3, 4]]:
    # squared errors 1, 4, 9, 16 -> fg = 1, bg = (4 + 9 + 16) / 3 = 29/3; hint = 1 * 1 + 0.5 * 29/3 = 5.8333333
    method = build_method("fg_hint", {"features": ["p3"], "fg_weight": 1.0, "bg_weight": 0.5})
    s = ModelOutput(logits=torch.zeros(1), loss=TASK, features={"p3": torch.zeros(1, 1, 2, 2)})
    t = ModelOutput(logits=torch.zeros(1), features={"p3": torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])})
    method.setup(s, t)
    out = method.loss(s, t, _fg_batch())
    assert out["fg"].item() == pytest.approx(1.0) and out["bg"].item() == pytest.approx(29 / 3)
    assert out["hint"].item() == pytest.approx(5.8333333, abs=1e-6)
    assert out["loss"].item() == pytest.approx(7.8333333, abs=1e-6)


def test_fg_hint_golden_value_two_levels() -> None:
    # Level 2 is a 1x1 map (stride 4) with 2 channels, teacher (2, 4), student 0: d = (4 + 16) / 2 = 10, all foreground,
    # no background cell (its mean is 0). Averaged over levels: fg = (1 + 10) / 2 = 5.5, bg = (29/3 + 0) / 2 = 29/6;
    # hint = 5.5 + 0.5 * 29/6 = 7.9166667
    method = build_method("fg_hint", {"features": ["p3", "p4"], "fg_weight": 1.0, "bg_weight": 0.5})
    s_feats = {"p3": torch.zeros(1, 1, 2, 2), "p4": torch.zeros(1, 2, 1, 1)}
    t_feats = {"p3": torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]]), "p4": torch.tensor([[[[2.0]], [[4.0]]]])}
    s = ModelOutput(logits=torch.zeros(1), loss=TASK, features=s_feats)
    t = ModelOutput(logits=torch.zeros(1), features=t_feats)
    method.setup(s, t)
    out = method.loss(s, t, _fg_batch())
    assert out["fg"].item() == pytest.approx(5.5) and out["bg"].item() == pytest.approx(29 / 6)
    assert out["hint"].item() == pytest.approx(7.9166667, abs=1e-6)


def test_fg_hint_projects_narrower_students_and_needs_boxes() -> None:
    method = build_method("fg_hint", {"features": ["p3"]})
    s = ModelOutput(logits=torch.zeros(1), loss=TASK, features={"p3": torch.randn(2, 8, 4, 4, requires_grad=True)})
    t = ModelOutput(logits=torch.zeros(1), features={"p3": torch.randn(2, 16, 4, 4)})
    method.setup(s, t)
    batch = {"x": torch.zeros(2, 3, 32, 32), "boxes": torch.tensor([[[0.0, 0, 9, 9]], [[8, 8, 30, 30]]])}
    batch["labels"] = torch.tensor([[1], [2]])
    out = method.loss(s, t, batch)
    out["loss"].backward()
    assert out["fg"].item() > 0 and next(method.parameters()).grad is not None
    with pytest.raises(ValueError, match="ground-truth 'boxes'"):
        method.loss(s, t, {"x": batch["x"]})
