"""Pseudo-label distillation for CTC models: the teacher's transcripts as the student's targets.

Distil-Whisper style (Gandhi, von Platen & Rush 2023, "Distil-Whisper: Robust Knowledge Distillation via
Large-Scale Pseudo Labelling", arXiv:2311.00430), itself sequence-level KD (Kim & Rush 2016, "Sequence-Level
Knowledge Distillation", EMNLP): the student is trained on the teacher's greedy transcripts instead of
(or next to) the ground truth, with CTC (Graves et al. 2006) as the sequence loss:

    loss = label_weight * CTC(student, teacher transcript) + ce_weight * CTC(student, ground truth)
           + kd_weight * T² KL(teacher frames || student frames)

The teacher transcript is the best-path decoding of its logits (repeats collapsed, blanks dropped). As in
Distil-Whisper, a pseudo-label whose word error rate against the ground truth exceeds ``max_wer`` is not
trusted: that utterance falls back to its ground-truth transcript (counted in the ``fallback`` part).
The teacher's transcripts depend only on the trained teacher and the un-augmented audio, so they can be
cached with the teacher (``cacheable_teacher``). Logged parts: ``pseudo`` (CTC on teacher transcripts),
``task``, ``kd`` and ``fallback`` (share of utterances that used the ground truth).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F

from distillbench.ctc import greedy_ids
from distillbench.data.audio import BLANK, decode_ids
from distillbench.methods.base import DistillMethod, check_positive, task_loss
from distillbench.methods.kd import soft_kl
from distillbench.registry import METHODS
from distillbench.types import Batch, ModelOutput


@dataclass
class PseudoLabelOptions:
    #: weight of CTC on the teacher's transcripts
    label_weight: float = 1.0
    #: weight of CTC on the ground truth (Distil-Whisper trains on pseudo-labels only: 0)
    ce_weight: float = 0.0
    #: weight of frame-level KL to the teacher's posteriors (Distil-Whisper adds it with weight 0.8)
    kd_weight: float = 0.0
    temperature: float = 1.0
    #: pseudo-labels with a higher WER against the ground truth fall back to the ground truth (None: keep all)
    max_wer: float | None = None

    def __post_init__(self) -> None:
        if min(self.label_weight, self.ce_weight, self.kd_weight) < 0:
            raise ValueError("label_weight, ce_weight and kd_weight must be >= 0")
        if self.label_weight == 0:
            raise ValueError("label_weight is 0: pseudo_label would not use the teacher's transcripts")
        check_positive(temperature=self.temperature)
        if self.max_wer is not None and self.max_wer < 0:
            raise ValueError(f"max_wer must be >= 0, got {self.max_wer}")


def pseudo_targets(
    teacher: ModelOutput, batch: Batch, max_wer: float | None
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Padded target ids, lengths and a fallback flag per utterance from the teacher's greedy transcripts."""
    if teacher.mask is None:
        raise ValueError("pseudo_label needs the teacher's frame mask (a CTC task adapter sets it)")
    seqs = greedy_ids(teacher.logits.detach(), teacher.mask.sum(1))
    fallback = torch.zeros(len(seqs), dtype=torch.bool)
    if max_wer is not None:
        import jiwer

        for i, seq in enumerate(seqs):
            ref = decode_ids(batch["targets"][i, : int(batch["target_lengths"][i])].tolist())
            hyp = decode_ids(seq)
            if not hyp or jiwer.wer(ref, hyp) > max_wer:
                fallback[i] = True
                seqs[i] = batch["targets"][i, : int(batch["target_lengths"][i])].tolist()
    lengths = torch.as_tensor([len(s) for s in seqs], dtype=torch.long)
    targets = torch.full((len(seqs), max(1, int(lengths.max()))), BLANK, dtype=torch.long)
    for i, s in enumerate(seqs):
        targets[i, : len(s)] = torch.as_tensor(s, dtype=torch.long)
    return targets, lengths, fallback


def ctc_on(student: ModelOutput, targets: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """CTC of the student's logits against ``targets``: per utterance / max(1, target length), batch mean."""
    if student.mask is None:
        raise ValueError("pseudo_label needs the student's frame mask (a CTC task adapter sets it)")
    device = student.logits.device
    log_probs = F.log_softmax(student.logits.float(), dim=-1).transpose(0, 1)
    per = F.ctc_loss(
        log_probs,
        targets.to(device),
        student.mask.sum(1),
        lengths.to(device),
        blank=BLANK,
        reduction="none",
        zero_infinity=True,
    )
    return (per / lengths.to(device).clamp_min(1)).mean()


@METHODS.register("pseudo_label")
class PseudoLabelKD(DistillMethod):
    """CTC on the teacher's greedy transcripts (optionally with ground truth and frame KL)."""

    Options: ClassVar[type] = PseudoLabelOptions

    def sparse_teacher_ok(self) -> bool:
        """Greedy transcripts need only the arg-max, which the teacher's top-k keeps (and kd_weight's KL is kd's)."""
        return True

    def loss(self, student: ModelOutput, teacher: ModelOutput | None, batch: Batch) -> dict[str, torch.Tensor]:
        if teacher is None:
            raise ValueError("pseudo_label needs the teacher's outputs")
        o = self.options
        targets, lengths, fallback = pseudo_targets(teacher, batch, o.max_wer)
        pseudo = ctc_on(student, targets, lengths)
        zero = pseudo.new_zeros(())
        task = task_loss(student) if o.ce_weight > 0 else (student.loss.detach() if student.loss is not None else zero)
        kd = zero
        if o.kd_weight > 0:
            kd = soft_kl(student.logits, teacher.logits, o.temperature, student.mask)
        total = o.label_weight * pseudo + o.ce_weight * task + o.kd_weight * kd
        return {"loss": total, "pseudo": pseudo, "task": task, "kd": kd, "fallback": fallback.float().mean()}
