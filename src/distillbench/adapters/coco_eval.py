"""COCO box mAP computed by pycocotools (Lin et al. 2014, "Microsoft COCO: Common Objects in Context").

:func:`coco_metrics` builds the ground truth and the detections as in-memory COCO objects and runs
``COCOeval`` unchanged (101-point interpolated precision, IoU 0.50:0.05:0.95, up to 100 detections
per image). ``map`` is AP@[.5:.95], ``ap50`` / ``ap75`` AP at one IoU, ``ap_small`` / ``ap_medium``
/ ``ap_large`` AP by object area (< 32², 32²-96², > 96² px; the area is the box area, as no
segmentation exists here). pycocotools reports -1 for a size range without ground truth; it is
``None`` here. With no detections at all, every AP is 0 (pycocotools cannot load an empty result
list; AP over categories with ground truth and no detections is 0 by definition).
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Sequence
from typing import Any

import numpy as np

STAT_NAMES = ("map", "ap50", "ap75", "ap_small", "ap_medium", "ap_large")


def to_coco_gt(
    image_ids: Sequence[int], boxes: Sequence[np.ndarray], labels: Sequence[np.ndarray], category_ids: Sequence[int]
) -> dict[str, Any]:
    """Ground truth as a COCO dict: ``boxes`` are (n, 4) ``x1, y1, x2, y2``; labels index ``category_ids``."""
    images, anns = [], []
    for image_id, bxs, lbls in zip(image_ids, boxes, labels, strict=True):
        images.append({"id": int(image_id)})
        for (x1, y1, x2, y2), lbl in zip(
            np.asarray(bxs).reshape(-1, 4).tolist(), np.asarray(lbls).tolist(), strict=True
        ):
            w, h = x2 - x1, y2 - y1
            anns.append(
                {
                    "id": len(anns) + 1,
                    "image_id": int(image_id),
                    "category_id": int(category_ids[int(lbl)]),
                    "bbox": [x1, y1, w, h],
                    "area": w * h,
                    "iscrowd": 0,
                }
            )
    return {"images": images, "annotations": anns, "categories": [{"id": int(c)} for c in category_ids]}


def to_coco_results(
    image_ids: Sequence[int],
    boxes: Sequence[np.ndarray],
    scores: Sequence[np.ndarray],
    labels: Sequence[np.ndarray],
    category_ids: Sequence[int],
) -> list[dict[str, Any]]:
    """Detections as a COCO result list (``bbox`` in ``x, y, w, h``)."""
    out = []
    for image_id, bxs, scs, lbls in zip(image_ids, boxes, scores, labels, strict=True):
        for (x1, y1, x2, y2), s, lbl in zip(
            np.asarray(bxs).reshape(-1, 4).tolist(), np.asarray(scs).tolist(), np.asarray(lbls).tolist(), strict=True
        ):
            out.append(
                {
                    "image_id": int(image_id),
                    "category_id": int(category_ids[int(lbl)]),
                    "bbox": [x1, y1, x2 - x1, y2 - y1],
                    "score": float(s),
                }
            )
    return out


def evaluate_coco(gt: dict[str, Any], results: list[dict[str, Any]]) -> dict[str, Any]:
    """Run pycocotools' COCOeval (bbox) on a ground-truth dict and a result list."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    n_gt = len(gt["annotations"])
    if not results:
        out: dict[str, Any] = {k: 0.0 for k in STAT_NAMES}
        out.update(n_images=len(gt["images"]), n_gt_boxes=n_gt, n_detections=0)
        return out
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO()
        coco_gt.dataset = gt
        coco_gt.createIndex()
        coco_dt = coco_gt.loadRes(results)
        ev = COCOeval(coco_gt, coco_dt, iouType="bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    stats = [float(s) for s in ev.stats[: len(STAT_NAMES)]]
    out = {name: (None if s < 0 else s) for name, s in zip(STAT_NAMES, stats, strict=True)}
    out.update(n_images=len(gt["images"]), n_gt_boxes=n_gt, n_detections=len(results))
    return out


def coco_metrics(
    image_ids: Sequence[int],
    gt_boxes: Sequence[np.ndarray],
    gt_labels: Sequence[np.ndarray],
    det_boxes: Sequence[np.ndarray],
    det_scores: Sequence[np.ndarray],
    det_labels: Sequence[np.ndarray],
    category_ids: Sequence[int],
) -> dict[str, Any]:
    """COCO box metrics of detections against ground truth, all in ``x1, y1, x2, y2`` pixels."""
    gt = to_coco_gt(image_ids, gt_boxes, gt_labels, category_ids)
    results = to_coco_results(image_ids, det_boxes, det_scores, det_labels, category_ids)
    return evaluate_coco(gt, results)
