"""Reading and writing COCO-format detection splits (Lin et al. 2014, "Microsoft COCO: Common Objects
in Context", ECCV, arXiv:1405.0312).

One split is an annotation JSON (``images``, ``annotations``, ``categories``; boxes ``[x, y, w, h]``
in pixels) plus a folder of image files named by each image's ``file_name``. :func:`read_coco_split`
turns it into the one in-memory detection layout every detection source produces: a
``datasets.Dataset`` with ``image`` (uint8 (3, S, S), resized to ``image_size``), ``boxes`` (a list
of ``[x1, y1, x2, y2]`` in resized pixels), ``labels`` (contiguous class indices 0..C-1, in the
order of the sorted category ids) and ``image_id``.

Bad input is either a clear :class:`~distillbench.errors.DataError` or a counted skip reported in
the returned :class:`SplitReport` (which sources put into the data info, recorded with every result):

- an empty or unreadable annotation file, one without ``images`` or ``categories``: error;
- an annotation naming an unknown ``category_id`` or ``image_id``: error (the data is inconsistent);
- an image listed in the JSON but missing on disk: skipped and counted (error when none is left);
- a box partly outside its image: clipped to the image and counted; a box entirely outside, or with
  zero or negative width or height: skipped and counted;
- ``iscrowd`` annotations: skipped and counted (COCO evaluates them as "ignore" regions only).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from distillbench.errors import DataError

log = logging.getLogger(__name__)


@dataclass
class SplitReport:
    """What was read from one split and what was skipped (and why)."""

    images: int = 0
    boxes: int = 0
    skipped: dict[str, int] = field(
        default_factory=lambda: {"missing_image": 0, "zero_area_box": 0, "box_outside_image": 0, "crowd": 0}
    )
    clipped_boxes: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "images": self.images,
            "boxes": self.boxes,
            "skipped": dict(self.skipped),
            "clipped": self.clipped_boxes,
        }


def load_coco_json(path: Path) -> dict[str, Any]:
    """Parse and sanity-check an annotation file (errors name the file)."""
    if not path.is_file():
        raise DataError(f"annotation file {path} does not exist")
    text = path.read_text(encoding="utf-8")
    if not text.strip():
        raise DataError(f"annotation file {path} is empty: expected COCO JSON with images, annotations, categories")
    try:
        coco = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"annotation file {path} is not valid JSON: {exc}") from None
    if not isinstance(coco, dict) or not coco.get("images") or not coco.get("categories"):
        raise DataError(f"annotation file {path} has no images or no categories: nothing to train or evaluate on")
    return coco


def category_index(categories: list[dict[str, Any]]) -> tuple[list[int], list[str]]:
    """Sorted category ids and their names; class index i is ``ids[i]``."""
    cats = sorted(categories, key=lambda c: int(c["id"]))
    return [int(c["id"]) for c in cats], [str(c.get("name", c["id"])) for c in cats]


def _load_image(path: Path, size: int) -> tuple[np.ndarray, tuple[int, int]]:
    from PIL import Image

    with Image.open(path) as im:
        rgb = im.convert("RGB")
        w, h = rgb.size
        if (w, h) != (size, size):
            rgb = rgb.resize((size, size), Image.BILINEAR)
        return np.asarray(rgb, dtype=np.uint8).transpose(2, 0, 1).copy(), (w, h)


def read_coco_split(
    annotation_file: Path,
    image_dir: Path,
    image_size: int,
    category_ids: list[int] | None = None,
    max_images: int | None = None,
) -> tuple[Any, list[int], list[str], SplitReport]:
    """Read one COCO split as a ``datasets.Dataset`` (see the module docstring for bad input).

    ``category_ids`` fixes the class order (pass the training split's so every split agrees); by
    default it is this file's sorted category ids. Images are resized to ``image_size`` squared and
    boxes scaled with them.
    """
    from datasets import Array3D, Dataset, Features, Sequence, Value

    coco = load_coco_json(annotation_file)
    ids, names = category_index(coco["categories"])
    if category_ids is not None:
        if not set(ids) <= set(category_ids):
            raise DataError(f"{annotation_file}: categories {sorted(set(ids) - set(category_ids))} are not in train")
        ids = list(category_ids)
    index = {cid: i for i, cid in enumerate(ids)}
    images = {int(im["id"]): im for im in coco["images"]}
    per_image: dict[int, list[dict[str, Any]]] = {i: [] for i in images}
    for ann in coco.get("annotations", []):
        if int(ann["category_id"]) not in index:
            raise DataError(
                f"{annotation_file}: annotation {ann.get('id')} has category_id {ann['category_id']}, which is not "
                f"among the categories {ids}"
            )
        if int(ann["image_id"]) not in per_image:
            raise DataError(f"{annotation_file}: annotation {ann.get('id')} names unknown image_id {ann['image_id']}")
        per_image[int(ann["image_id"])].append(ann)
    report = SplitReport()
    rows: dict[str, list[Any]] = {"image": [], "boxes": [], "labels": [], "image_id": []}
    for image_id in sorted(images):
        if max_images is not None and report.images >= max_images:
            break
        meta = images[image_id]
        path = image_dir / str(meta["file_name"])
        if not path.is_file():
            report.skipped["missing_image"] += 1
            continue
        pixels, (w, h) = _load_image(path, image_size)
        sx, sy = image_size / w, image_size / h
        boxes, labels = [], []
        for ann in per_image[image_id]:
            box = _clean_box(ann, w, h, report)
            if box is not None:
                x1, y1, x2, y2 = box
                boxes.append([x1 * sx, y1 * sy, x2 * sx, y2 * sy])
                labels.append(index[int(ann["category_id"])])
        rows["image"].append(pixels)
        rows["boxes"].append(boxes)
        rows["labels"].append(labels)
        rows["image_id"].append(image_id)
        report.images += 1
        report.boxes += len(boxes)
    if report.images == 0:
        raise DataError(
            f"{annotation_file}: none of its {len(images)} images could be read from {image_dir} "
            f"({report.skipped['missing_image']} missing on disk)"
        )
    if any(report.skipped.values()) or report.clipped_boxes:
        log.warning("%s: %s", annotation_file, report.to_dict())
    features = Features(
        {
            "image": Array3D(shape=(3, image_size, image_size), dtype="uint8"),
            "boxes": Sequence(Sequence(Value("float32"), length=4)),
            "labels": Sequence(Value("int64")),
            "image_id": Value("int64"),
        }
    )
    return Dataset.from_dict(rows, features=features), ids, names, report


def _clean_box(ann: dict[str, Any], w: int, h: int, report: SplitReport) -> tuple[float, ...] | None:
    """The annotation's box as clipped ``(x1, y1, x2, y2)``, or None (and a counted skip)."""
    if ann.get("iscrowd", 0):
        report.skipped["crowd"] += 1
        return None
    x, y, bw, bh = (float(v) for v in ann["bbox"])
    if bw <= 0 or bh <= 0:
        report.skipped["zero_area_box"] += 1
        return None
    x1, y1, x2, y2 = max(x, 0.0), max(y, 0.0), min(x + bw, float(w)), min(y + bh, float(h))
    if x2 - x1 < 1.0 or y2 - y1 < 1.0:  # nothing (or under a pixel) left inside the image
        report.skipped["box_outside_image"] += 1
        return None
    if (x1, y1, x2, y2) != (x, y, x + bw, y + bh):
        report.clipped_boxes += 1
    return x1, y1, x2, y2


def write_coco_split(
    out_dir: Path,
    split: str,
    images: list[np.ndarray],
    boxes: list[list[list[float]]],
    labels: list[list[int]],
    category_names: list[str],
) -> Path:
    """Write images (uint8 (3, H, W)) as PNGs under ``out_dir/split/`` and ``out_dir/annotations/split.json``.

    Boxes are ``[x1, y1, x2, y2]``; class ``i`` gets category id ``i + 1`` (COCO ids start at 1).
    """
    from PIL import Image

    (out_dir / split).mkdir(parents=True, exist_ok=True)
    (out_dir / "annotations").mkdir(parents=True, exist_ok=True)
    coco_images, anns = [], []
    for i, (pixels, bxs, lbls) in enumerate(zip(images, boxes, labels, strict=True)):
        name = f"{i:06d}.png"
        Image.fromarray(pixels.transpose(1, 2, 0)).save(out_dir / split / name)
        coco_images.append(
            {"id": i + 1, "file_name": name, "width": int(pixels.shape[2]), "height": int(pixels.shape[1])}
        )
        for (x1, y1, x2, y2), lbl in zip(bxs, lbls, strict=True):
            w, h = float(x2 - x1), float(y2 - y1)
            anns.append(
                {
                    "id": len(anns) + 1,
                    "image_id": i + 1,
                    "category_id": int(lbl) + 1,
                    "bbox": [float(x1), float(y1), w, h],
                    "area": w * h,
                    "iscrowd": 0,
                }
            )
    cats = [{"id": i + 1, "name": n, "supercategory": "object"} for i, n in enumerate(category_names)]
    path = out_dir / "annotations" / f"{split}.json"
    path.write_text(json.dumps({"images": coco_images, "annotations": anns, "categories": cats}))
    return path
