"""Speech-recognition metrics and CTC decoding: greedy CTC decoding, WER and CER by jiwer.

Greedy (best-path) CTC decoding (Graves et al. 2006): the most probable symbol per frame, repeats
collapsed, blanks removed. Word and character error rates are jiwer's (``jiwer.process_words`` /
``process_characters``), computed over the whole split (total edits / total reference words or
characters, as jiwer and the LibriSpeech convention do), on transcripts passed through the project's one
normaliser (``data.audio.normalise``; stated in every result as ``normaliser``). An empty hypothesis
counts every reference word as a deletion (WER 100%). The 95% interval of the WER is a percentile
bootstrap over utterances (Efron & Tibshirani 1993) of the ratio of summed edits to summed words.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from distillbench.ctc import greedy_decode, greedy_ids
from distillbench.data.audio import NORMALISER, normalise

__all__ = ["error_rates", "greedy_decode", "greedy_ids"]

BOOTSTRAP_SAMPLES = 1000


def _edits(refs: list[str], hyps: list[str], unit: str) -> tuple[np.ndarray, np.ndarray]:
    """Per-utterance (edits, reference length) in words or characters, from jiwer's alignment counts."""
    import jiwer

    fn = jiwer.process_words if unit == "word" else jiwer.process_characters
    edits, lengths = np.zeros(len(refs)), np.zeros(len(refs))
    for i, (r, h) in enumerate(zip(refs, hyps, strict=True)):
        out = fn(r, h)
        edits[i] = out.substitutions + out.deletions + out.insertions
        lengths[i] = out.substitutions + out.deletions + out.hits
    return edits, lengths


def error_rates(references: Sequence[str], hypotheses: Sequence[str], bootstrap: bool = True) -> dict[str, Any]:
    """WER and CER (fractions) of normalised transcripts, with a bootstrap 95% interval of the WER."""
    refs = [normalise(r) for r in references]
    hyps = [normalise(h) for h in hypotheses]
    if not refs or any(not r for r in refs):
        raise ValueError("every reference transcript must be non-empty after normalisation")
    w_err, w_len = _edits(refs, hyps, "word")
    c_err, c_len = _edits(refs, hyps, "char")
    out: dict[str, Any] = {
        "wer": float(w_err.sum() / w_len.sum()),
        "cer": float(c_err.sum() / c_len.sum()),
        "words": int(w_len.sum()),
        "empty_hypotheses": int(sum(1 for h in hyps if not h)),
        "normaliser": NORMALISER,
    }
    if bootstrap:
        rng = np.random.default_rng(0)
        idx = rng.integers(0, len(refs), size=(BOOTSTRAP_SAMPLES, len(refs)))
        ratios = w_err[idx].sum(1) / np.maximum(w_len[idx].sum(1), 1)
        lo, hi = np.percentile(ratios, [2.5, 97.5])
        out["wer_ci95"] = [float(lo), float(hi)]
    return out
