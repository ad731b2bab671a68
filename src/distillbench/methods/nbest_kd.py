"""N-best sequence-level knowledge distillation for CTC students: the teacher's top hypotheses, posterior-weighted.

Sequence-level KD (Kim & Rush 2016, "Sequence-Level Knowledge Distillation", EMNLP, arXiv:1606.07947, eq. 4-5)
trains the student on the teacher's distribution over whole output sequences,

    L = - sum_h q(h | x) log p(h | x),

which Kim & Rush approximate by its mode, the teacher's beam-search output (``pseudo_label`` does that with the
greedy transcript). For CTC models, Takashima, Li & Kawai (2018, "An Investigation of a Knowledge Distillation
Method for CTC Acoustic Models", ICASSP) keep more of q: the sum runs over the teacher's N-best hypotheses, q
renormalised over them (their follow-up, "Investigation of Sequence-Level Knowledge Distillation Methods for CTC
Acoustic Models", ICASSP 2019, replaces the N-best list by a lattice). Here, per utterance:

    h_1..h_N   = the N best label sequences of a prefix beam search on the teacher's posteriors (``ctc.py``)
    w_n        = P_T(h_n | x) / sum_m P_T(h_m | x),   P_T(h | x) = exp(-CTC_T(h)), summed over all alignments
    nbest      = sum_n w_n * CTC_S(h_n) / max(1, |h_n|)
    loss       = nbest_weight * mean_over_batch(nbest) + ce_weight * CTC_S(ground truth)

``CTC_S(h) = -log P_S(h | x)`` is the student's CTC loss (Graves et al. 2006); dividing by the hypothesis length
is how the task's CTC loss is normalised here, so the two weights are on one scale. The beam search only proposes
hypotheses: their teacher probabilities are exact (``F.ctc_loss`` on the teacher's log-probabilities).

Defaults: ``n_best = 5`` and a beam of 8. The 2018 paper's N was not checked here (its text is not reachable
offline); 5 is Kim & Rush's beam size. ``ce_weight = 0`` is pure sequence-level KD as in Kim & Rush; a positive
value interpolates with the ground truth. The hypotheses depend only on the frozen teacher and the un-augmented
audio, so the teacher's outputs can be cached (``cacheable_teacher``). Logged parts: ``nbest``, ``task``,
``hypotheses`` (mean number per utterance) and ``top_weight`` (mean w_1: how peaked the teacher's N-best is).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F

from distillbench.ctc import prefix_beam_search
from distillbench.data.audio import BLANK
from distillbench.methods.base import DistillMethod, task_loss
from distillbench.registry import METHODS
from distillbench.types import Batch, ModelOutput


@dataclass
class NBestOptions:
    #: hypotheses kept per utterance
    n_best: int = 5
    #: prefixes kept per frame by the beam search (>= n_best)
    beam: int = 8
    #: per frame, the search skips symbols of teacher log-probability below this (e^-9 ~ 1.2e-4; the best is kept)
    min_log_prob: float = -9.0
    #: weight of the N-best term
    nbest_weight: float = 1.0
    #: weight of CTC on the ground truth (0: sequence-level KD alone)
    ce_weight: float = 0.0

    def __post_init__(self) -> None:
        if self.n_best < 1:
            raise ValueError(f"n_best must be >= 1, got {self.n_best}")
        if self.beam < self.n_best:
            raise ValueError(f"beam ({self.beam}) must be >= n_best ({self.n_best})")
        if self.nbest_weight <= 0 or self.ce_weight < 0:
            raise ValueError("nbest_weight must be positive and ce_weight >= 0")


def _ctc(log_probs: torch.Tensor, frames: torch.Tensor, targets: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Per-sequence CTC (-log P(target | x)) of (M, T, V) log-probabilities."""
    return F.ctc_loss(
        log_probs.transpose(0, 1), targets, frames, lengths, blank=BLANK, reduction="none", zero_infinity=True
    )


def nbest_loss(
    student_logits: torch.Tensor,
    student_frames: torch.Tensor,
    teacher_logits: torch.Tensor,
    teacher_frames: torch.Tensor,
    n_best: int,
    beam: int,
    min_log_prob: float | None,
) -> tuple[torch.Tensor, dict[str, float]]:
    """The batch mean of the posterior-weighted, length-normalised student CTC over the teacher's N-best."""
    t_logp = F.log_softmax(teacher_logits.detach().float(), dim=-1)
    utt: list[int] = []
    hyps: list[list[int]] = []
    for i, n in enumerate(teacher_frames.tolist()):
        for seq, _ in prefix_beam_search(t_logp[i, : int(n)], beam, min_log_prob)[:n_best]:
            utt.append(i)
            hyps.append(seq)
    device = student_logits.device
    index = torch.as_tensor(utt, device=device)
    lengths = torch.as_tensor([len(h) for h in hyps], dtype=torch.long, device=device)
    targets = torch.full((len(hyps), max(1, int(lengths.max()))), BLANK, dtype=torch.long, device=device)
    for k, h in enumerate(hyps):
        targets[k, : len(h)] = torch.as_tensor(h, dtype=torch.long)
    with torch.no_grad():
        t_nll = _ctc(t_logp[index.to(t_logp.device)], teacher_frames[index], targets, lengths)
    n_utts = len(teacher_frames)
    # w_n: a softmax of log P_T(h_n | x) within each utterance's list
    peak = torch.full((n_utts,), -math.inf, device=device).scatter_reduce(0, index, -t_nll, "amax")
    unnorm = torch.exp(-t_nll - peak[index])
    weights = unnorm / torch.zeros(n_utts, device=device).index_add(0, index, unnorm)[index]
    s_logp = F.log_softmax(student_logits.float(), dim=-1)
    s_nll = _ctc(s_logp[index], student_frames[index], targets, lengths) / lengths.clamp_min(1)
    loss = (weights * s_nll).sum() / n_utts
    first = torch.ones_like(index, dtype=torch.bool)
    first[1:] = index[1:] != index[:-1]  # each utterance's list is best first
    return loss, {"hypotheses": len(hyps) / n_utts, "top_weight": float(weights[first].mean())}


@METHODS.register("nbest_kd")
class NBestSeqKD(DistillMethod):
    """CTC on the teacher's N-best transcripts, each weighted by its renormalised teacher posterior."""

    Options: ClassVar[type] = NBestOptions

    def loss(self, student: ModelOutput, teacher: ModelOutput | None, batch: Batch) -> dict[str, torch.Tensor]:
        if teacher is None:
            raise ValueError("nbest_kd needs the teacher's outputs")
        if student.mask is None or teacher.mask is None:
            raise ValueError("nbest_kd needs both models' frame masks (a CTC task adapter sets them)")
        o = self.options
        nbest, stats = nbest_loss(
            student.logits, student.mask.sum(1), teacher.logits, teacher.mask.sum(1), o.n_best, o.beam, o.min_log_prob
        )
        zero = nbest.new_zeros(())
        task = task_loss(student) if o.ce_weight > 0 else (student.loss.detach() if student.loss is not None else zero)
        total = o.nbest_weight * nbest + o.ce_weight * task
        parts = {k: torch.tensor(v) for k, v in stats.items()}
        return {"loss": total, "nbest": nbest, "task": task, **parts}
