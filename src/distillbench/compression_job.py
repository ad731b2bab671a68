"""The compression baselines' jobs: build a quantised or pruned model (compress.py), fine-tune it, evaluate it.

One job per :class:`~distillbench.compress.Variant` of a card (role ``"compression"``): the teacher (the
shipped artifact or the cached trained teacher, :func:`distillbench.worker.get_teacher`) or the card's
chosen student (its trained, validation-selected weights, saved by its own student job: ``Job.keep_weights``)
is compressed and evaluated on the test split with the adapter's own evaluation, as every other row.

- int8 models are not trained (quantised weights have no gradients); they are evaluated as quantised.
- the pruned teacher is fine-tuned with plain supervised training (``no_kd``) for the card's
  ``student_train`` budget overridden by ``compression.prune_train`` (the settings are in the record), and
  its fine-tuned weights are saved under ``<cache_dir>/weights/<job_id>.pt`` for the speed job, which prunes
  the teacher again (the criterion is deterministic) and loads them.

A model that cannot be compressed this way (no Linear layer, a backend without kernels on this device, a
pruning that leaves a layer empty) is recorded with its reason in ``config.compression.unsupported`` and no
quality, so its row says why; the run goes on. Missing saved weights (the student job has not run, or failed)
fail the job instead, so that resuming the run redoes it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn

from distillbench import measure
from distillbench.adapters.base import DataSplits, TaskAdapter
from distillbench.compress import CompressionError, Variant, backend_versions, plan_variants, prune, quantize
from distillbench.compress import trace_forward as compress_trace_forward
from distillbench.config import TaskCard, from_dict
from distillbench.config import TrainConfig as _TrainConfig
from distillbench.config import load_card as _load_card
from distillbench.env import collect_env
from distillbench.epochs import evaluate_epochs
from distillbench.errors import DistillbenchError
from distillbench.jobs import Job, record_config
from distillbench.methods.base import build_method
from distillbench.predictions import write_predictions
from distillbench.registry import TASKS
from distillbench.results import Result
from distillbench.teachers.loading import teacher_provenance
from distillbench.train import seed_everything, train_model

log = logging.getLogger(__name__)
Progress = Callable[[int, int, str], None]
WEIGHTS_DIR = "weights"


def weights_path(cache_dir: str, job_id: str) -> Path:
    """Where a job keeps weights another job starts from (a chosen student's, a fine-tuned pruned teacher's)."""
    return Path(cache_dir) / WEIGHTS_DIR / f"{job_id}.pt"


def save_weights(cache_dir: str, job_id: str, model: nn.Module) -> Path:
    path = weights_path(cache_dir, job_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save({k: v.detach().cpu() for k, v in model.state_dict().items()}, tmp)
    tmp.replace(path)
    return path


def variant_of(card: TaskCard, name: str) -> Variant:
    for v in plan_variants(card):
        if v.name == name:
            return v
    raise CompressionError(f"{card.path}: no compression baseline {name!r} (compression is disabled or changed)")


def prune_train_config(card: TaskCard, smoke: bool) -> _TrainConfig:
    """The pruned teacher's fine-tuning budget: ``student_train`` with ``compression.prune_train`` over it."""
    from dataclasses import replace

    from distillbench.config import SMOKE_TRAIN

    base = {**card.student_train.__dict__, **card.compression.prune_train}
    cfg = from_dict(_TrainConfig, base, where=f"{card.path} compression.prune_train")
    return replace(cfg, **SMOKE_TRAIN) if smoke else cfg


def build_variant(
    variant: Variant,
    job: Job,
    card: TaskCard,
    adapter: TaskAdapter,
    data: DataSplits,
    teacher: nn.Module,
    device: torch.device,
    *,
    fine_tuned: bool,
) -> tuple[nn.Module, dict[str, Any], nn.Module]:
    """(compressed model on ``device``, what was done, the float model its FLOPs are counted on).

    ``fine_tuned``: the pruned teacher's weights come from its compression job's file (the speed job);
    otherwise it is returned as pruned, before fine-tuning.
    """
    cpu_inputs = adapter.example_inputs(data, 2)

    def check(model: nn.Module) -> None:
        measure.move(model, device)
        with torch.inference_mode():
            adapter.infer(model, {k: v.to(device) for k, v in cpu_inputs.items()})

    if variant.base == "student":
        source = job.weights_from.get(variant.name, "")
        path = weights_path(job.cache_dir, source)
        if not source or not path.is_file():  # a run-order problem, not the model's: the job fails and re-runs
            raise DistillbenchError(
                f"{variant.name}: the trained weights of {variant.model}/{variant.method} seed {variant.seed} are not "
                f"in {path.parent} (its student job saves them: run it first, in the same cache)"
            )
        base = adapter.build_model(card.student(variant.model).model, data)
        base.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
        base.eval()
    else:
        base = teacher.to("cpu").eval()
    if variant.kind == "pruned":
        fraction = float(variant.fraction or 0.0)
        model, info = prune(base, fraction, lambda m: compress_trace_forward(m, cpu_inputs, adapter.infer))
        if fine_tuned:
            path = weights_path(job.cache_dir, job.weights_from.get(variant.name, ""))
            if not path.is_file():
                raise DistillbenchError(
                    f"{variant.name}: the fine-tuned pruned weights are not in {path} (run its job)"
                )
            model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
        check(model.eval())
        return model.to(device).eval(), info, model
    model, info = quantize(base, variant.kind, check=check)
    return model.to(device).eval(), info, base


def run_compression_job(job: Job, progress: Progress | None = None) -> Result:
    """Compress, (for the pruned teacher) fine-tune, and evaluate one baseline; return its record."""
    from distillbench.worker import get_teacher  # the runner's teacher: shipped, cached or trained

    card = _load_card(job.card)
    device = measure.resolve_device(job.device)
    adapter: TaskAdapter = TASKS.get(card.task)(card)
    data = adapter.load_data(smoke=job.smoke)
    variant = variant_of(card, job.model_name)
    teacher, teacher_training = get_teacher(job, card, adapter, data, device, progress)
    amp = lambda: measure.autocast(device, job.precision)  # noqa: E731
    record: dict[str, Any] = {
        "kind": variant.kind,
        "base": variant.base,
        "base_model": variant.model,
        "base_method": variant.method,
        "base_seed": variant.seed if variant.base == "student" else None,
        "base_job": job.weights_from.get(variant.name),
        "libraries": backend_versions(),
    }
    training: dict[str, Any] = {"trained": False}
    quality: dict[str, Any] = {}
    size: dict[str, Any] = {}
    predictions = None
    try:
        seed_everything(variant.seed)
        model, info, _ = build_variant(variant, job, card, adapter, data, teacher, device, fine_tuned=False)
        record.update(info)
        best_state, history, best, select = None, [], None, "last"
        if variant.kind == "pruned":
            cfg = prune_train_config(card, job.smoke)
            stats = train_model(adapter, model, data, cfg, build_method("no_kd"), seed=variant.seed, device=device,
                                precision=job.precision, names=(variant.name, ""), progress=progress)  # fmt: skip
            training = {**stats.to_dict(), "config": cfg.__dict__, "trained": True, "method": "no_kd"}
            history, best = training.get("val_history") or [], training.get("best_epoch")
            best_state, select = stats.best_state, cfg.select
            record["fine_tune"] = f"no_kd, {cfg.epochs} epoch(s) of the card's student_train budget" + (
                f" with compression.prune_train {card.compression.prune_train}" if card.compression.prune_train else ""
            )
        model = model.to(device).eval()
        if progress:
            progress(0, 0, "evaluating")
        quality, predictions = evaluate_epochs(adapter, model, data, device, amp, select=select, history=history,
                                               best=best, best_state=best_state)  # fmt: skip
        if variant.kind == "pruned":
            save_weights(job.cache_dir, job.job_id, model)  # the selected epoch's: evaluate_epochs left them in
        size = {**measure.count_parameters(model), "bytes_on_disk": measure.bytes_on_disk(model)}
    except CompressionError as exc:
        log.warning("%s: %s", job.label, exc)
        record["unsupported"] = str(exc)
    del teacher
    return Result(
        **job.identity(card),
        primary_metric=adapter.metric,
        quality=quality,
        higher_is_better=dict(adapter.metrics),
        size=size,
        training=training,
        config={
            "compression": record,
            **record_config(job, card, data, teacher_provenance(teacher_training)),
            "predictions": write_predictions(job.cache_dir, job.job_id, predictions) if predictions else None,
        },
        config_hash=job.card_hash,
        env=collect_env(device),
    )
