"""Any ``datasets`` translation set by hub name, or local TSV / JSONL / line-aligned text files.

- Hub sets (``name: wmt/wmt16, config: de-en``; Bojar et al. 2016, "Findings of the 2016 Conference on
  Machine Translation", or OPUS-style sets such as ``Helsinki-NLP/opus_books``; Tiedemann 2012) hold a
  ``translation`` column of ``{lang: sentence}`` dicts: ``source_lang`` / ``target_lang`` pick the sides.
  Offline, a hub name is an error saying offline mode is on.
- ``name: tsv``: ``data_files`` maps split -> a UTF-8 file with one ``source<TAB>target`` pair per line.
- ``name: jsonl``: split -> a JSON-lines file; each object has ``source_column`` / ``target_column``
  (default ``source`` / ``target``) or a ``translation`` dict keyed by ``source_lang`` / ``target_lang``.
- ``name: parallel``: split -> ``{source: file, target: file}``, two line-aligned plain-text files
  (Moses style).

Bad input is a clear error naming the file and line, never a silent drop: an empty file, a TSV line
without exactly one tab, an empty side, source and target files with different line counts, a file
that is not UTF-8, a missing column or language. The optional length filter (``max_words``,
``max_ratio``; off by default) counts what it removes in ``info["filtered"]``. Without a ``val`` split,
``val_fraction`` of train is held out (seeded).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from distillbench.data.base import DataSource, load_hub_split
from distillbench.data.hub_text import check_utf8
from distillbench.data.parallel import check_lengths, clean_pairs, length_filter, pair_dataset
from distillbench.errors import DataError
from distillbench.registry import DATA_SOURCES
from distillbench.types import DataSplits

LOCAL = ("tsv", "jsonl", "parallel")


@dataclass
class HubTranslationOptions:
    name: str
    config: str | None = None
    revision: str | None = None
    #: split -> file (tsv, jsonl) or split -> {source: file, target: file} (parallel)
    data_files: dict[str, Any] | None = None
    splits: dict[str, str] = field(default_factory=lambda: {"train": "train", "test": "test"})
    source_lang: str | None = None
    target_lang: str | None = None
    source_column: str = "source"
    target_column: str = "target"
    val_fraction: float = 0.05
    split_seed: int = 0
    max_train_samples: int | None = None
    max_words: int | None = None
    max_ratio: float | None = None
    #: tokens kept per sentence by the task adapter (longer sentences are truncated and counted)
    max_length: int = 128
    #: size of the subword vocabulary trained on the train split (ignored with an ``hf:`` teacher)
    vocab_size: int = 8000

    def __post_init__(self) -> None:
        check_lengths(self.max_words, self.max_ratio, self.max_length)
        unknown = set(self.splits) - {"train", "val", "test"}
        if unknown or not {"train", "test"} <= set(self.splits):
            raise ValueError(f"splits must map train, test (and optionally val) to split names, got {self.splits}")
        if self.name in LOCAL and not self.data_files:
            raise ValueError(
                f"name {self.name!r} reads local files: give data_files, e.g. {{train: a.tsv, test: b.tsv}}"
            )
        if not 0 < self.val_fraction < 1:
            raise ValueError(f"val_fraction must be in (0, 1), got {self.val_fraction}")


def _lines(path: str) -> list[str]:
    check_utf8(path)
    text = Path(path).read_text(encoding="utf-8")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines:
        raise DataError(f"data file {path!r} is empty")
    return [line.rstrip("\r") for line in lines]


def read_tsv(path: str) -> tuple[list[str], list[str]]:
    sources, targets = [], []
    for i, line in enumerate(_lines(path), start=1):
        parts = line.split("\t")
        if len(parts) != 2:
            raise DataError(f"{path}, line {i}: expected 'source<TAB>target' (one tab), found {len(parts) - 1} tabs")
        sources.append(parts[0])
        targets.append(parts[1])
    return clean_pairs(sources, targets, path)


def read_parallel(files: Any) -> tuple[list[str], list[str]]:
    if not isinstance(files, dict) or set(files) != {"source", "target"}:
        raise DataError(f"name 'parallel' needs split -> {{source: file, target: file}}, got {files!r}")
    src, tgt = _lines(files["source"]), _lines(files["target"])
    if len(src) != len(tgt):
        raise DataError(
            f"mismatched files: {files['source']} has {len(src)} lines but {files['target']} has {len(tgt)}; "
            "the two sides must be aligned line by line"
        )
    return clean_pairs(src, tgt, f"{files['source']} / {files['target']}")


@DATA_SOURCES.register("hf_translation")
class HubTranslation(DataSource):
    """Translation pairs from the hub or local files (see the module doc)."""

    Options = HubTranslationOptions

    def _columns(self, rows: Any, columns: list[str], where: str) -> tuple[list[str], list[str]]:
        o = self.options
        if "translation" in columns and o.source_column not in columns:
            if not o.source_lang or not o.target_lang:
                raise DataError(f"{where} has a 'translation' column: set source_lang and target_lang (e.g. de, en)")
            pairs = list(rows["translation"])
            for lang in (o.source_lang, o.target_lang):
                if pairs and lang not in pairs[0]:
                    raise DataError(f"{where}: unknown language {lang!r}; the pairs hold {', '.join(pairs[0])}")
            return clean_pairs([p.get(o.source_lang) for p in pairs], [p.get(o.target_lang) for p in pairs], where)
        for col in (o.source_column, o.target_column):
            if col not in columns:
                raise DataError(
                    f"{where} has no column {col!r}; columns: {', '.join(columns)} "
                    "(map yours with source_column / target_column)"
                )
        return clean_pairs(list(rows[o.source_column]), list(rows[o.target_column]), where)

    def _load_split(self, split: str) -> tuple[list[str], list[str]]:
        o = self.options
        if o.name == "tsv":
            return read_tsv(self._file(split))
        if o.name == "parallel":
            return read_parallel((o.data_files or {}).get(split))
        if o.name == "jsonl":
            path = self._file(split)
            rows = [line for line in _lines(path) if line.strip()]
            try:
                objs = [json.loads(line) for line in rows]
            except json.JSONDecodeError as exc:
                raise DataError(f"{path}: not JSON lines: {exc}") from None
            columns = sorted({k for obj in objs for k in obj})
            return self._columns({k: [obj.get(k) for obj in objs] for k in columns}, columns, path)
        ds = load_hub_split(o.name, o.config, split, revision=o.revision)
        return self._columns(ds, ds.column_names, f"data set {o.name!r} {split} split")

    def _file(self, split: str) -> str:
        path = (self.options.data_files or {}).get(split)
        if not isinstance(path, str):
            raise DataError(f"data_files has no file for split {split!r}: {self.options.data_files}")
        return path

    def load(self, max_samples: int | None = None) -> DataSplits:
        o = self.options
        raw = {split: self._load_split(name) for split, name in o.splits.items()}
        if "val" not in raw:
            src, tgt = raw["train"]
            if len(src) < 2:
                raise DataError("the train split needs at least 2 pairs to hold out a validation share")
            perm = np.random.default_rng(o.split_seed).permutation(len(src))
            n_val = max(1, round(o.val_fraction * len(src)))
            val, train = np.sort(perm[:n_val]), np.sort(perm[n_val:])
            raw["val"] = ([src[i] for i in val], [tgt[i] for i in val])
            raw["train"] = ([src[i] for i in train], [tgt[i] for i in train])
        out, filtered = {}, {}
        for split, (src, tgt) in raw.items():
            keep, removed = length_filter(src, tgt, o.max_words, o.max_ratio)
            if split == "train" and o.max_train_samples is not None:
                keep = keep[: o.max_train_samples]
            if not keep:
                raise DataError(f"data set {o.name!r}: the {split} split is empty after the length filter")
            filtered[split] = {"before": len(src), **removed, "kept": len(keep)}
            keep = keep[:max_samples] if max_samples is not None else keep
            out[split] = pair_dataset([src[i] for i in keep], [tgt[i] for i in keep])
        files = f"-files{_digest(o.data_files)}" if o.data_files else ""
        info = {
            "source": f"datasets:{o.name}"
            + (f"/{o.config}" if o.config else "")
            + (f" {o.data_files}" if files else ""),
            "source_lang": o.source_lang,
            "target_lang": o.target_lang,
            "split": f"splits {o.splits}" + ("" if "val" in o.splits else f", val {o.val_fraction} of train"),
            "filter": f"max_words {o.max_words}, max_ratio {o.max_ratio}",
            "filtered": filtered,
            "version": f"{o.name}{'/' + o.config if o.config else ''}@{o.revision or 'default'}-seed{o.split_seed}"
            + f"-{o.source_lang}-{o.target_lang}-w{o.max_words}-r{o.max_ratio}"
            + (f"-train{o.max_train_samples}" if o.max_train_samples else "")
            + files,
            "max_length": o.max_length,
            "vocab_size": o.vocab_size,
        }
        return DataSplits(out["train"], out["val"], out["test"], info)


def _digest(files: dict[str, Any]) -> str:
    """A short hash of the local files' contents, so an edited file changes the data version."""
    digest = hashlib.sha256()
    for split in sorted(files):
        paths = files[split] if isinstance(files[split], dict) else {"": files[split]}
        for side in sorted(paths):
            digest.update(f"{split}/{side}".encode() + Path(paths[side]).read_bytes())
    return digest.hexdigest()[:10]
