"""The one in-memory speech layout every speech source produces, the text normaliser and the input checks.

Every speech source gives ``datasets.Dataset`` splits with three columns: ``audio`` (float32 mono samples at
``SAMPLE_RATE`` = 16 kHz), ``text`` (the normalised transcript) and ``id``. :func:`speech_split` builds one
from raw (audio, sample rate, transcript, id) items and counts every problem in a report instead of hiding it:

- unreadable audio (soundfile cannot decode it) and zero-length audio: skipped and counted;
- a sample rate other than 16 kHz: resampled with ``torchaudio.functional.resample`` and counted
  (the rates seen are recorded);
- more than one channel: averaged to mono and counted;
- a transcript that is empty after normalisation: skipped and counted;
- a transcript with characters outside the vocabulary after normalisation: ``unknown_chars: skip``
  (default) skips and counts it (the characters are recorded); ``error`` raises a DataError naming the
  utterance and characters.

A split left empty is a DataError. The normaliser (:func:`normalise`, ``NORMALISER``) is the one used for
references, hypotheses and WER/CER alike: Unicode NFKD with accents stripped, lower case, hyphens and
underscores to spaces, every other character outside ``a-z``, apostrophe and space removed only when it is
punctuation (``.,;:!?"()[]``); digits and other letters are kept and so count as unknown characters.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from typing import Any

import numpy as np

from distillbench.errors import DataError

SAMPLE_RATE = 16_000
#: CTC output symbols: index 0 is the blank (Graves et al. 2006), then space, apostrophe and a-z
BLANK = 0
CHARS = " '" + "abcdefghijklmnopqrstuvwxyz"
VOCAB = ["<blank>", *CHARS]
CHAR_TO_ID = {c: i + 1 for i, c in enumerate(CHARS)}
NORMALISER = (
    "NFKD, accents stripped, lower case, '-' and '_' -> space, punctuation .,;:!?\"()[] and typographic quotes "
    "removed, whitespace collapsed; vocabulary: a-z, apostrophe, space"
)
_PUNCT = re.compile(r"[.,;:!?\"()\[\]\u201c\u201d\u00ab\u00bb]")


def normalise(text: str) -> str:
    """The project's transcript normaliser (module docstring); used for references and hypotheses."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("-", " ").replace("_", " ")
    return " ".join(_PUNCT.sub(" ", text).split())


def unknown_chars(text: str) -> set[str]:
    """Characters of a normalised text outside the CTC vocabulary."""
    return {c for c in text if c not in CHAR_TO_ID}


def encode(text: str) -> list[int]:
    """Label ids of a normalised transcript (every character must be in the vocabulary)."""
    return [CHAR_TO_ID[c] for c in text]


def decode_ids(ids: Iterable[int]) -> str:
    """Text of label ids (blanks dropped, whitespace collapsed)."""
    return " ".join("".join(VOCAB[i] for i in ids if i != BLANK).split())


def read_audio(source: Any) -> tuple[np.ndarray, int]:
    """(samples (S,) or (S, channels) float32, sample rate) of a path, bytes or ``{"path", "bytes"}`` mapping."""
    import soundfile as sf

    if isinstance(source, dict):
        if source.get("array") is not None:
            return np.asarray(source["array"], dtype=np.float32), int(source["sampling_rate"])
        source = source.get("bytes") or source.get("path")
    if isinstance(source, (bytes, bytearray)):
        source = io.BytesIO(source)
    data, rate = sf.read(source, dtype="float32", always_2d=False)
    return np.asarray(data, dtype=np.float32), int(rate)


def resample(audio: np.ndarray, rate: int, target: int = SAMPLE_RATE) -> np.ndarray:
    """Band-limited resampling with torchaudio (sinc interpolation)."""
    import torch
    import torchaudio.functional as AF

    return AF.resample(torch.from_numpy(np.ascontiguousarray(audio)), rate, target).numpy()


class SplitReport:
    """Counts of what was skipped or changed while building a split (recorded in the data info)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.rates: Counter[int] = Counter()
        self.unknown: Counter[str] = Counter()
        self.examples: dict[str, str] = {}

    def note(self, what: str, example: str) -> None:
        self.counts[what] += 1
        self.examples.setdefault(what, example)

    def as_dict(self) -> dict[str, Any]:
        return {
            **dict(self.counts),
            "resampled_from_hz": {str(k): v for k, v in self.rates.items()},
            "unknown_characters": dict(self.unknown),
            "first_example": dict(self.examples),
        }


def speech_split(
    items: Iterable[tuple[Any, int | None, str, str]], where: str, unknown: str = "skip"
) -> tuple[Any, dict[str, Any]]:
    """A split from (audio source or samples, sample rate or None, raw transcript, id) items; returns (ds, report).

    ``audio`` may be a path, bytes, a ``{"path"|"bytes"|"array"}`` mapping (rate read from the file) or a
    float array with its ``rate``. See the module docstring for what is skipped, changed and counted.
    """
    if unknown not in ("skip", "error"):
        raise ValueError(f"unknown_chars must be 'skip' or 'error', got {unknown!r}")
    rep = SplitReport()
    audios: list[np.ndarray] = []
    texts: list[str] = []
    ids: list[str] = []
    for source, rate, raw_text, uid in items:
        if isinstance(source, np.ndarray) and rate is not None:
            audio = source.astype(np.float32)
        else:
            try:
                audio, rate = read_audio(source)
            except Exception as exc:  # soundfile raises LibsndfileError / RuntimeError / OSError
                rep.note("skipped_unreadable", f"{uid}: {exc}")
                continue
        if audio.ndim == 2:
            audio = audio.mean(axis=1)
            rep.note("downmixed_to_mono", uid)
        if audio.size == 0:
            rep.note("skipped_zero_length", uid)
            continue
        if rate != SAMPLE_RATE:
            rep.rates[int(rate)] += 1
            rep.note("resampled", f"{uid}: {rate} Hz")
            audio = resample(audio, int(rate))
        text = normalise(str(raw_text or ""))
        if not text:
            rep.note("skipped_empty_transcript", uid)
            continue
        bad = unknown_chars(text)
        if bad:
            if unknown == "error":
                raise DataError(
                    f"{where}: utterance {uid!r} has characters outside the vocabulary after normalisation: "
                    f"{''.join(sorted(bad))!r} in {text!r} (vocabulary: a-z, apostrophe, space; "
                    "set unknown_chars: skip to skip such utterances)"
                )
            rep.unknown.update(bad)
            rep.note("skipped_unknown_characters", f"{uid}: {''.join(sorted(bad))!r}")
            continue
        audios.append(audio)
        texts.append(text)
        ids.append(str(uid))
    if not audios:
        raise DataError(f"{where}: no usable utterance is left (skipped: {dict(rep.counts) or 'none given'})")
    ds = _dataset(audios, texts, ids)
    report = rep.as_dict()
    report["kept"] = len(audios)
    return ds, report


def _dataset(audios: list[np.ndarray], texts: list[str], ids: list[str]) -> Any:
    """The split as a ``datasets.Dataset``, its audio column built in one piece with pyarrow (not sample by sample)."""
    import pyarrow as pa
    from datasets import Dataset

    offsets = np.zeros(len(audios) + 1, dtype=np.int64)
    np.cumsum([len(a) for a in audios], out=offsets[1:])
    audio = pa.LargeListArray.from_arrays(pa.array(offsets), pa.array(np.concatenate(audios).astype(np.float32)))
    table = pa.table({"audio": audio.cast(pa.list_(pa.float32())), "text": texts, "id": ids})
    return Dataset(table)
