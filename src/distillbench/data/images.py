"""The one in-memory image-classification layout every image source produces.

A ``datasets.Dataset`` with ``image``: uint8 array (C, H, W) and ``label``: ``ClassLabel``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # datasets takes ~2 s to import: only where a data set is built
    from datasets import Dataset


def image_dataset(images: np.ndarray, labels: np.ndarray, class_names: list[str]) -> Dataset:
    """Wrap uint8 images (N, C, H, W) and integer labels as a ``datasets.Dataset``."""
    if images.dtype != np.uint8 or images.ndim != 4:
        raise ValueError(f"images must be uint8 (N, C, H, W), got {images.dtype} {images.shape}")
    from datasets import Array3D, ClassLabel, Dataset, Features

    features = Features(
        {"image": Array3D(shape=tuple(images.shape[1:]), dtype="uint8"), "label": ClassLabel(names=class_names)}
    )
    return Dataset.from_dict({"image": images, "label": labels.astype(np.int64)}, features=features)
