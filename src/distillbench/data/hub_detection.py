"""Any ``datasets`` object-detection set, by hub name or from a local image folder.

``name`` is a hub data set in the layout of the Hugging Face object-detection guides (e.g.
``detection-datasets/coco``, ``cppe-5``): an image column and an ``objects`` column holding per
image lists ``bbox`` and ``category`` (names set by ``objects_column`` / ``bbox_key`` /
``category_key``); or ``imagefolder`` with ``data_dir`` holding ``<split>/`` folders of images and a
``metadata.jsonl`` per split (``{"file_name": ..., "objects": {"bbox": [...], "category": [...]}}``).
Boxes are ``[x, y, w, h]`` (``bbox_format: xywh``, COCO's) or ``[x1, y1, x2, y2]`` (``xyxy``).

Each split is converted once to a COCO-format folder under
``<cache>/data/hf_detection/<hash of the options>/`` and read back with the COCO reader, so bad
input is handled exactly as for any COCO folder (:mod:`distillbench.data.coco`): boxes outside the
image or of zero area are clipped or skipped and counted, unknown categories are an error.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from distillbench.data.base import DataSource, load_hub_split
from distillbench.data.coco_folder import load_coco_folder
from distillbench.errors import DataError
from distillbench.registry import DATA_SOURCES
from distillbench.types import DataSplits


@dataclass
class HubDetectionOptions:
    name: str
    data_dir: str | None = None
    config: str | None = None
    revision: str | None = None
    splits: dict[str, str] = field(default_factory=lambda: {"train": "train", "val": "validation", "test": "test"})
    image_column: str = "image"
    objects_column: str = "objects"
    bbox_key: str = "bbox"
    category_key: str = "category"
    bbox_format: str = "xywh"
    image_size: int = 128

    def __post_init__(self) -> None:
        if set(self.splits) != {"train", "val", "test"}:
            raise ValueError(f"splits must map train, val and test to split names, got {self.splits}")
        if self.bbox_format not in ("xywh", "xyxy"):
            raise ValueError(f"bbox_format must be 'xywh' or 'xyxy', got {self.bbox_format!r}")


@DATA_SOURCES.register("hf_detection")
class HubDetection(DataSource):
    """Object detection from the hub or a local folder, through ``datasets.load_dataset``."""

    Options = HubDetectionOptions

    def _load_split(self, split: str) -> Any:
        o = self.options
        return load_hub_split(o.name, o.config, split, data_dir=o.data_dir, revision=o.revision)

    def _write_split(self, ds: Any, out: Path, split: str, names: list[str] | None) -> None:
        """Write one split as COCO JSON + PNGs (category index c becomes COCO id c + 1)."""
        from PIL import Image

        o = self.options
        for col in (o.image_column, o.objects_column):
            if col not in ds.column_names:
                raise DataError(f"data set {o.name!r} has no column {col!r}; columns: {', '.join(ds.column_names)}")
        (out / split).mkdir(parents=True, exist_ok=True)
        images, anns = [], []
        for i, row in enumerate(ds):
            img = row[o.image_column]
            img = img if isinstance(img, Image.Image) else Image.fromarray(np.asarray(img))
            name = f"{i:06d}.png"
            img.convert("RGB").save(out / split / name)
            images.append({"id": i + 1, "file_name": name, "width": img.width, "height": img.height})
            objects = row[o.objects_column] or {}
            if isinstance(objects, list):  # a list of {bbox, category} dicts instead of a dict of lists
                objects = {k: [ob[k] for ob in objects] for k in (o.bbox_key, o.category_key)}
            boxes, cats = objects.get(o.bbox_key) or [], objects.get(o.category_key) or []
            if len(boxes) != len(cats):
                raise DataError(f"{o.name} {split} row {i}: {len(boxes)} boxes but {len(cats)} categories")
            for box, cat in zip(boxes, cats, strict=True):
                x, y, a, b = (float(v) for v in box)
                w, h = (a - x, b - y) if o.bbox_format == "xyxy" else (a, b)
                anns.append({"id": len(anns) + 1, "image_id": i + 1, "category_id": int(cat) + 1, "bbox": [x, y, w, h]})
        cats_json = [{"id": c + 1, "name": names[c] if names and c < len(names) else str(c)} for c in self._cats]
        coco = {"images": images, "annotations": anns, "categories": cats_json}
        (out / "annotations").mkdir(exist_ok=True)
        (out / "annotations" / f"{split}.json").write_text(json.dumps(coco))

    def load(self, max_samples: int | None = None) -> DataSplits:
        from distillbench.paths import default_cache_dir

        o = self.options
        key = hashlib.sha256(json.dumps(asdict(o), sort_keys=True).encode()).hexdigest()[:12]
        out = Path(default_cache_dir()) / "data" / "hf_detection" / key
        if not (out / "done").is_file():
            raw = {role: self._load_split(name) for role, name in o.splits.items()}
            names = _category_names(raw["train"], o)
            if names is not None:
                self._cats = list(range(len(names)))
            else:  # no ClassLabel: the categories seen in train (other splits must not add new ones)
                objs = raw["train"][o.objects_column]
                self._cats = sorted({int(c) for ob in objs for c in (ob or {}).get(o.category_key) or []})
            tmp = out.with_name(f"{key}.tmp{os.getpid()}")
            shutil.rmtree(tmp, ignore_errors=True)
            for role, ds in raw.items():
                self._write_split(ds, tmp, role, names)
            (tmp / "done").write_text("ok")
            try:
                os.replace(tmp, out)
            except OSError:
                shutil.rmtree(tmp, ignore_errors=True)
        info = {"source": f"datasets:{o.name}" + (f" ({o.data_dir})" if o.data_dir else ""), "version": f"hf-det-{key}"}
        return load_coco_folder(out, {"train": "train", "val": "val", "test": "test"}, o.image_size, max_samples, info)


def _category_names(ds: Any, o: HubDetectionOptions) -> list[str] | None:
    """Class names from a ``ClassLabel`` category feature, when the data set declares one."""
    feature = ds.features.get(o.objects_column)
    inner = getattr(feature, "feature", feature)
    if isinstance(inner, dict):
        cat = inner.get(o.category_key)
        cat = getattr(cat, "feature", cat)
        names = getattr(cat, "names", None)
        return list(names) if names else None
    return None
