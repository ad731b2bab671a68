"""Image sets stored as idx files (LeCun's MNIST format): Fashion-MNIST from Debian, MNIST from any folder.

- ``embedded_fashion_mnist``: Fashion-MNIST (Xiao, Rasul & Vollgraf 2017, "Fashion-MNIST: a Novel Image
  Dataset for Benchmarking Machine Learning Algorithms", arXiv:1708.07747; MIT licence), the full 60,000
  training and 10,000 test 28x28 grayscale images of 10 clothing classes, as shipped by Debian's
  ``dataset-fashion-mnist`` package in ``/usr/share/datasets/fashion-mnist`` (``apt-get install
  dataset-fashion-mnist``). No network.
- ``mnist_idx``: MNIST (LeCun, Bottou, Bengio & Haffner 1998) read from a folder holding the four original
  files ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte`` and
  ``t10k-labels-idx1-ubyte`` (each optionally ``.gz``), e.g. a copy of yann.lecun.com's files.

Both keep the official test split as test. With ``holdout: true`` (default) a stratified, seeded
``val_fraction`` of the training images is held out for validation. With ``holdout: false`` every training
image is trained on and the validation split *is the test split*: the per-epoch validation figures are then
test figures, so nothing may be selected on them (the published recipes this serves report the last epoch).
The data info says which.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from distillbench.data.base import DataSource
from distillbench.data.hub_images import holdout_split
from distillbench.data.images import image_dataset
from distillbench.errors import DataError, MissingDependencyError
from distillbench.registry import DATA_SOURCES
from distillbench.types import DataSplits

FASHION_DIR = "/usr/share/datasets/fashion-mnist"
FASHION_CLASSES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]
FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


def read_idx(path: Path) -> np.ndarray:
    """An idx file (optionally gzipped) as a uint8 array: magic 0x00 0x00 0x08 <ndim>, big-endian sizes, data."""
    raw = (gzip.open if path.suffix == ".gz" else open)(path, "rb").read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise DataError(f"{path}: not an idx file of unsigned bytes (magic {raw[:4].hex()})")
    ndim = raw[3]
    dims = np.frombuffer(raw, dtype=">u4", count=ndim, offset=4).astype(np.int64)
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise DataError(f"{path}: header says {tuple(dims)} ({int(np.prod(dims))} bytes), file holds {data.size}")
    return data.reshape(tuple(dims))


def find_file(folder: Path, stem: str) -> Path | None:
    for name in (stem, f"{stem}.gz"):
        if (folder / name).is_file():
            return folder / name
    return None


def read_idx_folder(folder: Path, missing_hint: str) -> dict[str, np.ndarray]:
    """The four idx files of an MNIST-layout folder (images as (N, 1, H, W) uint8, labels as int64)."""
    paths = {key: find_file(folder, stem) for key, stem in FILES.items()}
    missing = [FILES[k] for k, p in paths.items() if p is None]
    if missing:
        raise MissingDependencyError(f"{folder}: missing {', '.join(missing)} (or .gz): {missing_hint}")
    arrays = {key: read_idx(p) for key, p in paths.items() if p is not None}
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise DataError(f"{folder}: {split} images {images.shape} and labels {labels.shape} do not match")
        arrays[f"{split}_images"] = images[:, None]
        arrays[f"{split}_labels"] = labels.astype(np.int64)
    return arrays


@dataclass
class IdxOptions:
    #: the folder with the four idx files (default for embedded_fashion_mnist: Debian's install folder)
    root: str = ""
    #: hold a validation share out of train (false: train on all of it; validation = the test split)
    holdout: bool = True
    val_fraction: float = 0.1
    split_seed: int = 0

    def __post_init__(self) -> None:
        if self.holdout and not 0 < self.val_fraction < 1:
            raise ValueError(f"val_fraction must be in (0, 1), got {self.val_fraction}")


def idx_splits(
    arrays: dict[str, np.ndarray], names: list[str], opts: IdxOptions, info: dict, max_samples: int | None
) -> DataSplits:
    """Train / val / test from idx arrays: the official test split, and val held out of train or = test."""
    train_x, train_y = arrays["train_images"], arrays["train_labels"]
    test = (arrays["test_images"], arrays["test_labels"])
    if opts.holdout:
        tr, va = holdout_split(train_y, opts.val_fraction, opts.split_seed)
        parts = {"train": (train_x[tr], train_y[tr]), "val": (train_x[va], train_y[va]), "test": test}
        split = f"official test; val = stratified {opts.val_fraction} of train (seed {opts.split_seed})"
        version = f"{info['version']}-val{opts.val_fraction}-seed{opts.split_seed}"
    else:
        parts = {"train": (train_x, train_y), "val": test, "test": test}
        split = "all training images, official test; no holdout: the validation split is the test split"
        version = f"{info['version']}-noholdout"
    ds = {k: image_dataset(x[:max_samples], y[:max_samples], names) for k, (x, y) in parts.items()}
    info = {
        **info,
        "num_classes": len(names),
        "class_names": names,
        "in_channels": 1,
        "image_size": int(train_x.shape[-1]),
        "split": split,
        "val_is_test": not opts.holdout,
        "version": version,
    }
    return DataSplits(ds["train"], ds["val"], ds["test"], info)


@DATA_SOURCES.register("embedded_fashion_mnist")
class EmbeddedFashionMNIST(DataSource):
    """Fashion-MNIST, 60k / 10k, from Debian's ``dataset-fashion-mnist`` package (no network)."""

    Options = IdxOptions

    def load(self, max_samples: int | None = None) -> DataSplits:
        folder = Path(self.options.root or FASHION_DIR)
        hint = (
            "install Debian's package with `apt-get install dataset-fashion-mnist` (MIT; its files land in "
            f"{FASHION_DIR}), or point data.options.root at a folder with the four idx files"
        )
        if not folder.is_dir():
            raise MissingDependencyError(f"Fashion-MNIST is not installed ({folder} does not exist): {hint}")
        arrays = read_idx_folder(folder, hint)
        info = {"source": f"Fashion-MNIST idx files ({folder})", "version": "fashion-mnist-v1", "samples": 70_000}
        return idx_splits(arrays, list(FASHION_CLASSES), self.options, info, max_samples)


@DATA_SOURCES.register("mnist_idx")
class MnistIdx(DataSource):
    """MNIST (or any MNIST-layout set) from a folder with the four idx files; ``root`` is required."""

    Options = IdxOptions

    def load(self, max_samples: int | None = None) -> DataSplits:
        if not self.options.root:
            raise DataError("mnist_idx needs data.options.root: the folder with train-images-idx3-ubyte(.gz) etc.")
        folder = Path(self.options.root).expanduser()
        if not folder.is_dir():
            raise DataError(f"mnist_idx: {folder} is not a directory")
        arrays = read_idx_folder(folder, "copy the four MNIST idx files there (yann.lecun.com/exdb/mnist)")
        n = len(arrays["train_labels"]) + len(arrays["test_labels"])
        names = [str(i) for i in range(int(max(arrays["train_labels"].max(), arrays["test_labels"].max())) + 1)]
        info = {"source": f"MNIST idx files ({folder})", "version": f"mnist-idx-{n}", "samples": n}
        return idx_splits(arrays, names, self.options, info, max_samples)
