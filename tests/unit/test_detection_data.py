"""Detection data: COCO-format folders (with bad input) and the embedded scenes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from distillbench.data.base import build_source
from distillbench.errors import DataError

CATS = [{"id": 3, "name": "cat"}, {"id": 1, "name": "dog"}]


def _coco_folder(root: Path, anns: list[dict], images: int = 2, missing: tuple[int, ...] = ()) -> Path:
    """A COCO folder whose train/val/test all use the same annotations over ``images`` 40x40 PNGs."""
    from PIL import Image

    imgs = [{"id": i + 1, "file_name": f"im{i}.png", "width": 40, "height": 40} for i in range(images)]
    (root / "annotations").mkdir(parents=True, exist_ok=True)
    for split in ("train", "val", "test"):
        (root / split).mkdir(exist_ok=True)
        for i in range(images):
            if i + 1 not in missing:
                Image.fromarray(np.full((40, 40, 3), 50 * i, dtype=np.uint8)).save(root / split / f"im{i}.png")
        coco = {"images": imgs, "annotations": anns, "categories": CATS}
        (root / "annotations" / f"{split}.json").write_text(json.dumps(coco))
    return root


def _ann(i: int, image: int, cat: int, bbox: list[float], **extra) -> dict:
    return {"id": i, "image_id": image, "category_id": cat, "bbox": bbox, "iscrowd": 0, **extra}


def _load(root: Path, size: int = 80):
    return build_source("coco_folder", {"root": str(root), "image_size": size}).load()


def test_coco_folder_reads_resizes_and_orders_classes(tmp_path) -> None:
    root = _coco_folder(tmp_path, [_ann(1, 1, 3, [4, 6, 10, 8]), _ann(2, 2, 1, [0, 0, 40, 40])])
    data = _load(root)
    assert data.sizes() == {"train": 2, "val": 2, "test": 2}
    assert data.info["category_ids"] == [1, 3] and data.info["class_names"] == ["dog", "cat"]
    row = data.test[0]
    assert np.asarray(row["image"]).shape == (3, 80, 80)
    assert row["boxes"] == [pytest.approx([8.0, 12.0, 28.0, 28.0])]  # x2 scale; [x, y, w, h] -> [x1, y1, x2, y2]
    assert row["labels"] == [1] and data.test[1]["labels"] == [0]
    assert data.info["report"]["test"]["skipped"] == {
        "missing_image": 0,
        "zero_area_box": 0,
        "box_outside_image": 0,
        "crowd": 0,
    }


def test_bad_boxes_are_clipped_or_skipped_and_counted(tmp_path) -> None:
    anns = [
        _ann(1, 1, 3, [30, 30, 20, 20]),  # partly outside: clipped to [30, 30, 40, 40]
        _ann(2, 1, 3, [50, 50, 5, 5]),  # entirely outside the 40x40 image: skipped
        _ann(3, 1, 1, [5, 5, 0, 10]),  # zero width: skipped
        _ann(4, 2, 1, [5, 5, 10, -1]),  # negative height: skipped
        _ann(5, 2, 1, [1, 1, 5, 5], iscrowd=1),  # crowd: skipped
        _ann(6, 2, 1, [1, 1, 5, 5]),
    ]
    data = _load(_coco_folder(tmp_path, anns), size=40)
    report = data.info["report"]["train"]
    assert report["skipped"] == {"missing_image": 0, "zero_area_box": 2, "box_outside_image": 1, "crowd": 1}
    assert report["clipped"] == 1 and report["boxes"] == 2
    assert data.train[0]["boxes"] == [pytest.approx([30.0, 30.0, 40.0, 40.0])]


def test_unknown_category_id_is_an_error(tmp_path) -> None:
    root = _coco_folder(tmp_path, [_ann(1, 1, 99, [1, 1, 5, 5])])
    with pytest.raises(DataError, match="category_id 99"):
        _load(root)


def test_unknown_image_id_is_an_error(tmp_path) -> None:
    root = _coco_folder(tmp_path, [_ann(1, 7, 1, [1, 1, 5, 5])])
    with pytest.raises(DataError, match="unknown image_id 7"):
        _load(root)


def test_missing_images_are_counted_and_all_missing_is_an_error(tmp_path) -> None:
    data = _load(_coco_folder(tmp_path / "a", [_ann(1, 1, 1, [1, 1, 5, 5])], images=3, missing=(2,)))
    assert data.sizes()["train"] == 2 and data.info["report"]["train"]["skipped"]["missing_image"] == 1
    with pytest.raises(DataError, match="none of its 2 images"):
        _load(_coco_folder(tmp_path / "b", [], images=2, missing=(1, 2)))


def test_empty_or_invalid_annotation_file_is_an_error(tmp_path) -> None:
    root = _coco_folder(tmp_path, [])
    (root / "annotations" / "train.json").write_text("")
    with pytest.raises(DataError, match="is empty"):
        _load(root)
    (root / "annotations" / "train.json").write_text(json.dumps({"images": [], "annotations": [], "categories": CATS}))
    with pytest.raises(DataError, match="no images"):
        _load(root)
    (root / "annotations" / "train.json").write_text("{not json")
    with pytest.raises(DataError, match="not valid JSON"):
        _load(root)
    with pytest.raises(DataError, match="does not exist"):
        _load(tmp_path / "nowhere")


def test_embedded_scenes_are_seeded_exact_and_cached(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("DISTILLBENCH_CACHE", str(tmp_path))
    opts = {"image_size": 64, "train_images": 6, "val_images": 2, "test_images": 3, "max_side": 30}
    first = build_source("embedded_scenes", opts).load()
    assert first.sizes() == {"train": 6, "val": 2, "test": 3}
    assert first.info["num_classes"] == 10 and first.info["version"].startswith("scenes-v1-")
    written = Path(first.info["path"])
    assert (written / "annotations" / "train.json").is_file() and len(list((written / "train").glob("*.png"))) == 6
    for row in first.train:
        boxes = np.asarray(row["boxes"]).reshape(-1, 4)
        assert 1 <= len(boxes) <= 4 and len(row["labels"]) == len(boxes)
        assert (boxes[:, :2] >= 0).all() and (boxes[:, 2:] <= 64).all() and (boxes[:, 2:] > boxes[:, :2]).all()
    second = build_source("embedded_scenes", opts).load()  # read back from the cache
    assert second.train["boxes"] == first.train["boxes"]
    assert np.array_equal(np.asarray(second.test["image"]), np.asarray(first.test["image"]))
    other = build_source("embedded_scenes", {**opts, "seed": 1}).load()
    assert other.info["version"] != first.info["version"] and other.train["boxes"] != first.train["boxes"]


def test_hf_detection_reads_a_local_imagefolder(tmp_path, monkeypatch) -> None:
    """The ``datasets`` path, offline: an imagefolder with metadata.jsonl per split (HF's detection layout)."""
    from PIL import Image

    monkeypatch.setenv("DISTILLBENCH_CACHE", str(tmp_path / "cache"))
    for split in ("train", "validation", "test"):
        folder = tmp_path / "data" / split
        folder.mkdir(parents=True)
        rows = []
        for i in range(2):
            Image.fromarray(np.full((20, 30, 3), 40 * i, dtype=np.uint8)).save(folder / f"{i}.png")
            objects = {"bbox": [[2.0, 3.0, 10.0, 5.0], [0.0, 0.0, 0.0, 4.0]], "category": [i, 1]}
            rows.append(json.dumps({"file_name": f"{i}.png", "objects": objects}))
        (folder / "metadata.jsonl").write_text("\n".join(rows) + "\n")
    data = build_source(
        "hf_detection", {"name": "imagefolder", "data_dir": str(tmp_path / "data"), "image_size": 60}
    ).load()
    assert data.sizes() == {"train": 2, "val": 2, "test": 2} and data.info["num_classes"] == 2
    row = data.train[0]
    assert row["labels"] == [0] and row["boxes"] == [pytest.approx([4.0, 9.0, 24.0, 24.0])]  # x2 and x3 scale
    assert data.info["report"]["train"]["skipped"]["zero_area_box"] == 2  # the [0, 0, 0, 4] boxes, counted


def test_capped_scenes_are_the_prefix_of_the_full_generation(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("DISTILLBENCH_CACHE", str(tmp_path))
    opts = {"image_size": 64, "train_images": 5, "val_images": 3, "test_images": 4, "max_side": 30}
    capped = build_source("embedded_scenes", opts).load(max_samples=2)
    assert capped.sizes() == {"train": 2, "val": 2, "test": 2} and capped.info["path"].endswith("-first2")
    full = build_source("embedded_scenes", opts).load()
    assert full.sizes() == {"train": 5, "val": 3, "test": 4}
    assert full.train["boxes"][:2] == capped.train["boxes"] and full.test["labels"][:2] == capped.test["labels"]
    assert np.array_equal(np.asarray(full.val["image"])[:2], np.asarray(capped.val["image"]))
    assert full.info["version"] == capped.info["version"]
