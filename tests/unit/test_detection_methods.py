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


# --- ld (Zheng et al. 2022) and GFL's DFL --------------------------------------------------------------------------
# KL((1/4, 3/4) || (1/2, 1/2)) = 1/4 ln(1/2) + 3/4 ln(3/2) = 0.1308120359 (as for det_kd above)
_KL = 0.1308120359


def _ld_outputs(t_logit: float) -> tuple[ModelOutput, ModelOutput]:
    """Two positive locations, 4 edges of 2 bins. Student: all-zero edge logits (uniform), class logits 0 and ln 3
    (w = 0.5, 0.75). Teacher: location 0's first edge (0, t_logit), everything else equal to the student."""
    s_edges = torch.zeros(1, 2, 4, 2)
    t_edges = s_edges.clone()
    t_edges[0, 0, 0, 1] = t_logit
    positives = torch.tensor([[True, True]])
    student = ModelOutput(
        logits=_logits(0.0, math.log(3.0)), loss=TASK, features={"edges": s_edges, "positives": positives}
    )
    return student, ModelOutput(logits=_logits(0.0, 0.0), features={"edges": t_edges})


def test_ld_golden_value_temperature_1() -> None:
    # location 0: KL of one edge, mean over 4 edges: 0.1308120359 / 4; location 1: 0.
    # ld = (0.5 * 0.0327030090 + 0.75 * 0) / (0.5 + 0.75) = 0.0130812036; loss = 2 + 0.5 * ld = 2.0065406018
    student, teacher = _ld_outputs(math.log(3.0))
    out = build_method("ld", {"temperature": 1.0, "weight": 0.5}).loss(student, teacher, {})
    assert out["ld"].item() == pytest.approx(_KL / 4 * 0.5 / 1.25, abs=1e-6)
    assert out["ld"].item() == pytest.approx(0.0130812036, abs=1e-6)
    assert out["loss"].item() == pytest.approx(2.0065406018, abs=1e-6)


def test_ld_golden_value_paper_temperature_scales_by_t_squared() -> None:
    # T = 10: teacher logit 10 ln 3 softens to (1/4, 3/4) again; ld = T² * 0.0130812036 = 1.3081203594
    student, teacher = _ld_outputs(10 * math.log(3.0))
    out = build_method("ld").loss(student, teacher, {})  # defaults: T = 10, weight 1
    assert out["ld"].item() == pytest.approx(1.3081203594, rel=1e-5)
    assert out["loss"].item() == pytest.approx(2.0 + 1.3081203594, rel=1e-5)


def test_ld_ignores_negatives_and_checks_shapes() -> None:
    student, teacher = _ld_outputs(math.log(3.0))
    student.features["positives"] = torch.tensor([[False, True]])  # only the location where they agree
    assert build_method("ld").loss(student, teacher, {})["ld"].item() == pytest.approx(0.0, abs=1e-7)
    student.features["positives"] = torch.tensor([[False, False]])
    assert build_method("ld").loss(student, teacher, {})["ld"].item() == 0.0
    teacher.features["edges"] = torch.zeros(1, 2, 4, 3)
    with pytest.raises(ValueError, match="edge_bins"):
        build_method("ld").loss(student, teacher, {})
    del student.features["positives"]
    with pytest.raises(ValueError, match=r"head\.positives"):
        build_method("ld").loss(student, teacher, {})


def test_distribution_focal_loss_golden_value() -> None:
    from distillbench.models.edge_distribution import distribution_focal_loss

    # logits (0, 0, ln 2): softmax (1/4, 1/4, 1/2). Distance 0.75 on the grid 0, 0.5, 1 is y = 1.5: between bins 1
    # and 2 with weights 1/2 each: DFL = -(1/2 ln 1/4 + 1/2 ln 1/2) = 1.5 ln 2 = 1.0397207708
    dfl = distribution_focal_loss(torch.tensor([[0.0, 0.0, math.log(2.0)]]), torch.tensor([0.75]), step=0.5)
    assert dfl.item() == pytest.approx(1.0397207708, abs=1e-6)
    # a distance on a grid value is the cross-entropy of that bin; beyond the last bin it is clamped to it
    on_bin = distribution_focal_loss(torch.tensor([[0.0, 0.0, math.log(2.0)]]), torch.tensor([0.5]), step=0.5)
    assert on_bin.item() == pytest.approx(math.log(4.0), abs=1e-6)
    beyond = distribution_focal_loss(torch.tensor([[0.0, 0.0, math.log(2.0)]]), torch.tensor([9.0]), step=0.5)
    assert beyond.item() == pytest.approx(-(0.01 * math.log(0.25) + 0.99 * math.log(0.5)), abs=1e-5)
