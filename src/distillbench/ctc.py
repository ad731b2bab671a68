"""Greedy (best-path) CTC decoding (Graves et al. 2006), shared by the speech adapter and the methods.

The most probable symbol per frame, repeats collapsed, blanks removed. Kept out of ``adapters/`` so
that methods (``pseudo_label``) read it without importing task code.
"""

from __future__ import annotations

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
