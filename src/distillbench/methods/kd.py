"""Knowledge distillation from the teacher's temperature-softened class distribution.

Hinton, Vinyals & Dean (2015), "Distilling the Knowledge in a Neural Network",
NIPS 2014 Deep Learning Workshop, arXiv:1503.02531.

    loss = (1 - alpha) * task + alpha * T² * KL(softmax(t / T) || softmax(s / T))

The KL divergence is summed over classes and averaged over rows: over the batch for (N, C) logits
(PyTorch's ``batchmean``), over the valid positions (``mask``) for (N, T, C) per-token logits. The
T² factor keeps the soft term's gradients on the same scale whatever the temperature (paper, sec. 2).
The logged parts are the unweighted terms: ``task`` and ``kd`` (= T² * KL).

``logit_standardization: true`` z-scores each row of both models' logits before the temperature
(Sun, Ren, Li, Wang & Cao 2024, "Logit Standardization in Knowledge Distillation", CVPR 2024,
arXiv:2403.01427): z -> (z - mean(z)) / (std(z) + 1e-7) over the classes, with the unbiased standard
deviation as in the authors' code (github.com/sunshangquan/logit-standardization-KD), so the student
matches the teacher's logit *relations* rather than their range. The paper then uses a base
temperature of 2 (CIFAR-100; ``--base-temp 2``) and a larger KD weight (``--kd-weight 9`` against a
CE weight of 0.1): set ``temperature: 2`` with it; the T² factor is kept, as in the authors' code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
import torch.nn.functional as F

from distillbench.methods.base import DistillMethod, check_positive, task_loss
from distillbench.registry import METHODS
from distillbench.types import Batch, ModelOutput


@dataclass
class KDOptions:
    #: softmax temperature T, applied to both models' logits
    temperature: float = 4.0
    #: weight of the distillation term; the task loss gets ``1 - alpha``
    alpha: float = 0.9
    #: z-score each row of logits before the temperature (Sun et al. 2024); the paper pairs it with temperature 2
    logit_standardization: bool = False

    def __post_init__(self) -> None:
        check_positive(temperature=self.temperature)
        if not 0.0 <= self.alpha <= 1.0:
            raise ValueError(f"alpha must be in [0, 1], got {self.alpha}")


def standardize(logits: torch.Tensor, eps: float = 1e-7) -> torch.Tensor:
    """Z-score over the last dim (Sun et al. 2024): (z - mean) / (unbiased std + eps)."""
    z = logits.float()
    return (z - z.mean(-1, keepdim=True)) / (z.std(-1, keepdim=True) + eps)


class _SoftKL(torch.autograd.Function):
    """T² * KL(teacher || student) with the closed-form gradient: one graph node instead of a dozen.

    The forward is the textbook arithmetic (``kl_div`` with log targets, summed over classes, averaged over
    the rows kept); the backward is d/ds = T * (softmax(s / T) - p_t) * (row weight), the same gradient
    autograd derives from that arithmetic, without recording its intermediate steps. For a small student
    (the image card's 1.4K-parameter CNN) the recorded graph cost as much as the KD loss's arithmetic.
    """

    @staticmethod
    def forward(
        ctx: Any, student: torch.Tensor, log_t: torch.Tensor, temperature: float, mask: torch.Tensor | None
    ) -> torch.Tensor:
        log_s = F.log_softmax(student / temperature, dim=-1)
        kl = F.kl_div(log_s, log_t, reduction="none", log_target=True).sum(-1)  # one value per row
        if mask is None:
            count = kl.new_tensor(float(kl.numel()))
            value = kl.mean() * temperature**2
        else:
            count = mask.sum().clamp_min(1)
            value = kl.masked_fill(~mask, 0.0).sum() / count * temperature**2
        ctx.save_for_backward(log_s, log_t, count, *(() if mask is None else (mask,)))
        ctx.temperature = temperature
        return value

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor | None, None, None, None]:
        log_s, log_t, count, *mask = ctx.saved_tensors
        if not ctx.needs_input_grad[0]:
            return None, None, None, None
        d = (log_s.exp() - log_t.exp()) * (grad * ctx.temperature / count)
        if mask:
            d = d.masked_fill(~mask[0].unsqueeze(-1), 0.0)
        return d, None, None, None


def soft_kl(
    student_logits: torch.Tensor,
    teacher_logits: torch.Tensor,
    temperature: float,
    mask: torch.Tensor | None = None,
    teacher_log_probs: torch.Tensor | None = None,
) -> torch.Tensor:
    """T² * KL(teacher || student) of the softened distributions over the last dim, averaged over rows.

    Rows are samples for (N, C) logits and positions for (N, T, C) logits; ``mask`` (N, T) keeps
    only the valid positions. The teacher is detached; the arithmetic is done in float32.
    ``teacher_log_probs``: the teacher's ``log_softmax(logits / T)`` where already computed (cached teacher
    outputs, :attr:`ModelOutput.log_probs`); the same values this function would compute from the logits.
    """
    if student_logits.shape != teacher_logits.shape:
        raise ValueError(
            f"student and teacher logits differ in shape: {tuple(student_logits.shape)} vs "
            f"{tuple(teacher_logits.shape)} (KD needs the same classes / vocabulary)"
        )
    if teacher_log_probs is None:
        teacher_log_probs = F.log_softmax(teacher_logits.detach().float() / temperature, dim=-1)
    if mask is not None:
        if mask.shape != student_logits.shape[:-1]:
            raise ValueError(f"mask of shape {tuple(mask.shape)} does not match logits {tuple(student_logits.shape)}")
        mask = mask.bool()
    return _SoftKL.apply(student_logits.float(), teacher_log_probs.detach(), temperature, mask)


@METHODS.register("kd")
class HintonKD(DistillMethod):
    """Vanilla KD on logits; works for classification and per-token (text, speech) logits."""

    Options: ClassVar[type] = KDOptions

    def sparse_teacher_ok(self) -> bool:
        """A top-k teacher (the rest masked out) gives the KL to its truncated, renormalised distribution; not
        with logit standardisation, whose mean and std need every class."""
        return not self.options.logit_standardization

    def soft_temperatures(self) -> tuple[float, ...]:
        """The teacher's softened distribution at T comes precomputed from cached outputs (not when standardising)."""
        return () if self.options.logit_standardization else (self.options.temperature,)

    def loss(self, student: ModelOutput, teacher: ModelOutput | None, batch: Batch) -> dict[str, torch.Tensor]:
        if teacher is None:
            raise ValueError(f"{self.registry_name} needs the teacher's outputs")
        o = self.options
        task = task_loss(student)
        mask = student.mask if student.mask is not None else teacher.mask
        s_logits, t_logits = student.logits, teacher.logits
        if o.logit_standardization:
            s_logits, t_logits = standardize(s_logits), standardize(t_logits)
        soft = None if o.logit_standardization else teacher.log_probs.get(o.temperature)
        kd = soft_kl(s_logits, t_logits, o.temperature, mask, soft)
        return {"loss": (1.0 - o.alpha) * task + o.alpha * kd, "task": task, "kd": kd}
