"""``hf_speech``: any ``datasets`` speech set by hub name (LibriSpeech, Common Voice) or a local audio folder.

Examples: ``name: openslr/librispeech_asr, config: clean, splits: {train: train.100, val: validation,
test: test}`` (``text_column: text``), or ``name: mozilla-foundation/common_voice_11_0, config: en,
text_column: sentence``; local files through the same loader, e.g. ``name: json, data_files: {train: train.jsonl,
test: test.jsonl}`` whose audio column holds file paths. An ``Audio`` column is read with ``Audio(decode=False)``
and decoded by soundfile (no torchcodec / FFmpeg needed; note that ``datasets``' own ``audiofolder`` builder
needs torchcodec to *build* a set — for a local folder use the ``audio_folder`` source), then checked like every
speech source (``audio.speech_split``: unreadable and zero-length audio skipped and counted, other rates resampled and
counted, unknown characters skipped and counted or an error). Loading goes through ``load_hub_split``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from distillbench.data.audio import NORMALISER, speech_split
from distillbench.data.base import DataSource, load_hub_split
from distillbench.errors import DataError
from distillbench.registry import DATA_SOURCES
from distillbench.types import DataSplits


@dataclass
class HubSpeechOptions:
    name: str = ""
    config: str | None = None
    data_dir: str | None = None
    data_files: dict[str, str] | None = None
    revision: str | None = None
    splits: dict[str, str] = field(default_factory=lambda: {"train": "train", "val": "validation", "test": "test"})
    audio_column: str = "audio"
    text_column: str = "text"
    id_column: str | None = None
    max_train_samples: int | None = None
    unknown_chars: str = "skip"

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("hf_speech needs 'name': a hub data set or 'audiofolder' with data_dir")
        missing = {"train", "val", "test"} - set(self.splits)
        if missing:
            raise ValueError(f"hf_speech splits must name train, val and test; missing: {sorted(missing)}")
        if self.unknown_chars not in ("skip", "error"):
            raise ValueError(f"unknown_chars must be 'skip' or 'error', got {self.unknown_chars!r}")


@DATA_SOURCES.register("hf_speech")
class HubSpeech(DataSource):
    """A ``datasets`` speech-recognition set (hub name or local folder), checked and resampled to 16 kHz."""

    Options = HubSpeechOptions

    def load(self, max_samples: int | None = None) -> DataSplits:
        from datasets import Audio

        o: HubSpeechOptions = self.options
        out, reports = {}, {}
        for split, hub_split in o.splits.items():
            ds = load_hub_split(
                o.name, o.config, hub_split, data_dir=o.data_dir, data_files=o.data_files, revision=o.revision
            )
            for col in (o.audio_column, o.text_column, o.id_column):
                if col is not None and col not in ds.column_names:
                    raise DataError(f"{o.name} split {hub_split!r} has no column {col!r}; columns: {ds.column_names}")
            cap = max_samples if max_samples is not None else (o.max_train_samples if split == "train" else None)
            if cap is not None:
                ds = ds.select(range(min(cap, len(ds))))
            if isinstance(ds.features[o.audio_column], Audio):
                ds = ds.cast_column(o.audio_column, Audio(decode=False))
            items = (
                (
                    row[o.audio_column],
                    None,
                    row[o.text_column],
                    str(row[o.id_column]) if o.id_column else f"{split}-{i}",
                )
                for i, row in enumerate(ds)
            )
            out[split], reports[split] = speech_split(items, f"{o.name} {hub_split}", o.unknown_chars)
        info: dict[str, Any] = {
            "source": f"datasets {o.name}" + (f" ({o.config})" if o.config else ""),
            "version": f"hub-{o.name}-{o.config}-{o.revision}-{o.data_dir}",
            "normaliser": NORMALISER,
            "report": reports,
        }
        return DataSplits(out["train"], out["val"], out["test"], info)
