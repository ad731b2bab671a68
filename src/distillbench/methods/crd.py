"""Contrastive representation distillation: NCE between student and teacher embeddings, with a memory bank.

Tian, Krishnan & Isola (2020), "Contrastive Representation Distillation", ICLR 2020, arXiv:1910.10699
(authors' code: github.com/HobbitLong/RepDistiller, ``crd/``; also mdistiller's ``CRD.py``).

Both models' features (the feature ``feature``, global-average pooled when 4-D, as the penultimate
"pooled" feature of the paper) are projected by a learned linear map to ``embed_dim`` dimensions and
L2-normalised: s (student), t (teacher). Two memory banks hold one unit vector per training sample,
M_s for the student's and M_t for the teacher's embeddings. For sample i with K negative indices j_1..j_K
(drawn uniformly over the training split, index 0 being i itself), the scores are

    h_s(i, j) = exp(s_i · M_t[j] / tau) / Z_s        (the student anchored against the teacher's bank)
    h_t(i, j) = exp(t_i · M_s[j] / tau) / Z_t        (the teacher anchored against the student's bank)

where Z is fixed at the first batch as mean(exp(·/tau)) * N (N = training samples), and the NCE loss
(the paper's eq. 18 as the authors' ``ContrastLoss``), with noise probability 1/N and m = K:

    L(h) = -(1/B) sum_i [ log(h(i, i) / (h(i, i) + m/N + eps)) + sum_k log((m/N) / (h(i, j_k) + m/N + eps)) ]
    crd  = L(h_s) + L(h_t);   loss = ce_weight * task + weight * crd

After the loss, each bank row of the batch is moved toward the new embedding and re-normalised:
M[i] <- normalise(momentum * M[i] + (1 - momentum) * v_i). Banks start uniform in ±1/sqrt(embed_dim/3),
as in the authors' code. Banks and Z are buffers: checkpointed with the student, so a resumed run keeps them.

Defaults are the authors' (RepDistiller ``train_student.py`` / mdistiller ``CRD`` config): 16384 negatives
(``--nce_k``), tau 0.07, momentum 0.5, 128 dimensions, weight 0.8 (``-b 0.8``) with CE weight 1. On a training
split smaller than 16384 negatives are drawn with replacement; the task card scales K to its data. One
difference: RepDistiller's CIFAR loader draws negatives from samples of *other classes* (``mode exact``);
here they are drawn uniformly over all samples, which is what its ``ContrastMemory`` does when given no
negative indices (the memory bank paper's sampling, Wu et al. 2018). Training with DDP is refused: each
process would update its own bank from its share of the batch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from distillbench.methods.base import DistillMethod, task_loss
from distillbench.methods.fitnet import get_feature
from distillbench.registry import METHODS
from distillbench.types import Batch, ModelOutput

EPS = 1e-7


@dataclass
class CRDOptions:
    #: feature name (task card) embedded for both models; 4-D maps are global-average pooled first
    feature: str = "final"
    #: negatives per positive (``--nce_k`` 16384 in the authors' code)
    negatives: int = 16384
    #: the NCE temperature tau (``--nce_t``)
    temperature: float = 0.07
    #: momentum of the memory-bank update (``--nce_m``)
    momentum: float = 0.5
    #: embedding dimension (``--feat_dim``)
    embed_dim: int = 128
    #: weight of the CRD term (beta = 0.8 in the paper's CIFAR-100 runs)
    weight: float = 0.8
    ce_weight: float = 1.0

    def __post_init__(self) -> None:
        if self.negatives < 1 or self.embed_dim < 1:
            raise ValueError(f"crd needs negatives >= 1 and embed_dim >= 1, got {self.negatives}, {self.embed_dim}")
        if self.temperature <= 0:
            raise ValueError(f"crd temperature must be positive, got {self.temperature}")
        if not 0.0 <= self.momentum < 1.0:
            raise ValueError(f"crd momentum must be in [0, 1), got {self.momentum}")


def pooled(x: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) -> (N, C) by global average pooling; (N, D) as it is; anything else flattened."""
    return x.float().mean((2, 3)) if x.dim() == 4 else x.float().flatten(1)


def nce_loss(scores: torch.Tensor, num_samples: int) -> torch.Tensor:
    """The NCE loss of (B, K+1) normalised scores, the positive in column 0 (the module docstring's L)."""
    m = scores.shape[1] - 1
    noise = m / num_samples
    log_pos = torch.log(scores[:, 0] / (scores[:, 0] + noise + EPS))
    log_neg = torch.log(noise / (scores[:, 1:] + noise + EPS))
    return -(log_pos.sum() + log_neg.sum()) / scores.shape[0]


def contrast_scores(anchor: torch.Tensor, bank: torch.Tensor, idx: torch.Tensor, temperature: float) -> torch.Tensor:
    """exp(anchor_i · bank[idx[i, k]] / tau) for (B, D) anchors and (B, K+1) indices: (B, K+1), unnormalised."""
    rows = bank[idx].detach()  # (B, K+1, D)
    return torch.exp(torch.bmm(rows, anchor.unsqueeze(2)).squeeze(2) / temperature)


def momentum_update(bank: torch.Tensor, index: torch.Tensor, v: torch.Tensor, momentum: float) -> None:
    """bank[i] <- normalise(momentum * bank[i] + (1 - momentum) * v_i), in place, for the batch's rows."""
    with torch.no_grad():
        bank.index_copy_(0, index, F.normalize(bank[index] * momentum + v.detach().float() * (1 - momentum), dim=1))


@METHODS.register("crd")
class ContrastiveRepresentationDistillation(DistillMethod):
    """CRD (Tian et al. 2020): two-sided NCE over a momentum-updated memory bank of embeddings."""

    Options: ClassVar[type] = CRDOptions
    needs_index: ClassVar[bool] = True
    ddp_ok: ClassVar[bool] = False

    def __init__(self, options: CRDOptions | None = None) -> None:
        super().__init__(options)
        self.embed_s: nn.Module | None = None
        self.embed_t: nn.Module | None = None
        self.register_buffer("z", torch.full((2,), -1.0))  # Z_s, Z_t; < 0 until the first batch sets them
        self.register_buffer("bank_s", torch.empty(0))  # (N, embed_dim), filled by setup()
        self.register_buffer("bank_t", torch.empty(0))

    def feature_names(self) -> tuple[str, ...]:
        return (self.options.feature,)

    def setup(self, student: ModelOutput, teacher: ModelOutput | None) -> None:
        o = self.options
        if self.num_samples < 2:
            raise ValueError(f"crd needs a training split of at least 2 samples, got {self.num_samples}")
        s = pooled(get_feature(student, o.feature, "student"))
        t = pooled(get_feature(teacher, o.feature, "teacher"))
        self.embed_s = nn.Linear(s.shape[1], o.embed_dim).to(s.device)
        self.embed_t = nn.Linear(t.shape[1], o.embed_dim).to(s.device)
        stdv = 1.0 / math.sqrt(o.embed_dim / 3)
        self.bank_s = (torch.rand(self.num_samples, o.embed_dim, device=s.device) * 2 - 1) * stdv
        self.bank_t = (torch.rand(self.num_samples, o.embed_dim, device=s.device) * 2 - 1) * stdv

    def loss(self, student: ModelOutput, teacher: ModelOutput | None, batch: Batch) -> dict[str, torch.Tensor]:
        o = self.options
        if self.embed_s is None or self.embed_t is None:
            raise RuntimeError("crd: setup() must be called with the first batch before loss()")
        index = batch["index"]
        s = F.normalize(self.embed_s(pooled(get_feature(student, o.feature, "student"))), dim=1)
        t = F.normalize(self.embed_t(pooled(get_feature(teacher, o.feature, "teacher").detach())), dim=1)
        idx = torch.randint(0, self.num_samples, (len(index), o.negatives + 1), device=index.device)
        idx[:, 0] = index
        crd = self.contrast(s, t, idx)
        momentum_update(self.bank_s, index, s, o.momentum)
        momentum_update(self.bank_t, index, t, o.momentum)
        task = task_loss(student)
        return {"loss": o.ce_weight * task + o.weight * crd, "task": task, "crd": crd}

    def contrast(self, s: torch.Tensor, t: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
        """L(h_s) + L(h_t) for embeddings s, t and (B, K+1) bank indices (positive first); fixes Z on first use."""
        o = self.options
        out_s = contrast_scores(s, self.bank_t, idx, o.temperature)
        out_t = contrast_scores(t, self.bank_s, idx, o.temperature)
        if self.z[0] < 0:
            self.z.copy_(torch.stack([out_s.mean(), out_t.mean()]).detach() * self.num_samples)
        return nce_loss(out_s / self.z[0], self.num_samples) + nce_loss(out_t / self.z[1], self.num_samples)
