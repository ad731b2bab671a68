"""Any ``datasets`` image-classification set, by hub name or from a local image folder.

``name`` is a hub data set (e.g. ``uoft-cs/cifar10``, ``ylecun/mnist``) or ``imagefolder`` with
``data_dir`` pointing at ``<split>/<class>/<image>`` folders (Hugging Face datasets' ImageFolder
builder). Columns are mapped with ``image_column`` / ``label_column``; images are converted to
``channels`` and resized to ``image_size``. When the set has no validation split,
``val_fraction`` of train is held out, stratified and seeded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from distillbench.data.base import DataSource, load_hub_split
from distillbench.data.images import image_dataset
from distillbench.errors import DataError, MissingDependencyError
from distillbench.registry import DATA_SOURCES
from distillbench.types import DataSplits


@dataclass
class HubImageOptions:
    name: str
    data_dir: str | None = None
    config: str | None = None
    revision: str | None = None
    splits: dict[str, str] = field(default_factory=lambda: {"train": "train", "test": "test"})
    image_column: str = "image"
    label_column: str = "label"
    image_size: int = 32
    channels: int = 3
    val_fraction: float = 0.1
    split_seed: int = 0
    max_train_samples: int | None = None
    #: false: train on every training image and use the test split as the validation split (no holdout;
    #: the published CIFAR recipes), so the per-epoch validation figures are test figures
    holdout: bool = True
    #: the number of classes, declared so it is known without the data (``distillbench show``); checked at load
    num_classes: int | None = None

    def __post_init__(self) -> None:
        if not self.holdout and "val" in self.splits:
            raise ValueError("holdout: false means no validation split, but splits names one")
        unknown = set(self.splits) - {"train", "val", "test"}
        if unknown or not {"train", "test"} <= set(self.splits):
            raise ValueError(f"splits must map train, test (and optionally val) to split names, got {self.splits}")
        if self.channels not in (1, 3):
            raise ValueError(f"channels must be 1 or 3, got {self.channels}")


@DATA_SOURCES.register("hf_images")
class HubImages(DataSource):
    """Image classification from the hub or a local folder, through ``datasets.load_dataset``."""

    Options = HubImageOptions

    def _load_split(self, split: str) -> Any:
        o = self.options
        return load_hub_split(o.name, o.config, split, data_dir=o.data_dir, revision=o.revision)

    def _to_arrays(self, ds: Any) -> tuple[np.ndarray, np.ndarray]:
        from PIL import Image

        o = self.options
        for col in (o.image_column, o.label_column):
            if col not in ds.column_names:
                raise DataError(f"data set {o.name!r} has no column {col!r}; columns: {', '.join(ds.column_names)}")
        mode = "L" if o.channels == 1 else "RGB"
        images = np.empty((len(ds), o.channels, o.image_size, o.image_size), dtype=np.uint8)
        for i, img in enumerate(ds[o.image_column]):
            if not isinstance(img, Image.Image):
                img = Image.fromarray(np.asarray(img))
            arr = np.asarray(img.convert(mode).resize((o.image_size, o.image_size), Image.BILINEAR))
            images[i] = arr[None] if o.channels == 1 else arr.transpose(2, 0, 1)
        labels = np.asarray(ds[o.label_column], dtype=np.int64)
        return images, labels

    def load(self, max_samples: int | None = None) -> DataSplits:
        try:
            import PIL  # noqa: F401
        except ImportError:
            raise MissingDependencyError("image data sets need Pillow: pip install 'distillbench[vision]'") from None
        o = self.options
        train_raw = self._load_split(o.splits["train"])
        label_feature = train_raw.features.get(o.label_column)
        names = getattr(label_feature, "names", None)
        arrays = {"train": self._to_arrays(train_raw), "test": self._to_arrays(self._load_split(o.splits["test"]))}
        if "val" in o.splits:
            arrays["val"] = self._to_arrays(self._load_split(o.splits["val"]))
        elif not o.holdout:
            arrays["val"] = arrays["test"]
        else:
            images, labels = arrays["train"]
            tr, va = holdout_split(labels, o.val_fraction, o.split_seed)
            arrays["train"], arrays["val"] = (images[tr], labels[tr]), (images[va], labels[va])
        if names is None:
            names = [str(i) for i in range(int(max(a[1].max() for a in arrays.values())) + 1)]
        if o.num_classes is not None and o.num_classes != len(names):
            raise DataError(
                f"data set {o.name!r} has {len(names)} classes, but data.options.num_classes is {o.num_classes}"
            )
        for split, (_, labels) in arrays.items():
            if len(labels) == 0:
                raise DataError(f"data set {o.name!r}: the {split} split is empty")
            if labels.min() < 0 or labels.max() >= len(names):
                raise DataError(f"data set {o.name!r}: {split} labels outside 0..{len(names) - 1}")
        limit = {"train": o.max_train_samples}
        out = {}
        for split, (images, labels) in arrays.items():
            n = min(x for x in (limit.get(split), max_samples, len(labels)) if x is not None)
            out[split] = image_dataset(images[:n], labels[:n], list(map(str, names)))
        info = {
            "source": f"datasets:{o.name}" + (f" ({o.data_dir})" if o.data_dir else ""),
            "version": f"{o.name}@{o.revision or 'default'}-{o.image_size}px-{o.channels}ch-seed{o.split_seed}",
            "num_classes": len(names),
            "class_names": list(map(str, names)),
            "in_channels": o.channels,
            "image_size": o.image_size,
            "split": f"splits {o.splits}" + ("" if "val" in o.splits else f", val {o.val_fraction} of train"),
        }
        if not o.holdout:
            info["split"] = (
                f"splits {o.splits}, all training images; no holdout: the validation split is the test split"
            )
            info["val_is_test"] = True
            info["version"] += "-noholdout"
        return DataSplits(out["train"], out["val"], out["test"], info)


def holdout_split(labels: np.ndarray, val_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Hold out a stratified validation share of train (stratification dropped for tiny classes)."""
    from sklearn.model_selection import train_test_split

    idx = np.arange(len(labels))
    counts = np.bincount(labels)
    n_val = max(1, round(val_fraction * len(labels)))
    if len(labels) < 2:
        raise DataError("the train split needs at least 2 samples to hold out a validation share")
    ok = counts[counts > 0].min() >= 2 and n_val >= (counts > 0).sum()
    train, val = train_test_split(idx, test_size=n_val, random_state=seed, stratify=labels if ok else None)
    return np.sort(train), np.sort(val)
