"""Any COCO-format detection folder (Lin et al. 2014, "Microsoft COCO: Common Objects in Context").

Layout: ``<root>/annotations/<split>.json`` and the images under ``<root>/<split>/``, for the three
split names given in the options (defaults ``train``, ``val``, ``test``). To use COCO 2017, point
``root`` at the COCO folder and name the files, e.g. ``train: train2017`` (reading
``annotations/train2017.json``; rename or link ``instances_train2017.json``), ``val: val2017``. The
class order comes from the training split's categories; images are resized to ``image_size``
squared (boxes with them). What was skipped per split is recorded in the data info (``report``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from distillbench.data.base import DataSource
from distillbench.data.coco import read_coco_split
from distillbench.errors import DataError
from distillbench.registry import DATA_SOURCES
from distillbench.types import DataSplits


@dataclass
class CocoFolderOptions:
    #: the folder holding ``annotations/`` and one image folder per split
    root: str = ""
    train: str = "train"
    val: str = "val"
    test: str = "test"
    #: images are resized to image_size x image_size
    image_size: int = 128

    def __post_init__(self) -> None:
        if not self.root:
            raise ValueError("coco_folder needs 'root': the folder with annotations/<split>.json and <split>/ images")
        if self.image_size < 32:
            raise ValueError(f"image_size must be at least 32, got {self.image_size}")


def load_coco_folder(
    root: Path, splits: dict[str, str], image_size: int, max_samples: int | None, info: dict
) -> DataSplits:
    """Read the three splits of a COCO-format folder into :class:`DataSplits`."""
    if not root.is_dir():
        raise DataError(f"COCO folder {root} does not exist")
    parts, reports = {}, {}
    ids: list[int] | None = None
    names: list[str] = []
    for role in ("train", "val", "test"):
        name = splits[role]
        ds, split_ids, split_names, report = read_coco_split(
            root / "annotations" / f"{name}.json", root / name, image_size, category_ids=ids, max_images=max_samples
        )
        if ids is None:
            ids, names = split_ids, split_names
        parts[role], reports[role] = ds, report.to_dict()
    assert ids is not None
    info = {
        **info,
        "num_classes": len(ids),
        "class_names": names,
        "category_ids": ids,
        "in_channels": 3,
        "image_size": image_size,
        "report": reports,
    }
    return DataSplits(parts["train"], parts["val"], parts["test"], info)


def folder_version(root: Path, splits: dict[str, str]) -> str:
    """A short hash of the annotation files' sizes and modification times (changes when they do)."""
    h = hashlib.sha256()
    for name in splits.values():
        p = root / "annotations" / f"{name}.json"
        if p.is_file():
            st = p.stat()
            h.update(f"{name}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()[:10]


@DATA_SOURCES.register("coco_folder")
class CocoFolder(DataSource):
    """A user's COCO-format folder (e.g. COCO val2017), read offline."""

    Options = CocoFolderOptions

    def load(self, max_samples: int | None = None) -> DataSplits:
        o = self.options
        root = Path(o.root).expanduser()
        splits = {"train": o.train, "val": o.val, "test": o.test}
        info = {
            "source": f"COCO-format folder {root}",
            "version": f"coco-folder-{folder_version(root, splits)}-{o.image_size}",
            "splits": splits,
        }
        return load_coco_folder(root, splits, o.image_size, max_samples, info)
