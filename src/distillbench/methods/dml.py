"""Deep mutual learning: peers of one architecture trained together, each distilling from the others.

Zhang, Xiang, Hospedales & Lu (2018), "Deep Mutual Learning", CVPR 2018, arXiv:1706.00384.

No pretrained teacher: K peers (``peers``, 2 in the paper's main experiments) start from different random
weights and train on the same batches. Peer k minimises its cross-entropy plus the mean KL divergence from
each other peer's predicted distribution to its own (the paper's eq. 10 for K > 2, eq. 5 for K = 2):

    L_k = CE_k + weight * 1/(K-1) * sum_{l != k} KL(p_l || p_k),   p = softmax(z / T)

with the other peers' distributions as fixed targets (no gradient through p_l), weight 1 and T = 1 (the
paper uses neither). The loss minimised is sum_k L_k; since each peer's gradient comes only from its own
L_k, one step on it updates every peer as its own optimizer would. The paper's Algorithm 1 updates the
peers one after another within a step, re-computing predictions between updates; here all peers are
updated from the same step's predictions (simultaneous updates, K forward passes per step instead of
K(K-1)). ``T`` other than 1 multiplies the KL by T² as in Hinton et al. (2015).

The job's row is the FIRST peer (the student built from the job's seed); the other peers are trained,
validated and tested alongside it, and their test metrics are in the record (``training.peers``).
Logged parts: ``task`` (peer 1's CE), ``kl`` (peer 1's mean KL term) and ``loss`` (the sum over peers).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch

from distillbench.methods.base import DistillMethod, task_loss
from distillbench.methods.kd import soft_kl
from distillbench.registry import METHODS
from distillbench.types import Batch, ModelOutput


@dataclass
class DMLOptions:
    #: models trained together, the reported student counted (the paper's main setting: 2)
    peers: int = 2
    #: weight of the mean KL to the other peers (1 in the paper)
    weight: float = 1.0
    #: softmax temperature of both distributions (1 in the paper)
    temperature: float = 1.0

    def __post_init__(self) -> None:
        if self.peers < 2:
            raise ValueError(f"dml needs at least 2 peers, got {self.peers}")
        if self.weight < 0 or self.temperature <= 0:
            raise ValueError(f"dml needs weight >= 0 and temperature > 0, got {self.weight}, {self.temperature}")


def mutual_loss(outputs: list[ModelOutput], weight: float, temperature: float) -> list[dict[str, torch.Tensor]]:
    """Each peer's CE, mean KL from the other peers (detached targets) and L_k (the module docstring)."""
    k = len(outputs)
    parts = []
    for i, out in enumerate(outputs):
        kls = [soft_kl(out.logits, other.logits, temperature) for j, other in enumerate(outputs) if j != i]
        kl = torch.stack(kls).sum() / (k - 1)
        task = task_loss(out)
        parts.append({"loss": task + weight * kl, "task": task, "kl": kl})
    return parts


@METHODS.register("dml")
class DeepMutualLearning(DistillMethod):
    """DML (Zhang et al. 2018): peers trained together with CE plus KL to each other; the row is the first peer."""

    Options: ClassVar[type] = DMLOptions
    needs_teacher: ClassVar[bool] = False
    teacher_kind: ClassVar[str] = "peers"
    ddp_ok: ClassVar[bool] = False

    def num_peers(self) -> int:
        return self.options.peers

    def peer_loss(self, outputs: list[ModelOutput], batch: Batch) -> dict[str, torch.Tensor]:
        if len(outputs) != self.options.peers:
            raise ValueError(f"dml: expected the outputs of {self.options.peers} peers, got {len(outputs)}")
        parts = mutual_loss(outputs, self.options.weight, self.options.temperature)
        total = torch.stack([p["loss"] for p in parts]).sum()
        return {"loss": total, "task": parts[0]["task"], "kl": parts[0]["kl"]}

    def loss(self, student: ModelOutput, teacher: ModelOutput | None, batch: Batch) -> dict[str, torch.Tensor]:
        raise RuntimeError("dml trains peers: the training loop calls peer_loss()")
