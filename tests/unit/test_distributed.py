"""DDP equivalence on CPU: 2 gloo processes on the same global batch train like 1 process.

Each rank takes half of every global batch of 64 digits and DDP averages the gradients, each half
weighted by its size, so every step is the single-process step on the whole batch. What differs is
only the order of floating-point sums (two half-batch means averaged vs one mean, gradients summed
over ranks). Stated tolerance: the loss of every step and every trained weight agree within 1e-4
(absolute); measured on the 2-core CI VM: max loss difference about 1e-7 (float32 rounding).
The model has no batch norm: PyTorch's SyncBatchNorm has no CPU kernel (see distributed.py).
"""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from distillbench.config import TrainConfig, load_card
from distillbench.distributed import free_port, shard, train_in_processes
from distillbench.methods.base import build_method
from distillbench.registry import TASKS
from distillbench.train import seed_everything, train_model

TOLERANCE = 1e-4


class TinyMLP(nn.Module):
    """8x8 digits -> 10 classes; no batch norm, no dropout (so DDP on CPU is exactly one global step)."""

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def test_shard_splits_a_batch_into_contiguous_shares() -> None:
    batch = {"x": torch.arange(10), "labels": torch.arange(10) * 2}
    parts = [shard(batch, r, 3) for r in range(3)]
    assert [len(p["x"]) for p in parts] == [4, 3, 3]
    assert torch.equal(torch.cat([p["labels"] for p in parts]), batch["labels"])
    assert free_port() > 0


def test_two_gloo_processes_match_one_process_on_the_same_global_batch() -> None:
    card = load_card("digits")
    adapter = TASKS.get(card.task)(card)
    data = adapter.load_data(smoke=False)
    cfg = TrainConfig(epochs=2, batch_size=64, lr=0.1, max_batches_per_epoch=6, schedule="cosine")
    seed_everything(0)
    model_1 = TinyMLP()
    model_2 = copy.deepcopy(model_1)
    common = {"data": data, "cfg": cfg, "seed": 0, "names": ("mlp", "")}
    one = train_model(adapter, model_1, method=build_method("no_kd"), device=torch.device("cpu"), **common)
    two = train_in_processes(2, model_2, torch.device("cpu"), adapter=adapter, method=build_method("no_kd"), **common)
    assert (one.world_size, two.world_size) == (1, 2)
    assert one.effective_batch_size == two.effective_batch_size == 64 and two.per_device_batch_size == 32
    assert len(one.step_losses) == len(two.step_losses) == 12 and two.samples == one.samples
    # rank 0 scores the validation split after each epoch and hands back the best epoch's weights
    assert len(two.val_history) == 2 and two.best_epoch is not None and two.best_state is not None
    for a, b in zip(one.val_history, two.val_history, strict=True):  # same weights up to 1e-4: same predictions
        assert b == pytest.approx(a, abs=1e-2)  # (at most one of the 180 validation digits may flip)
    loss_diff = max(abs(a - b) for a, b in zip(one.step_losses, two.step_losses, strict=True))
    weight_diff = max(
        (a - b).abs().max().item() for a, b in zip(model_1.parameters(), model_2.parameters(), strict=True)
    )
    print(f"DDP 2 ranks vs 1 process: max step-loss diff {loss_diff:.2e}, max weight diff {weight_diff:.2e}")
    assert loss_diff <= TOLERANCE and weight_diff <= TOLERANCE
    assert one.step_losses[-1] < one.step_losses[0]  # it did learn: the comparison is not between two constants
    assert two.epoch_losses == pytest.approx(one.epoch_losses, abs=TOLERANCE)


def test_two_gloo_processes_train_kd_from_cached_teacher_outputs() -> None:
    """Each rank looks up its share's teacher outputs by the sharded ``batch["index"]`` (teacher_outputs.py)."""
    from distillbench.teacher_outputs import CacheOptions, TeacherOutputs
    from distillbench.teacher_outputs_build import build_outputs

    card = load_card("digits")
    adapter = TASKS.get(card.task)(card)
    data = adapter.load_data(smoke=False)
    cfg = TrainConfig(epochs=1, batch_size=64, lr=0.1, max_batches_per_epoch=4, schedule="cosine", val_every=0)
    seed_everything(1)
    teacher, model_1 = TinyMLP(), TinyMLP()
    model_2 = copy.deepcopy(model_1)
    cpu = torch.device("cpu")
    tensors = build_outputs(
        adapter, teacher, data, batch_size=64, device=cpu, amp=lambda: torch.autocast("cpu", enabled=False),
        feature_paths={}, sparse_ok=True, options=CacheOptions(),
    )  # fmt: skip
    outputs = TeacherOutputs(tensors)
    common = {"data": data, "cfg": cfg, "seed": 0, "names": ("mlp", "teacher"), "teacher_outputs": outputs}
    one = train_model(adapter, model_1, method=build_method("kd"), device=cpu, **common)
    two = train_in_processes(2, model_2, cpu, adapter=adapter, method=build_method("kd"), **common)
    assert len(one.step_losses) == len(two.step_losses) == 4 and two.world_size == 2
    assert two.step_losses == pytest.approx(one.step_losses, abs=TOLERANCE)
    assert set(one.loss_parts) == {"loss", "task", "kd"} and one.loss_parts["kd"] > 0
