"""``noisy_digits``: scikit-learn's 8x8 digits with a share of the training labels flipped.

The 1,797 UCI optical digits (Alpaydin & Kaynak 1998) that scikit-learn ships (``load_digits``), split as
distillbench's ``sklearn_digits`` is, with the same options (stratified; by default 20% test, 10% validation).
Then a fraction ``noise`` of the *training* labels is replaced by a different class drawn uniformly (symmetric
label noise); validation and test labels stay clean. Distilling through label noise is studied e.g. by Li et al.
(2017), "Learning from Noisy Labels with Distillation", ICCV 2017, arXiv:1703.02391.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from distillbench.data.base import DataSource, cap, split_indices
from distillbench.data.embedded_digits import SplitOptions
from distillbench.data.images import image_dataset
from distillbench.registry import DATA_SOURCES
from distillbench.types import DataSplits


@dataclass
class NoisyDigitsOptions(SplitOptions):
    """``sklearn_digits``'s split options (val_fraction, test_fraction, split_seed) and the label noise."""

    #: fraction of training labels replaced by another class
    noise: float = 0.3
    #: seed of which labels flip and to what
    noise_seed: int = 0

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0.0 <= self.noise < 1.0:
            raise ValueError(f"noise must be in [0, 1), got {self.noise}")


def flip_labels(labels: np.ndarray, noise: float, num_classes: int, seed: int) -> np.ndarray:
    """A copy of ``labels`` with ``round(noise * n)`` of them moved to a different, uniformly drawn class."""
    rng = np.random.default_rng(seed)
    out = labels.copy()
    flip = rng.choice(len(labels), size=round(noise * len(labels)), replace=False)
    out[flip] = (labels[flip] + rng.integers(1, num_classes, size=len(flip))) % num_classes
    return out


@DATA_SOURCES.register("noisy_digits")
class NoisyDigits(DataSource):
    """8x8 UCI digits (scikit-learn) with symmetric noise on the training labels; clean val and test."""

    Options = NoisyDigitsOptions

    def load(self, max_samples: int | None = None) -> DataSplits:
        from sklearn.datasets import load_digits

        o = self.options
        bunch = load_digits()
        images = np.clip(bunch.images * 16, 0, 255).astype(np.uint8).reshape(-1, 1, 8, 8)
        labels = bunch.target.astype(np.int64)
        splits = split_indices(labels, o.val_fraction, o.test_fraction, o.split_seed)
        train, val, test = (cap(i, max_samples) for i in splits)
        names = [str(i) for i in range(10)]
        noisy = flip_labels(labels[train], o.noise, 10, o.noise_seed)
        info = {
            "source": "scikit-learn load_digits (UCI optical digits), symmetric training-label noise",
            "version": f"noisy-digits-v1-{o.split_seed}-{o.val_fraction}-{o.test_fraction}-{o.noise}-{o.noise_seed}",
            "samples": len(labels),
            "flipped_train_labels": int((noisy != labels[train]).sum()),
            "num_classes": 10,
            "class_names": names,
            "in_channels": 1,
            "image_size": 8,
        }
        return DataSplits(
            image_dataset(images[train], noisy, names),
            image_dataset(images[val], labels[val], names),
            image_dataset(images[test], labels[test], names),
            info,
        )
