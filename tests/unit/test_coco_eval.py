"""COCO mAP: the project's figure equals pycocotools' own on hand-made cases with known answers."""

from __future__ import annotations

import contextlib
import io
import json

import numpy as np
import pytest

from distillbench.adapters.coco_eval import coco_metrics

GT_BOX = np.array([[0.0, 0.0, 10.0, 10.0]])  # one 10x10 object of class 0 (area 100: "small")


def _pycocotools_map(tmp_path, gt: dict, results: list[dict]) -> list[float]:
    """pycocotools run the documented way: JSON files on disk, COCO(), loadRes(), COCOeval."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "dt.json").write_text(json.dumps(results))
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO(str(tmp_path / "gt.json"))
        ev = COCOeval(coco, coco.loadRes(str(tmp_path / "dt.json")), "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return [float(s) for s in ev.stats]


def _gt_json() -> dict:
    return {
        "images": [{"id": 1, "width": 32, "height": 32}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 7, "bbox": [0, 0, 10, 10], "area": 100, "iscrowd": 0}],
        "categories": [{"id": 7, "name": "seven"}],
    }


def test_false_positive_ranked_first_halves_ap(tmp_path) -> None:
    # A wrong box scored 0.95 ranks above the exact box scored 0.9: recall 1 is reached at precision 1/2,
    # so the interpolated precision is 0.5 at every recall level and every IoU threshold -> AP = 0.5.
    dets = np.array([[20.0, 20.0, 30.0, 30.0], [0.0, 0.0, 10.0, 10.0]])
    ours = coco_metrics([1], [GT_BOX], [np.array([0])], [dets], [np.array([0.95, 0.9])], [np.array([0, 0])], [7])
    assert (
        ours["map"] == pytest.approx(0.5) and ours["ap50"] == pytest.approx(0.5) and ours["ap75"] == pytest.approx(0.5)
    )
    assert ours["ap_small"] == pytest.approx(0.5) and ours["ap_medium"] is None and ours["ap_large"] is None
    theirs = _pycocotools_map(
        tmp_path,
        _gt_json(),
        [
            {"image_id": 1, "category_id": 7, "bbox": [20, 20, 10, 10], "score": 0.95},
            {"image_id": 1, "category_id": 7, "bbox": [0, 0, 10, 10], "score": 0.9},
        ],
    )
    assert ours["map"] == pytest.approx(theirs[0]) and ours["ap50"] == pytest.approx(theirs[1])


def test_iou_072_counts_at_five_of_ten_thresholds(tmp_path) -> None:
    # The detection [0, 0, 10, 7.2] has IoU 72/100 = 0.72 with the ground truth: a hit at IoU 0.50, 0.55,
    # 0.60, 0.65, 0.70 (AP 1) and a miss at 0.75 ... 0.95 (AP 0): mAP = 5/10, AP50 = 1, AP75 = 0.
    dets = np.array([[0.0, 0.0, 10.0, 7.2]])
    ours = coco_metrics([1], [GT_BOX], [np.array([0])], [dets], [np.array([0.8])], [np.array([0])], [7])
    assert ours["map"] == pytest.approx(0.5)
    assert ours["ap50"] == pytest.approx(1.0) and ours["ap75"] == pytest.approx(0.0)
    theirs = _pycocotools_map(
        tmp_path, _gt_json(), [{"image_id": 1, "category_id": 7, "bbox": [0, 0, 10, 7.2], "score": 0.8}]
    )
    assert [ours["map"], ours["ap50"], ours["ap75"]] == pytest.approx(theirs[:3])


def test_wrong_class_and_no_detections_score_zero() -> None:
    dets = np.array([[0.0, 0.0, 10.0, 10.0]])
    # class index 1 maps to category id 8: a perfect box of the wrong class is no hit
    wrong = coco_metrics([1], [GT_BOX], [np.array([0])], [dets], [np.array([0.9])], [np.array([1])], [7, 8])
    assert wrong["map"] == 0.0
    empty = coco_metrics(
        [1], [GT_BOX], [np.array([0])], [np.zeros((0, 4))], [np.zeros(0)], [np.zeros(0, dtype=int)], [7]
    )
    assert empty["map"] == 0.0 and empty["n_detections"] == 0


def test_perfect_detections_on_two_images() -> None:
    gt = [np.array([[0.0, 0.0, 10.0, 10.0], [40.0, 40.0, 90.0, 90.0]]), np.array([[5.0, 5.0, 20.0, 25.0]])]
    labels = [np.array([0, 1]), np.array([1])]
    scores = [np.array([0.9, 0.8]), np.array([0.7])]
    out = coco_metrics([3, 4], gt, labels, gt, scores, labels, [1, 2])
    assert out["map"] == pytest.approx(1.0) and out["ap_medium"] == pytest.approx(1.0)
    assert out["n_gt_boxes"] == 3 and out["n_detections"] == 3
