"""The data-source contract and shared helpers (finding package data, seeded splits)."""

from __future__ import annotations

import importlib.util
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from distillbench.errors import MissingDependencyError
from distillbench.types import DataSplits


@dataclass
class NoOptions:
    """Sources without options."""


class DataSource(ABC):
    """A registered data source; ``Options`` is validated from the task card's ``data.options``."""

    registry_name: ClassVar[str]
    Options: ClassVar[type] = NoOptions

    def __init__(self, options: Any) -> None:
        self.options = options

    @abstractmethod
    def load(self, max_samples: int | None = None) -> DataSplits:
        """Train/val/test splits (each capped at ``max_samples`` when given, e.g. in smoke mode)."""


def build_source(name: str, options: dict[str, Any] | None, where: str = "") -> DataSource:
    from distillbench.config import from_dict
    from distillbench.registry import DATA_SOURCES

    cls = DATA_SOURCES.get(name)
    return cls(from_dict(cls.Options, options or {}, where=where or f"data source {name!r}"))


def package_dir(package: str, install_hint: str) -> Path:
    """The folder of an installed package, found without importing it (some import slowly)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependencyError(f"this data source needs the package {package!r}: {install_hint}")
    return Path(next(iter(spec.submodule_search_locations)))


def split_indices(
    labels: np.ndarray, val_fraction: float, test_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A stratified, seeded train/val/test split of indices (sorted within each split)."""
    from sklearn.model_selection import train_test_split

    idx = np.arange(len(labels))
    rest, test = train_test_split(idx, test_size=test_fraction, random_state=seed, stratify=labels)
    val_share = val_fraction / (1.0 - test_fraction)
    train, val = train_test_split(rest, test_size=val_share, random_state=seed, stratify=labels[rest])
    return np.sort(train), np.sort(val), np.sort(test)


def cap(indices: np.ndarray, max_samples: int | None) -> np.ndarray:
    return indices if max_samples is None else indices[:max_samples]


def load_hub_split(name: str, config: str | None, split: str, **kwargs: Any) -> Any:
    """``datasets.load_dataset(name, config, split=split, **kwargs)`` with one clear error for every source.

    ``kwargs`` are passed on when not None (``data_dir``, ``data_files``, ``revision``). A missing data set,
    a network failure and offline mode become a DataError naming the set and split (and saying when
    offline mode is on); a local file that is not UTF-8 becomes a DataError saying so.
    """
    import os

    import datasets

    from distillbench.errors import DataError

    args = {k: v for k, v in kwargs.items() if v is not None}
    if args.get("data_dir") is not None and not os.path.isdir(args["data_dir"]):
        raise DataError(f"data_dir {args['data_dir']!r} is not a directory")
    try:
        return datasets.load_dataset(name, config, split=split, **args)
    except UnicodeDecodeError as exc:
        raise DataError(f"data set {name!r}: a file is not valid UTF-8: {exc}") from None
    except (FileNotFoundError, ConnectionError, ValueError, datasets.exceptions.DatasetNotFoundError) as exc:
        offline = os.environ.get("HF_DATASETS_OFFLINE") == "1" or os.environ.get("HF_HUB_OFFLINE") == "1"
        hint = " (offline mode is on: only local files and folders and cached data sets load)" if offline else ""
        raise DataError(f"could not load data set {name!r} split {split!r}{hint}: {exc}") from None
