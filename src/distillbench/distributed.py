"""One job trained by several processes with DDP (PyTorch DistributedDataParallel).

``distillbench run --nproc-per-job N`` trains each job's model with N processes on one machine:
the job's process starts N ranks with ``torch.multiprocessing`` (spawn) and gives each the
environment ``torchrun --nproc-per-node N`` would (``RANK``, ``LOCAL_RANK``, ``WORLD_SIZE``,
``MASTER_ADDR``, ``MASTER_PORT`` on a free port), so ``init_process_group(init_method="env://")``
connects them: NCCL and one GPU per rank on CUDA, gloo on CPU. The training loop (train.py) is the
same: each rank takes a contiguous share of every global batch of ``batch_size`` samples, and
gradients are averaged across ranks with each share weighted by its size, so one DDP step equals one
single-process step on the whole batch (Li et al. 2020, *PyTorch Distributed: Experiences on
Accelerating Data Parallel Training*). The global loss is all-reduced for logging and the NaN
check, so every rank stops together. Rank 0 hands the trained weights and statistics back through
a file; evaluation and measurement then run in the job's process as usual. Rank 0 alone scores the
validation split after each epoch (the others wait at a barrier) and hands back the best epoch's
weights too. The result records
``training.world_size``, ``training.effective_batch_size`` (the global batch) and
``training.per_device_batch_size``.

Batch norm: on CUDA, BatchNorm layers become SyncBatchNorm, so statistics are those of the global
batch. PyTorch's SyncBatchNorm has no CPU kernel, so on CPU each rank normalises with its own
share's statistics; CPU DDP is then exactly equivalent to one process only for models without
batch norm (``tests/unit/test_distributed.py`` checks that equivalence).
"""

from __future__ import annotations

import copy
import os
import socket
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from torch import nn

from distillbench.errors import ConfigError


def rank_and_world() -> tuple[int, int]:
    """``(rank, world size)`` of the current process group, ``(0, 1)`` outside one."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def wrap(model: nn.Module, device: torch.device) -> nn.Module:
    """``model`` under DDP (its BatchNorm layers synchronised on CUDA; the module itself is kept)."""
    from torch.nn.parallel import DistributedDataParallel

    if device.type == "cuda":
        for name, child in list(model.named_children()):
            setattr(model, name, nn.SyncBatchNorm.convert_sync_batchnorm(child))
        return DistributedDataParallel(model, device_ids=[device.index])
    return DistributedDataParallel(model)


def shard(batch: Mapping[str, torch.Tensor], rank: int, world: int) -> dict[str, torch.Tensor]:
    """This rank's contiguous share of every tensor of a global batch (sizes differ by at most one)."""
    return {k: torch.tensor_split(v, world)[rank] for k, v in batch.items()}


def global_mean(loss: torch.Tensor, n_local: int, n_global: int, world: int) -> torch.Tensor:
    """The loss over the whole global batch, from each rank's mean over its share."""
    if world == 1:
        return loss
    total = loss.float() * n_local
    dist.all_reduce(total)
    return total / n_global


def broadcast_parameters(module: nn.Module, world: int) -> None:
    """Give every rank rank 0's values of ``module``'s parameters (a method's learned projections)."""
    if world > 1:
        for p in module.parameters():
            dist.broadcast(p.data, src=0)


def average_gradients(module: nn.Module, world: int) -> None:
    """Average the gradients of parameters outside the DDP model (a method's projections) across ranks."""
    if world > 1:
        for p in module.parameters():
            if p.grad is not None:
                dist.all_reduce(p.grad)
                p.grad /= world


def barrier(world: int) -> None:
    if world > 1:
        dist.barrier()


def free_port() -> int:
    """A TCP port free on this machine right now (for MASTER_PORT)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def check_nproc(nproc: int, device: torch.device) -> None:
    if nproc < 1:
        raise ConfigError(f"--nproc-per-job must be at least 1, got {nproc}")
    if device.type == "cuda" and nproc > torch.cuda.device_count():
        raise ConfigError(f"--nproc-per-job {nproc} needs {nproc} GPUs; this machine has {torch.cuda.device_count()}")


def train_in_processes(nproc: int, model: nn.Module, device: torch.device, **train_kwargs: Any) -> Any:
    """Train ``model`` in place with ``nproc`` DDP ranks; return rank 0's TrainStats.

    ``train_kwargs`` are :func:`distillbench.train.train_model`'s arguments except the model and device.
    """
    import torch.multiprocessing as tmp_mp

    from distillbench.checkpoint import rng_state
    from distillbench.train import TrainStats

    check_nproc(nproc, device)
    train_kwargs.pop("progress", None)  # ranks cannot reach the job's progress pipe
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="distillbench-ddp-") as tmp:
        out = Path(tmp) / "rank0.pt"
        payload = {"model": model.cpu(), "device": device.type, "rng": rng_state(), "kwargs": train_kwargs}
        tmp_mp.start_processes(
            _rank_main, args=(nproc, port, str(out), payload), nprocs=nproc, join=True, start_method="spawn"
        )
        blob = torch.load(out, map_location="cpu", weights_only=True)
    model.load_state_dict(blob["model"])
    model.to(device)
    stats = TrainStats(**blob["stats"])
    stats.best_state = blob.get("best_state") or None  # the validation-selected epoch's weights (epochs.py)
    return stats


def _rank_main(local_rank: int, world: int, port: int, out: str, payload: dict[str, Any]) -> None:
    """One rank: torchrun's environment, the process group, the shared training loop, rank 0 saves."""
    from distillbench.checkpoint import set_rng_state
    from distillbench.train import train_model

    os.environ.update(
        RANK=str(local_rank),
        LOCAL_RANK=str(local_rank),
        WORLD_SIZE=str(world),
        LOCAL_WORLD_SIZE=str(world),
        MASTER_ADDR="127.0.0.1",
        MASTER_PORT=str(port),
    )
    cuda = payload["device"] == "cuda"
    if cuda:
        torch.cuda.set_device(local_rank)
        device = torch.device("cuda", local_rank)
    else:
        device = torch.device("cpu")
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // world))
    dist.init_process_group("nccl" if cuda else "gloo", init_method="env://")
    try:
        set_rng_state(payload["rng"])  # the RNG stream the single-process run would train with
        # spawn hands tensors over in shared memory: each rank needs its own weights, or every rank's
        # optimizer would step the same storage (the frozen teacher can stay shared)
        model = copy.deepcopy(payload["model"])
        stats = train_model(payload["kwargs"].pop("adapter"), model, device=device, **payload["kwargs"])
        if local_rank == 0:
            state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
            blob = {"model": state, "stats": stats.to_dict() | {"step_losses": stats.step_losses}}
            torch.save(blob | {"best_state": stats.best_state or {}}, out)
        dist.barrier()
    finally:
        dist.destroy_process_group()
