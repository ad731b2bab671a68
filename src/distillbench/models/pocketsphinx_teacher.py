"""PocketSphinx as a black-box speech teacher: audio in, transcripts out (no logits, no features).

Spec: ``pocketsphinx:en-us(lm='train_bigram')``: CMU PocketSphinx 5 (Huggins-Daines et al. 2006,
"PocketSphinx: A Free, Real-Time Continuous Speech Recognition System for Hand-Held Devices", ICASSP) with
the US-English continuous acoustic model and CMUdict pronunciations that the ``pocketsphinx`` wheel ships
(BSD), decoding 16 kHz audio with a word-bigram language model estimated from the **training transcripts
only** (``models/arpa_bigram.py``; its smoothing is documented there). The dictionary is CMUdict restricted
to the language model's words (all pronunciation variants); training words CMUdict lacks cannot be spoken
and are listed in :attr:`PocketSphinxTeacher.info` (``oov``).

Options: ``lm`` (only ``'train_bigram'``), ``lw`` (language weight; PocketSphinx's default 6.5),
``beam`` (Viterbi beam; default 1e-48). The module has no parameters; its ``forward(audio, lengths)``
returns one transcript per utterance, so the speed protocol can time it like any model, and methods can
use it only through the targets it generates (``distillbench.blackbox``).
"""

from __future__ import annotations

import hashlib
import tempfile
from importlib.metadata import version
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from distillbench.errors import ConfigError, MissingDependencyError
from distillbench.models.arpa_bigram import BigramLM
from distillbench.models.spec import ModelSpec
from distillbench.registry import MODELS

SAMPLE_RATE = 16000
LANGUAGE_MODELS = ("train_bigram",)
INSTALL_HINT = "pip install 'distillbench[speech]' (or: pip install pocketsphinx==5.1.1)"


def import_pocketsphinx() -> Any:
    """The ``pocketsphinx`` module, or a clear error naming the package when it (or its model) is missing."""
    try:
        import pocketsphinx
    except ImportError:
        raise MissingDependencyError(
            f"the PocketSphinx teacher needs the 'pocketsphinx' package with its en-us model: {INSTALL_HINT}"
        ) from None
    return pocketsphinx


def model_dir(name: str) -> Path:
    """The folder of a model the pocketsphinx package ships (``en-us``), checked for its files."""
    ps = import_pocketsphinx()
    root = Path(ps.get_model_path(name))
    if not (root / name / "mdef").is_file() or not (root / "cmudict-en-us.dict").is_file():
        raise MissingDependencyError(
            f"the pocketsphinx package has no {name!r} model at {root} (acoustic model {name}/mdef and "
            f"cmudict-en-us.dict expected): {INSTALL_HINT}"
        )
    return root


def read_dictionary(path: Path, words: set[str]) -> tuple[list[str], list[str]]:
    """CMUdict lines (``word(2)`` variants included) of ``words``, and the words it lacks."""
    lines, found = [], set()
    with open(path, encoding="utf-8") as f:
        for line in f:
            head = line.split(" ", 1)[0]
            base = head.split("(", 1)[0]
            if base in words:
                lines.append(line.rstrip("\n"))
                found.add(base)
    return lines, sorted(words - found)


class PocketSphinxTeacher(nn.Module):
    """PocketSphinx decoding with a language model of the training transcripts; returns transcripts only."""

    #: outputs are transcripts: no logits or features for distillation methods to read
    blackbox: ClassVar[bool] = True

    def __init__(self, train_texts: list[str], name: str = "en-us", lw: float | None = None, beam: float | None = None):
        super().__init__()
        ps = import_pocketsphinx()
        root = model_dir(name)
        lm = BigramLM.from_sentences(train_texts)
        arpa = lm.to_arpa()
        dict_lines, oov = read_dictionary(root / "cmudict-en-us.dict", set(lm.words))
        if not dict_lines:
            raise ConfigError("none of the training words is in CMUdict: PocketSphinx could not decode any of them")
        with tempfile.TemporaryDirectory(prefix="distillbench-sphinx-") as tmp:
            (Path(tmp) / "train.lm").write_text(arpa)
            (Path(tmp) / "train.dict").write_text("\n".join(dict_lines) + "\n")
            options: dict[str, Any] = {
                "hmm": str(root / name),
                "lm": str(Path(tmp) / "train.lm"),
                "dict": str(Path(tmp) / "train.dict"),
                "samprate": SAMPLE_RATE,
                "loglevel": "FATAL",
            }
            if lw is not None:
                options["lw"] = float(lw)
            if beam is not None:
                options["beam"] = float(beam)
            self._decoder = ps.Decoder(**options)
        self.info = {
            "engine": f"pocketsphinx {version('pocketsphinx')}",
            "acoustic_model": name,
            "lm": "train_bigram",
            "lm_smoothing": f"absolute discounting with back-off, D = {lm.discount:.3f} (Ney et al. 1994)",
            "lm_sentences": lm.sentences,
            "lm_bigrams": len(lm.bigrams),
            "vocabulary": len(lm.words),
            "oov": oov,
            "lm_sha256": hashlib.sha256(arpa.encode()).hexdigest(),
            "lw": lw,
            "beam": beam,
        }

    def transcribe(self, clip: np.ndarray) -> str:
        """The best hypothesis for one 16 kHz float waveform in [-1, 1] ('' when nothing was recognised)."""
        pcm = (np.clip(np.asarray(clip, dtype=np.float32), -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
        self._decoder.start_utt()
        self._decoder.process_raw(pcm, False, True)
        self._decoder.end_utt()
        hyp = self._decoder.hyp()
        return hyp.hypstr if hyp is not None else ""

    def forward(self, audio: torch.Tensor, lengths: torch.Tensor) -> list[str]:
        """Transcripts of a zero-padded (N, S) batch, one utterance at a time (PocketSphinx is sequential)."""
        data = audio.detach().float().cpu().numpy()
        return [self.transcribe(data[i, : int(n)]) for i, n in enumerate(lengths.tolist())]

    def __deepcopy__(self, memo: dict) -> PocketSphinxTeacher:  # the decoder is a C object: share it
        return self


@MODELS.register("pocketsphinx")
def build_pocketsphinx(spec: ModelSpec, train_texts: list[str] | None = None, **_: Any) -> nn.Module:
    """A black-box PocketSphinx teacher (speech_to_text only): ``pocketsphinx:en-us(lm='train_bigram')``."""
    unknown = set(spec.kwargs) - {"lm", "lw", "beam"}
    if unknown:
        raise ConfigError(f"model spec {spec.text!r}: unknown option(s) {sorted(unknown)} (known: lm, lw, beam)")
    lm = spec.kwargs.get("lm", "train_bigram")
    if lm not in LANGUAGE_MODELS:
        raise ConfigError(f"model spec {spec.text!r}: lm must be one of {LANGUAGE_MODELS}, got {lm!r}")
    if train_texts is None:
        raise ConfigError(
            f"model spec {spec.text!r}: PocketSphinx decodes speech and builds its language model from the "
            "training transcripts; use it as the teacher of a speech_to_text card"
        )
    return PocketSphinxTeacher(list(train_texts), spec.name, spec.kwargs.get("lw"), spec.kwargs.get("beam"))
