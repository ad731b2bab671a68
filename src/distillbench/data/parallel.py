"""The one in-memory layout every translation source produces, and its checks.

A ``datasets.Dataset`` with ``source`` and ``target`` string columns, one sentence pair per row.
:func:`clean_pairs` is the shared validation: both sides must be non-empty strings after collapsing
whitespace, and the two sides must have the same number of rows; an offending row is named (split
and row number). Rows are never dropped silently: a length filter (:func:`length_filter`) counts what
it removes, and the count is recorded in the data info.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from distillbench.errors import DataError

if TYPE_CHECKING:  # datasets takes ~2 s to import: only where a data set is built
    from datasets import Dataset


def pair_dataset(sources: Sequence[str], targets: Sequence[str]) -> Dataset:
    """Wrap aligned source / target sentences as a ``datasets.Dataset``."""
    if len(sources) != len(targets):
        raise DataError(f"{len(sources)} source sentences but {len(targets)} target sentences")
    from datasets import Dataset, Features, Value

    features = Features({"source": Value("string"), "target": Value("string")})
    return Dataset.from_dict({"source": list(sources), "target": list(targets)}, features=features)


def clean_pairs(sources: Sequence[Any], targets: Sequence[Any], where: str) -> tuple[list[str], list[str]]:
    """Whitespace-collapsed pairs; mismatched counts or an empty / non-string side is a DataError naming the row."""
    if len(sources) != len(targets):
        raise DataError(
            f"{where}: {len(sources)} source sentences but {len(targets)} target sentences — the two sides must be "
            "aligned line by line"
        )
    if not sources:
        raise DataError(f"{where}: no sentence pairs")
    out_s: list[str] = []
    out_t: list[str] = []
    for i, (s, t) in enumerate(zip(sources, targets, strict=True)):
        for side, text in (("source", s), ("target", t)):
            if not isinstance(text, str) or not " ".join(text.split()):
                raise DataError(
                    f"{where}: row {i} has an empty or missing {side} sentence (got {text!r}); every row needs "
                    "both sides"
                )
        out_s.append(" ".join(s.split()))
        out_t.append(" ".join(t.split()))
    return out_s, out_t


def length_filter(
    sources: Sequence[str], targets: Sequence[str], max_words: int | None, max_ratio: float | None
) -> tuple[list[int], dict[str, int]]:
    """Indices of pairs within ``max_words`` words per side and a word-count ratio of at most ``max_ratio``.

    Returns the kept indices and the counts removed by each rule (recorded in the data info).
    """
    keep: list[int] = []
    removed = {"too_long": 0, "length_ratio": 0}
    for i, (s, t) in enumerate(zip(sources, targets, strict=True)):
        ns, nt = len(s.split()), len(t.split())
        if max_words is not None and max(ns, nt) > max_words:
            removed["too_long"] += 1
        elif max_ratio is not None and max(ns, nt) > max_ratio * max(1, min(ns, nt)):
            removed["length_ratio"] += 1
        else:
            keep.append(i)
    return keep, removed


def check_lengths(max_words: int | None, max_ratio: float | None, max_length: int) -> None:
    """Validate the filter and truncation options shared by the translation sources."""
    if max_words is not None and max_words < 1:
        raise ValueError(f"max_words must be at least 1, got {max_words}")
    if max_ratio is not None and max_ratio < 1:
        raise ValueError(f"max_ratio must be at least 1, got {max_ratio}")
    if max_length < 4:
        raise ValueError(f"max_length must be at least 4 tokens, got {max_length}")
