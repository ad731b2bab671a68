"""Any ``datasets`` text-classification set, by hub name or from local CSV / JSON files.

``name`` is a hub data set loaded with ``datasets.load_dataset(name, config)`` — e.g.
``cornell-movie-review-data/rotten_tomatoes`` (Pang & Lee 2005), ``stanfordnlp/imdb`` (Maas et al.
2011), or ``nyu-mll/glue`` with ``config: sst2`` (Socher et al. 2013; GLUE's test labels are hidden,
so map ``splits: {train: train, test: validation}``) — or ``csv`` / ``json`` with ``data_files``
mapping split names to local files. Columns are mapped with ``text_column`` / ``label_column``.

Labels: a ``ClassLabel`` column keeps its names; otherwise ``label_names`` (when given) fixes the
classes and their order, else the sorted distinct train values do. A value in any split outside
those classes is a DataError naming the values — so is a missing label column, an empty or
whitespace-only text (the row is named), a local file that is not valid UTF-8, and a hub name
while offline (the message says offline mode is on). Without a ``val`` split, ``val_fraction`` of
train is held out, stratified and seeded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from distillbench.data.base import DataSource, load_hub_split
from distillbench.data.hub_images import holdout_split
from distillbench.data.text import check_max_length, clean_texts, text_dataset
from distillbench.errors import DataError
from distillbench.registry import DATA_SOURCES
from distillbench.types import DataSplits

LOCAL_BUILDERS = ("csv", "json")


@dataclass
class HubTextOptions:
    name: str
    config: str | None = None
    revision: str | None = None
    #: split name -> local file(s), for ``name: csv`` or ``name: json``
    data_files: dict[str, str] | None = None
    splits: dict[str, str] = field(default_factory=lambda: {"train": "train", "test": "test"})
    text_column: str = "text"
    label_column: str = "label"
    #: the classes in index order (for string labels, or to name integer labels)
    label_names: list[str] | None = None
    val_fraction: float = 0.1
    split_seed: int = 0
    max_train_samples: int | None = None
    #: tokens kept per text by the task adapter (longer texts are truncated)
    max_length: int = 64

    def __post_init__(self) -> None:
        check_max_length(self.max_length)
        unknown = set(self.splits) - {"train", "val", "test"}
        if unknown or not {"train", "test"} <= set(self.splits):
            raise ValueError(f"splits must map train, test (and optionally val) to split names, got {self.splits}")
        if self.name in LOCAL_BUILDERS and not self.data_files:
            raise ValueError(
                f"name {self.name!r} reads local files: give data_files, e.g. {{train: a.csv, test: b.csv}}"
            )


def check_utf8(path: str) -> None:
    """A local data file must exist and be valid UTF-8; the error names the file and the byte offset."""
    p = Path(path)
    if not p.is_file():
        raise DataError(f"data file {path!r} does not exist")
    try:
        p.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"data file {path!r} is not valid UTF-8 (byte {exc.start}): re-encode it as UTF-8") from None


@DATA_SOURCES.register("hf_text")
class HubText(DataSource):
    """Text classification from the hub or local CSV/JSON files, through ``datasets.load_dataset``."""

    Options = HubTextOptions

    def _load_split(self, split: str) -> Any:
        o = self.options
        if o.data_files:
            for path in o.data_files.values():
                check_utf8(path)
        files = dict(o.data_files) if o.data_files else None
        return load_hub_split(o.name, o.config, split, data_files=files, revision=o.revision)

    def _columns(self, ds: Any, split: str) -> tuple[list[str], list[Any]]:
        o = self.options
        for col in (o.text_column, o.label_column):
            if col not in ds.column_names:
                raise DataError(
                    f"data set {o.name!r} ({split}) has no column {col!r}; columns: {', '.join(ds.column_names)} "
                    "(map yours with text_column / label_column)"
                )
        texts = clean_texts(ds[o.text_column], f"data set {o.name!r} {split} split, column {o.text_column!r}")
        return texts, list(ds[o.label_column])

    def _classes(self, train: Any, train_labels: list[Any]) -> tuple[list[Any], list[str]]:
        """(label values in class-index order, class names)."""
        o = self.options
        feature = train.features.get(o.label_column)
        names = getattr(feature, "names", None)
        if names is not None:
            return list(range(len(names))), list(map(str, names))
        if o.label_names:
            strings = all(isinstance(v, str) for v in train_labels)
            return (list(o.label_names) if strings else list(range(len(o.label_names)))), list(o.label_names)
        values = [v for v in train_labels if v is not None]
        try:
            vocab = sorted(set(values))
        except TypeError:
            raise DataError(f"data set {o.name!r}: label column {o.label_column!r} mixes types") from None
        return vocab, [str(v) for v in vocab]

    def _encode(self, labels: list[Any], vocab: list[Any], split: str) -> np.ndarray:
        o = self.options
        index = {v: i for i, v in enumerate(vocab)}
        for i, v in enumerate(labels):
            if v is None or (isinstance(v, float) and np.isnan(v)):
                raise DataError(f"data set {o.name!r} {split} split: row {i} has no label in {o.label_column!r}")
        unseen = sorted({repr(v) for v in labels if v not in index})
        if unseen:
            hint = " (-1 marks unlabelled rows, e.g. GLUE's hidden test labels)" if "-1" in unseen else ""
            raise DataError(
                f"data set {o.name!r} {split} split: label value(s) {', '.join(unseen[:10])} in column "
                f"{o.label_column!r} are not among the classes {vocab}{hint}"
            )
        return np.asarray([index[v] for v in labels], dtype=np.int64)

    def load(self, max_samples: int | None = None) -> DataSplits:
        o = self.options
        raw = {split: self._load_split(name) for split, name in o.splits.items()}
        cols = {split: self._columns(ds, split) for split, ds in raw.items()}
        vocab, names = self._classes(raw["train"], cols["train"][1])
        if len(vocab) < 2:
            raise DataError(f"data set {o.name!r}: the train split has {len(vocab)} class(es); need at least 2")
        arrays = {split: (texts, self._encode(labels, vocab, split)) for split, (texts, labels) in cols.items()}
        if "val" not in arrays:
            texts, labels = arrays["train"]
            tr, va = holdout_split(labels, o.val_fraction, o.split_seed)
            arrays["train"] = ([texts[i] for i in tr], labels[tr])
            arrays["val"] = ([texts[i] for i in va], labels[va])
        out = {}
        for split, (texts, labels) in arrays.items():
            if len(labels) == 0:
                raise DataError(f"data set {o.name!r}: the {split} split is empty")
            limits = [x for x in (o.max_train_samples if split == "train" else None, max_samples) if x is not None]
            n = min([len(labels), *limits])
            out[split] = text_dataset(texts[:n], labels[:n], names)
        where = f" ({', '.join(f'{k}={v}' for k, v in o.data_files.items())})" if o.data_files else ""
        info = {
            "source": f"datasets:{o.name}" + (f"/{o.config}" if o.config else "") + where,
            "version": f"{o.name}{'/' + o.config if o.config else ''}@{o.revision or 'default'}-seed{o.split_seed}"
            + (f"-train{o.max_train_samples}" if o.max_train_samples else "")
            + (f"-files{_files_digest(o.data_files)}" if o.data_files else ""),
            "num_classes": len(names),
            "class_names": names,
            "split": f"splits {o.splits}" + ("" if "val" in o.splits else f", val {o.val_fraction} of train"),
        }
        return DataSplits(out["train"], out["val"], out["test"], info)


def _files_digest(files: dict[str, str]) -> str:
    """A short hash of local data files' contents, so an edited file changes the data version."""
    import hashlib

    digest = hashlib.sha256()
    for split in sorted(files):
        digest.update(split.encode() + Path(files[split]).read_bytes())
    return digest.hexdigest()[:10]
