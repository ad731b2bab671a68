"""The one in-memory text-classification layout every text source produces, and its checks.

A ``datasets.Dataset`` with ``text``: str and ``label``: ``ClassLabel``. :func:`clean_texts` is the
shared validation: every text must be a non-empty string after stripping whitespace, and an offending
row is named (split and row number) in the error.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from distillbench.errors import DataError

if TYPE_CHECKING:  # datasets takes ~2 s to import: only where a data set is built
    from datasets import Dataset


def text_dataset(texts: Sequence[str], labels: np.ndarray, class_names: list[str]) -> Dataset:
    """Wrap texts and integer labels (0..C-1) as a ``datasets.Dataset``."""
    if len(texts) != len(labels):
        raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
    from datasets import ClassLabel, Dataset, Features, Value

    features = Features({"text": Value("string"), "label": ClassLabel(names=class_names)})
    return Dataset.from_dict({"text": list(texts), "label": np.asarray(labels, dtype=np.int64)}, features=features)


def clean_texts(texts: Sequence[Any], where: str) -> list[str]:
    """Strip every text; a missing, non-string or empty/whitespace-only text is a DataError naming its row."""
    out: list[str] = []
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise DataError(f"{where}: row {i} has no text (got {text!r}); every row needs a non-empty string")
        stripped = " ".join(text.split())
        if not stripped:
            raise DataError(f"{where}: row {i} has empty or whitespace-only text; remove it or fix the data")
        out.append(stripped)
    return out


def check_max_length(max_length: int) -> None:
    """Text sources carry the task's ``max_length`` (tokens per text); it must leave room for [CLS] and [SEP]."""
    if max_length < 3:
        raise ValueError(f"max_length must be at least 3 tokens, got {max_length}")
