"""CTC decoding (Graves et al. 2006), shared by the speech adapter and the methods.

- greedy (best-path): the most probable symbol per frame, repeats collapsed, blanks removed;
- prefix beam search (Hannun, Maas, Jurafsky & Ng 2014, "First-Pass Large Vocabulary Continuous Speech
  Recognition using Bi-Directional Recurrent DNNs", arXiv:1408.2873, without a language model): the ``beam``
  most probable label sequences, each scored by the log-probability summed over its alignments that stayed in
  the beam (exact when the beam holds every prefix). torchaudio's ``ctc_decoder`` needs flashlight-text, which
  is not a dependency here; this search is small and checked against brute-force enumeration in the tests.

Kept out of ``adapters/`` so that methods (``pseudo_label``, ``nbest_kd``) read it without importing task code.
"""

from __future__ import annotations

import math
from collections import defaultdict

import torch

from distillbench.data.audio import BLANK, decode_ids


def greedy_ids(logits: torch.Tensor, lengths: torch.Tensor) -> list[list[int]]:
    """Best-path label ids of (N, T, V) logits, each cut at its frame length (repeats collapsed, blanks dropped)."""
    best = logits.argmax(-1).cpu()
    out: list[list[int]] = []
    for row, n in zip(best, lengths.cpu().tolist(), strict=True):
        seq = torch.unique_consecutive(row[: int(n)]).tolist()
        out.append([i for i in seq if i != BLANK])
    return out


def greedy_decode(logits: torch.Tensor, lengths: torch.Tensor) -> list[str]:
    """Best-path transcripts of (N, T, V) logits."""
    return [decode_ids(ids) for ids in greedy_ids(logits, lengths)]


def _logaddexp(a: float, b: float) -> float:
    if a == -math.inf:
        return b
    if b == -math.inf:
        return a
    m = max(a, b)
    return m + math.log(math.exp(a - m) + math.exp(b - m))


def prefix_beam_search(
    log_probs: torch.Tensor, beam: int, min_log_prob: float | None = None
) -> list[tuple[list[int], float]]:
    """The ``beam`` best label sequences of one utterance's (T, V) log-probabilities, best first, with log-scores.

    Each prefix keeps two log-probabilities: of its alignments ending in a blank and ending in its last label
    (a repeated label extends the prefix only after a blank). ``min_log_prob`` skips, per frame, the symbols
    below it (never the frame's best); None considers every symbol.
    """
    if beam < 1:
        raise ValueError(f"beam must be >= 1, got {beam}")
    rows = log_probs.detach().float().cpu().tolist()
    neg = -math.inf
    beams: dict[tuple[int, ...], tuple[float, float]] = {(): (0.0, neg)}  # prefix -> (ends in blank, in label)
    for row in rows:
        best = max(row)
        symbols = [c for c, p in enumerate(row) if min_log_prob is None or p >= min_log_prob or p == best]
        nxt: dict[tuple[int, ...], list[float]] = defaultdict(lambda: [neg, neg])
        for prefix, (p_blank, p_label) in beams.items():
            total = _logaddexp(p_blank, p_label)
            for c in symbols:
                p = row[c]
                if c == BLANK:
                    nxt[prefix][0] = _logaddexp(nxt[prefix][0], total + p)
                elif prefix and c == prefix[-1]:
                    nxt[prefix][1] = _logaddexp(nxt[prefix][1], p_label + p)  # the repeat collapses
                    ext = nxt[(*prefix, c)]
                    ext[1] = _logaddexp(ext[1], p_blank + p)  # a new label after a blank
                else:
                    ext = nxt[(*prefix, c)]
                    ext[1] = _logaddexp(ext[1], total + p)
        ranked = sorted(nxt.items(), key=lambda kv: _logaddexp(*kv[1]), reverse=True)[:beam]
        beams = {k: (v[0], v[1]) for k, v in ranked}
    out = [(list(k), score) for k, v in beams.items() if (score := _logaddexp(*v)) > neg]
    return sorted(out, key=lambda kv: kv[1], reverse=True)
