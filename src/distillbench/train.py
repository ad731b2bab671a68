"""The one training loop, for teachers and students alike.

The loop knows nothing about tasks or methods: the adapter batches and runs forward passes, the
method turns student (and teacher) outputs into a loss, forward hooks collect the features the
method names. SGD or AdamW, cosine or constant schedule with optional linear warm-up, autocast
for bf16/fp16 (with a gradient scaler for fp16 on CUDA). A NaN/inf loss stops training with an
error naming the epoch and step. Optional per-epoch checkpoints (checkpoint.py) make a killed job
resume where it stopped; inside a process group the same loop trains with DDP (distributed.py).

What a method declares (methods/base.py) the loop honours: it tells a method that reads sample indices the
training split's size, checkpoints the method's buffers (memory banks) with the student, sets the method's
stage before each epoch and records the epochs each stage trained (``TrainStats.stages``), and trains a peer
method's peers with the student in the same steps (one optimizer over all of them; each peer's gradient
comes only from its own loss term, so this equals one optimizer per peer with the same settings).

After every ``val_every``-th epoch (and the last) the adapter's ``evaluate`` scores the validation split;
the weights of the epoch with the best primary metric are kept on the CPU (``TrainStats.best_state``,
checkpointed with the rest), so the worker can test both the last and the validation-selected epoch
(epochs.py; early-stopping-style model selection on held-out data, Prechelt 1998, "Early Stopping — But
When?"). The validation pass leaves the random number streams as they were, so training itself does not
depend on how often it is validated.
"""

from __future__ import annotations

import contextlib
import logging
import math
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from distillbench import distributed as ddp
from distillbench.adapters.base import DataSplits, TaskAdapter
from distillbench.checkpoint import load_checkpoint, rng_state, save_checkpoint, set_rng_state
from distillbench.config import TrainConfig
from distillbench.epochs import best_epoch, val_curve
from distillbench.errors import ConfigError
from distillbench.features import FeatureHooks
from distillbench.measure import autocast
from distillbench.methods.base import DistillMethod
from distillbench.teacher_outputs import TeacherOutputs
from distillbench.teacher_replay import TeacherReplay

log = logging.getLogger(__name__)
Progress = Callable[[int, int, str], None]


@dataclass
class TrainStats:
    wall_time_s: float = 0.0
    samples: int = 0
    steps: int = 0
    epochs: int = 0
    samples_per_s: float = 0.0
    final_loss: float = float("nan")
    loss_parts: dict[str, float] = field(default_factory=dict)
    epoch_losses: list[float] = field(default_factory=list)
    #: processes that trained together (DDP), the global batch per step and each process's share
    world_size: int = 1
    effective_batch_size: int = 0
    per_device_batch_size: int = 0
    #: the epoch a resumed training started from (None: trained from the start)
    resumed_from_epoch: int | None = None
    #: the global loss of every step (kept for tests and logs, not written into results)
    step_losses: list[float] = field(default_factory=list)
    #: per epoch: the adapter's metrics on the validation split after it (None where not evaluated)
    val_history: list[dict[str, float] | None] = field(default_factory=list)
    #: the epoch (1-based) with the best primary validation metric (earliest on ties); None without validation
    best_epoch: int | None = None
    #: seconds spent on validation passes (inside wall_time_s, left out of samples_per_s)
    val_time_s: float = 0.0
    #: the best epoch's weights on the CPU (for the worker and checkpoints, not written into results)
    best_state: dict[str, torch.Tensor] | None = field(default=None, repr=False)
    #: the method's stages in order: name, first and last epoch (1-based); empty for a one-stage method
    stages: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        out.pop("step_losses")
        out.pop("best_state")
        return out


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def feature_paths(method: DistillMethod, features: Mapping[str, str], model_name: str) -> dict[str, str]:
    """The module paths for the features a method reads; a missing name is a config error."""
    wanted = method.feature_names()
    missing = [f for f in wanted if f not in features]
    if missing:
        raise ConfigError(
            f"method {method.registry_name!r} reads feature(s) {', '.join(missing)}, but model {model_name!r} "
            f"declares only: {', '.join(features) or '(none)'} — add them under 'features:' in the task card"
        )
    return {f: features[f] for f in wanted}


def _optimizer(params: list[nn.Parameter], cfg: TrainConfig) -> torch.optim.Optimizer:
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(
            params, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay, nesterov=cfg.nesterov
        )
    return torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)


def _lr_factor(step: int, total: int, warmup: int, schedule: str, per_epoch: int = 1, cfg: Any = None) -> float:
    if warmup and step < warmup:
        return (step + 1) / warmup
    if schedule == "constant":
        return 1.0
    if schedule == "multistep":  # x gamma at the start of each milestone epoch (0-based), as MultiStepLR
        return cfg.gamma ** sum(step // per_epoch >= m for m in cfg.milestones)
    progress = (step - warmup) / max(1, total - warmup)
    return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))


def train_model(
    adapter: TaskAdapter,
    model: nn.Module,
    data: DataSplits,
    cfg: TrainConfig,
    method: DistillMethod,
    *,
    seed: int,
    device: torch.device,
    precision: str = "fp32",
    teacher: nn.Module | None = None,
    student_features: Mapping[str, str] | None = None,
    teacher_features: Mapping[str, str] | None = None,
    names: tuple[str, str] = ("student", "teacher"),
    progress: Progress | None = None,
    checkpoint: Path | None = None,
    checkpoint_key: str = "",
    teacher_outputs: TeacherOutputs | TeacherReplay | None = None,
    peers: list[nn.Module] | None = None,
) -> TrainStats:
    """Train ``model`` in place with ``method`` (``no_kd`` for plain supervised training).

    With ``checkpoint``, the state is saved there after every epoch and training resumes from it when
    it exists with the same ``checkpoint_key``. Inside an initialised process group (see
    distributed.py) the model is trained with DDP: each process takes its share of every global batch
    of ``cfg.batch_size`` samples, and gradients are averaged so a step equals one on the whole batch.
    With ``teacher_outputs`` (teacher_outputs.py) the teacher is not run: each batch's outputs are looked
    up by ``batch["index"]``; a :class:`TeacherReplay` (teacher_replay.py) also gives each epoch's views.
    ``peers``: the models a peer method (dml) trains with ``model``.
    """
    if method.needs_teacher and teacher is None and teacher_outputs is None:
        raise ValueError(f"method {method.registry_name!r} needs a teacher")
    _attach_peers(method, peers or [])
    s_paths = feature_paths(method, student_features or {}, names[0])
    t_paths = feature_paths(method, teacher_features or {}, names[1]) if method.needs_teacher else {}
    model.to(device).train()
    if teacher is not None and method.needs_teacher and teacher_outputs is None:
        teacher.to(device).eval()
        for p in teacher.parameters():
            p.requires_grad_(False)
    method.to(device)
    steps_per_epoch = math.ceil(len(data.train) / cfg.batch_size)
    if cfg.max_batches_per_epoch:
        steps_per_epoch = min(steps_per_epoch, cfg.max_batches_per_epoch)
    total = steps_per_epoch * cfg.epochs
    amp = lambda: autocast(device, precision)  # noqa: E731
    scaler = torch.amp.GradScaler("cuda", enabled=precision == "fp16" and device.type == "cuda")
    optimizer: torch.optim.Optimizer | None = None
    rank, world = ddp.rank_and_world()
    stats = TrainStats(
        world_size=world, effective_batch_size=cfg.batch_size, per_device_batch_size=math.ceil(cfg.batch_size / world)
    )
    if world > cfg.batch_size:
        raise ConfigError(f"batch_size {cfg.batch_size} cannot be shared by {world} processes")
    if world > 1 and not method.ddp_ok:
        raise ConfigError(
            f"method {method.registry_name!r} keeps state that DDP processes would update apart (a memory bank or "
            "peers); train it with one process per job (nproc 1)"
        )
    method.num_samples = len(data.train)
    stats.stages = _stage_spans(method, cfg.epochs)
    step, first_epoch = 0, 0
    saved = load_checkpoint(checkpoint, checkpoint_key)
    if saved is not None:
        try:
            resumed = TrainStats(**{**saved["stats"], "resumed_from_epoch": saved["epoch"]})
            resumed.best_state = saved.get("best_state") or None
            model.load_state_dict(saved["model"])
        except (TypeError, KeyError, RuntimeError) as exc:  # written by another distillbench version
            log.warning("ignoring checkpoint %s (%s); training from the start", checkpoint, exc)
            saved = None
    if saved is not None:
        first_epoch, step, stats = saved["epoch"], saved["step"], resumed
        missing = first_epoch - len(stats.val_history)  # a checkpoint from before validation was tracked
        stats.val_history = [None] * max(0, missing) + stats.val_history[:first_epoch]
        set_rng_state(saved["rng"])
        log.info("%s: resuming from the checkpoint of epoch %d (%s)", names[0], first_epoch, checkpoint)
    runner_model = ddp.wrap(model, device) if world > 1 else model
    start = time.perf_counter() - stats.wall_time_s
    with FeatureHooks(model, s_paths, names[0]) as s_hooks, contextlib.ExitStack() as stack:
        online = teacher is not None and teacher_outputs is None
        t_hooks = stack.enter_context(FeatureHooks(teacher, t_paths, names[1])) if t_paths and online else None
        for epoch in range(first_epoch, cfg.epochs):
            method.on_epoch_start(epoch, cfg.epochs)
            epoch_loss, epoch_parts, n_batches = 0.0, {}, 0
            outputs, views = (
                teacher_outputs.epoch(epoch) if isinstance(teacher_outputs, TeacherReplay) else (teacher_outputs, None)
            )
            batches = adapter.train_batches(data.train, cfg, seed=seed * 1000 + epoch, epoch=epoch, views=views)
            for i, batch in enumerate(batches):
                if i >= steps_per_epoch:
                    break
                n_global = len(next(iter(batch.values())))
                if world > 1:
                    if n_global < world:  # a last batch too small to share: every process skips it
                        continue
                    batch = ddp.shard(batch, rank, world)
                n_local = len(next(iter(batch.values())))
                if method.needs_index and "index" not in batch:
                    raise ConfigError(f"method {method.registry_name!r} needs batch['index'], which this task lacks")
                batch = {k: v.to(device, non_blocking=True) for k, v in batch.items()}
                t_out = None
                if method.needs_teacher and outputs is not None:
                    t_out = outputs.lookup(batch["index"], device, method.soft_temperatures())
                elif method.needs_teacher:
                    with torch.no_grad(), amp():
                        t_out = adapter.forward(teacher, batch)
                    if t_hooks:
                        t_out.features = t_hooks.take()
                with amp():
                    s_out = adapter.forward(runner_model, batch)
                    s_out.features = s_hooks.take()
                    if optimizer is None:  # projections are built from the first batch's shapes
                        # a resumed run loads the projections: building them must not move the saved RNG stream
                        with torch.random.fork_rng(devices=[]) if saved else contextlib.nullcontext():
                            method.setup(s_out, t_out)
                        method.to(device)
                        ddp.broadcast_parameters(method, world)
                        params = [p for p in (*model.parameters(), *method.parameters()) if p.requires_grad]
                        optimizer = _optimizer(params, cfg)
                        base_lrs = [g["lr"] for g in optimizer.param_groups]
                        if saved is not None:
                            method.load_state_dict(saved["method"])
                            optimizer.load_state_dict(saved["optimizer"])
                            scaler.load_state_dict(saved["scaler"])
                    if method.teacher_needed() == "peers":
                        peer_outs = [adapter.forward(p, batch) for p in method.peer_models]
                        parts = method.peer_loss([s_out, *peer_outs], batch)
                    else:
                        parts = method.loss(s_out, t_out, batch)
                loss = parts["loss"]
                global_loss = ddp.global_mean(loss.detach(), n_local, n_global, world)
                if not torch.isfinite(global_loss):
                    raise FloatingPointError(f"loss is {global_loss.item()} at epoch {epoch + 1}, step {i + 1}")
                factor = _lr_factor(
                    step, total, int(cfg.warmup_epochs * steps_per_epoch), cfg.schedule, steps_per_epoch, cfg
                )
                for group, base in zip(optimizer.param_groups, base_lrs, strict=True):
                    group["lr"] = base * factor
                optimizer.zero_grad(set_to_none=True)
                # DDP averages gradients over processes: weigh each share by its size so the step is the global mean
                scaler.scale(loss * (n_local * world / n_global) if world > 1 else loss).backward()
                ddp.average_gradients(method, world)
                if cfg.grad_clip:
                    scaler.unscale_(optimizer)
                    for m in (model, *getattr(method, "peer_models", ())):  # each peer clipped on its own
                        nn.utils.clip_grad_norm_(m.parameters(), cfg.grad_clip)
                scaler.step(optimizer)
                scaler.update()
                step += 1
                n_batches += 1
                stats.samples += n_global
                epoch_loss += global_loss.item()
                stats.step_losses.append(global_loss.item())
                for k, v in parts.items():
                    epoch_parts[k] = epoch_parts.get(k, 0.0) + float(v.detach())
                if progress:
                    progress(step, total, f"epoch {epoch + 1}/{cfg.epochs} loss {epoch_loss / n_batches:.4f}")
            stats.epoch_losses.append(epoch_loss / max(1, n_batches))
            stats.loss_parts = {k: v / max(1, n_batches) for k, v in epoch_parts.items()}
            if cfg.val_every and ((epoch + 1) % cfg.val_every == 0 or epoch + 1 == cfg.epochs):
                with s_hooks.paused():
                    _validate(adapter, model, data, device, amp, stats, rank, world)
            else:
                stats.val_history.append(None)
            if checkpoint is not None:
                stats.wall_time_s = time.perf_counter() - start
                _save_epoch(checkpoint, checkpoint_key, epoch + 1, step, model, method, optimizer, scaler, stats, rank)
                ddp.barrier(world)
    stats.wall_time_s = time.perf_counter() - start
    stats.steps, stats.epochs = step, cfg.epochs
    train_s = stats.wall_time_s - stats.val_time_s
    stats.samples_per_s = stats.samples / train_s if train_s > 0 else 0.0
    stats.final_loss = stats.epoch_losses[-1] if stats.epoch_losses else float("nan")
    model.eval()
    return stats


def _attach_peers(method: DistillMethod, peers: list[nn.Module]) -> None:
    """Make a peer method's peers part of it: trained by the same optimizer, checkpointed in its state."""
    wanted = method.num_peers() - 1 if method.teacher_needed() == "peers" else 0
    if len(peers) != wanted:
        raise ValueError(f"method {method.registry_name!r} trains {wanted} peer(s) with the student, got {len(peers)}")
    if peers:
        method.peer_models = nn.ModuleList(peers).train()


def _stage_spans(method: DistillMethod, epochs: int) -> list[dict[str, Any]]:
    """The method's stages as 1-based epoch spans (empty for one stage); a stage with no epochs is a config error."""
    stages = method.stages(epochs)
    if len(stages) <= 1:
        return []
    spans, first = [], 1
    for i, stage in enumerate(stages):
        n = epochs - first + 1 if i == len(stages) - 1 else stage.epochs
        if n < 1:
            raise ConfigError(
                f"method {method.registry_name!r}: stage {stage.name!r} gets no epochs of {epochs} "
                f"({', '.join(f'{s.name} {s.epochs}' for s in stages)})"
            )
        spans.append({"name": stage.name, "first_epoch": first, "last_epoch": first + n - 1})
        first += n
    return spans


def _validate(
    adapter: TaskAdapter,
    model: nn.Module,
    data: DataSplits,
    device: torch.device,
    amp: Callable[[], Any],
    stats: TrainStats,
    rank: int,
    world: int,
) -> None:
    """Score the validation split after an epoch (first process only) and keep the best epoch's weights."""
    metrics: dict[str, float] | None = None
    if rank == 0:
        start = time.perf_counter()
        streams = rng_state()  # evaluation must not move the training's random streams
        model.eval()
        try:
            out = adapter.evaluate(model, data.val, device, amp)
        finally:
            model.train()
            set_rng_state(streams)
        metrics = {k: float(out[k]) for k in adapter.metrics if out.get(k) is not None}
        stats.val_time_s += time.perf_counter() - start
    stats.val_history.append(metrics)
    best = best_epoch(val_curve(stats.val_history, adapter.metric), adapter.metrics[adapter.metric])
    if rank == 0 and best == len(stats.val_history) and best != stats.best_epoch:
        stats.best_state = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
    stats.best_epoch = best
    ddp.barrier(world)


def _save_epoch(
    path: Path,
    key: str,
    epoch: int,
    step: int,
    model: nn.Module,
    method: DistillMethod,
    optimizer: torch.optim.Optimizer | None,
    scaler: torch.amp.GradScaler,
    stats: TrainStats,
    rank: int,
) -> None:
    """Checkpoint the end of ``epoch`` (only the first process writes; all hold the same state)."""
    if rank != 0:
        return
    state = {
        "key": key,
        "epoch": epoch,
        "step": step,
        "model": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "method": {k: v.detach().cpu() for k, v in method.state_dict().items()},
        "optimizer": optimizer.state_dict() if optimizer is not None else {},
        "scaler": scaler.state_dict(),
        "stats": stats.to_dict() | {"step_losses": list(stats.step_losses), "resumed_from_epoch": None},
        "best_state": stats.best_state or {},
        "rng": rng_state(),
    }
    save_checkpoint(path, state)
