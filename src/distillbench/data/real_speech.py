"""Recorded speech from local files: ``audio_folder`` (any folder + transcript file) and the Debian test set.

``audio_folder`` reads a folder of audio files (anything soundfile decodes: WAV, FLAC, OGG, ...) and one
transcript file per split, one utterance a line, in either form:

- ``<id> <transcript>`` (Kaldi ``text`` / LibriSpeech ``*.trans.txt`` style), or ``<id><TAB><transcript>``;
- Sphinx ``.transcription``: ``<s> transcript </s> (id)``.

The id names the file ``<folder>/<id>.<ext>`` (the first of ``extensions`` that exists, also looked for in
the transcript's folder). A listed file that is missing or unreadable, zero-length audio and transcripts
with unknown characters are skipped and counted; other sample rates are resampled and counted
(``audio.speech_split``). ``pocketsphinx_test`` is the small real test set: ten recorded utterances of
Debian's ``pocketsphinx-testdata`` (five LibriVox read-speech sentences from *Sense and Sensibility*, five
spoken card names), reported separately from the synthetic test split.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from distillbench.data.audio import NORMALISER, speech_split
from distillbench.data.base import DataSource
from distillbench.errors import DataError
from distillbench.registry import DATA_SOURCES
from distillbench.types import DataSplits

POCKETSPHINX_DIR = Path("/usr/share/pocketsphinx/test/data")
POCKETSPHINX_SETS = (("librivox", "librivox/transcription"), ("cards", "cards/cards.transcription"))
_SPHINX = re.compile(r"^\s*(?:<s>)?\s*(?P<text>.*?)\s*(?:</s>)?\s*\((?P<id>[^()]+)\)\s*$")


def read_transcripts(path: Path) -> list[tuple[str, str]]:
    """(id, transcript) pairs of a transcript file (either form of the module docstring)."""
    if not path.is_file():
        raise DataError(f"transcript file {path} does not exist")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise DataError(f"transcript file {path} is not valid UTF-8") from None
    pairs: list[tuple[str, str]] = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        m = _SPHINX.match(line) if line.rstrip().endswith(")") else None
        if m:
            pairs.append((m.group("id").strip(), m.group("text")))
            continue
        parts = line.split("\t", 1) if "\t" in line else line.split(None, 1)
        if len(parts) < 2:
            raise DataError(f"{path}:{n}: expected '<id> <transcript>', got {line!r}")
        pairs.append((parts[0].strip(), parts[1]))
    if not pairs:
        raise DataError(f"transcript file {path} holds no utterance")
    return pairs


def folder_items(folder: Path, transcripts: Path, extensions: list[str]) -> list[tuple[Any, None, str, str]]:
    """(path, None, transcript, id) items for ``speech_split``; a missing file is passed on as unreadable."""
    items = []
    for uid, text in read_transcripts(transcripts):
        name = Path(uid).name
        found = next(
            (
                d / f"{name}{ext}"
                for ext in extensions
                for d in (folder, transcripts.parent)
                if (d / f"{name}{ext}").is_file()
            ),
            folder / f"{name}{extensions[0]}",
        )
        items.append((str(found), None, text, uid))
    return items


def pocketsphinx_test() -> Any | None:
    """The ten real recorded utterances of Debian's pocketsphinx-testdata as a split, or None when not installed."""
    if not POCKETSPHINX_DIR.is_dir():
        return None
    items = []
    for sub, trans in POCKETSPHINX_SETS:
        if (POCKETSPHINX_DIR / trans).is_file():
            items += folder_items(POCKETSPHINX_DIR / sub, POCKETSPHINX_DIR / trans, [".wav"])
    if not items:
        return None
    ds, report = speech_split(items, where="pocketsphinx-testdata", unknown="skip")
    return {"data": ds, "report": report, "source": "Debian pocketsphinx-testdata (LibriVox + cards recordings)"}


@dataclass
class AudioFolderOptions:
    #: folder of the audio files (relative paths are taken from the working directory)
    root: str = ""
    #: transcript file per split, relative to ``root`` (e.g. {train: train.txt, val: val.txt, test: test.txt})
    transcripts: dict[str, str] = field(default_factory=dict)
    extensions: list[str] = field(default_factory=lambda: [".wav", ".flac", ".ogg"])
    #: utterances with characters outside the vocabulary: "skip" (counted) or "error"
    unknown_chars: str = "skip"

    def __post_init__(self) -> None:
        if not self.root:
            raise ValueError("audio_folder needs 'root': the folder holding the audio files")
        missing = {"train", "val", "test"} - set(self.transcripts)
        if missing:
            raise ValueError(f"audio_folder needs a transcript file for each split; missing: {sorted(missing)}")
        if self.unknown_chars not in ("skip", "error"):
            raise ValueError(f"unknown_chars must be 'skip' or 'error', got {self.unknown_chars!r}")


@DATA_SOURCES.register("audio_folder")
class AudioFolder(DataSource):
    """A local folder of recordings with a transcript file per split."""

    Options = AudioFolderOptions

    def load(self, max_samples: int | None = None) -> DataSplits:
        o: AudioFolderOptions = self.options
        root = Path(o.root)
        if not root.is_dir():
            raise DataError(f"audio_folder root {root} is not a directory")
        splits, reports = {}, {}
        for split in ("train", "val", "test"):
            items = folder_items(root, root / o.transcripts[split], o.extensions)[: max_samples or None]
            splits[split], reports[split] = speech_split(items, f"audio_folder {split}", o.unknown_chars)
        info = {"source": f"audio folder {root}", "version": f"folder-{root.resolve()}", "normaliser": NORMALISER}
        info["report"] = reports
        return DataSplits(splits["train"], splits["val"], splits["test"], info)
