"""One job, start to finish: data, teacher (trained or loaded from cache), student, evaluation.

Training jobs record quality and parameter counts only; speed, latency, memory and FLOPs are measured
once per architecture by the card's speed job (speed_job.py), which this module dispatches to.

Runs inside a fresh process (see runner.py) so one job's memory never leaks into the next, but is
plain code that tests can also call in-process. A teacher comes from a shipped artifact, a checkpoint
file or its spec as built when the job says so (teachers/loading.py); otherwise teachers are cached under
``<cache_dir>/teachers/<card>-<hash>.pt`` (the selected epoch's state dict, both epochs' weights when the
best validation epoch is not the last, training metadata; loaded with ``weights_only=True``) and reused
by every student job and every later run. A student whose method reads only the teacher's outputs gets them
from ``<cache_dir>/teacher_outputs/`` (teacher_outputs.py: computed once per teacher and data, looked up by
sample index), recorded under ``training.teacher_outputs``. Every job tests its last and its validation-selected epoch
(epochs.py) and saves the selected one's test predictions (predictions.py).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch
from torch import nn

from distillbench import measure
from distillbench.adapters.base import DataSplits, TaskAdapter
from distillbench.blackbox import blackbox_teacher, is_blackbox, pseudo_label_data
from distillbench.checkpoint import remove_checkpoint, student_checkpoint, teacher_checkpoint
from distillbench.config import (
    SMOKE_TRAIN,
    ModelConfig,
    TaskCard,
    TrainConfig,
    config_hash,
    from_dict,
    to_plain,
)
from distillbench.config import load_card as _load_card
from distillbench.env import collect_env
from distillbench.epochs import evaluate_epochs, selected_weights
from distillbench.generations import Generations
from distillbench.jobs import Job, record_config
from distillbench.methods.base import DistillMethod, build_method
from distillbench.models.shrink import init_from_teacher
from distillbench.paths import use_cache_root
from distillbench.plugins import activate
from distillbench.predictions import write_predictions
from distillbench.registry import TASKS
from distillbench.results import Result
from distillbench.safety import SafetyPolicy, use_policy
from distillbench.teacher_outputs import load_or_build
from distillbench.teacher_replay import load_or_build as load_or_build_replay
from distillbench.teachers.loading import outside_teacher, teacher_provenance
from distillbench.teachers.outputs import shipped_outputs_dir
from distillbench.train import TrainStats, seed_everything, train_model

log = logging.getLogger(__name__)
# torchao, which transformers' quantizer registry imports when installed, registers enums that torch now supports
# natively, and torch logs a deprecation notice per job process: nothing a user can act on, so it is not shown
logging.getLogger("torch.utils._pytree").setLevel(logging.ERROR)
Progress = Callable[[int, int, str], None]


def train_config(card: TaskCard, model: ModelConfig, base: TrainConfig, smoke: bool) -> TrainConfig:
    """The card's train settings for a role, with the model's overrides and smoke limits applied."""
    cfg = from_dict(TrainConfig, {**base.__dict__, **model.train}, where=f"{card.path} {model.name}.train")
    return replace(cfg, **SMOKE_TRAIN) if smoke else cfg


#: train options whose default values leave teacher cache keys as they were before the options existed
_CACHE_NEUTRAL = {"select": "last", "val_every": 1}


def teacher_cache_path(job: Job, card: TaskCard, cfg: TrainConfig, data_version: str) -> Path:
    teacher = {k: v for k, v in to_plain(card.teacher).items() if k != "init"}  # keeps caches made before 'init'
    train = {k: v for k, v in to_plain(cfg).items() if _CACHE_NEUTRAL.get(k, ...) != v}  # and before 'select'
    code = [job.code] if job.code else []  # the code fingerprint: a code change retrains the teacher
    key = config_hash(card.task, card.data, teacher, train, card.teacher_seed, job.precision, data_version, *code)
    return Path(job.cache_dir) / "teachers" / f"{card.name}-{key}.pt"


def get_teacher(
    job: Job, card: TaskCard, adapter: TaskAdapter, data: DataSplits, device: torch.device, progress: Progress | None
) -> tuple[nn.Module, dict[str, Any]]:
    """The teacher: a shipped artifact, a checkpoint file or the model as built (teachers/loading.py), else
    trained: loaded from the cache, or trained with ``no_kd`` and cached atomically."""
    if is_blackbox(card.teacher.model):  # outputs only, nothing to train or cache (blackbox.py)
        return blackbox_teacher(card, adapter, data)
    cfg = train_config(card, card.teacher, card.teacher_train, job.smoke)
    path = teacher_cache_path(job, card, cfg, str(data.info.get("version")))
    seed_everything(card.teacher_seed)
    model = adapter.build_model(card.teacher.model, data)
    as_built = train_config(card, card.teacher, card.teacher_train, smoke=False).epochs == 0
    outside = outside_teacher(job, card, model, data, cfg, as_built)
    if outside is not None:
        return model.to(device).eval(), outside
    if path.is_file():
        blob = torch.load(path, map_location="cpu", weights_only=True)
        model.load_state_dict(blob["state_dict"])
        log.info("teacher %s loaded from cache %s", card.teacher.name, path)
        return model.to(device).eval(), {
            **blob["training"],
            "source": "trained",
            "cached": True,
            "cache_path": str(path),
        }
    checkpoint = teacher_checkpoint(path)
    stats = _train(
        job,
        adapter,
        model,
        data,
        cfg,
        build_method("no_kd"),
        seed=card.teacher_seed,
        device=device,
        precision=job.precision,
        names=(card.teacher.name, ""),
        progress=progress,
        checkpoint=checkpoint,
        checkpoint_key=path.stem,
    )
    training = {**stats.to_dict(), "config": cfg.__dict__}
    weights = selected_weights(model, training, stats.best_state, cfg.select)
    model.load_state_dict(weights["state_dict"])  # students learn from the selected epoch
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    torch.save({**weights, "training": training}, tmp)
    os.replace(tmp, path)
    remove_checkpoint(checkpoint)  # the cached teacher is the durable result now
    return model.eval(), {**training, "source": "trained", "cached": False, "cache_path": str(path)}


def _train(
    job: Job,
    adapter: TaskAdapter,
    model: nn.Module,
    data: DataSplits,
    cfg: TrainConfig,
    method: Any,
    **kwargs: Any,
) -> TrainStats:
    """train_model in this process, or with ``job.nproc`` DDP processes (distributed.py)."""
    if job.nproc > 1:
        from distillbench.distributed import train_in_processes

        device = kwargs.pop("device")
        return train_in_processes(
            job.nproc, model, device, adapter=adapter, data=data, cfg=cfg, method=method, **kwargs
        )
    return train_model(adapter, model, data, cfg, method, **kwargs)


def _teacher_epochs(model: nn.Module, cache_file: str) -> dict[str, torch.Tensor] | None:
    """Put the teacher's last-epoch weights into ``model``; return its best epoch's (None: the last is the best)."""
    if not Path(cache_file).is_file():  # a shipped, checkpoint or as-built teacher: one set of weights
        return None
    blob = torch.load(cache_file, map_location="cpu", weights_only=True)
    epochs = blob.get("epoch_weights")
    if not epochs:
        return None
    model.load_state_dict(epochs["last"])
    return epochs["best_val"]


def run_job(job: Job, progress: Progress | None = None) -> Result:
    """Train (or load) and evaluate the job's model, or time the card's architectures; return its Result.

    First the driver's include dirs and the outside modules the card uses are imported (plugins.py): a job
    process starts with only distillbench's own components and the installed plugins registered.
    """
    activate(job.include, job.plugins)
    with use_policy(SafetyPolicy(trust_remote_code=job.trust_remote_code)), use_cache_root(job.cache_dir or None):
        if job.role == "speed":
            from distillbench.speed_job import run_speed_job  # it imports get_teacher from here

            return run_speed_job(job, progress)
        if job.role == "compression":
            from distillbench.compression_job import run_compression_job  # it imports get_teacher from here

            return run_compression_job(job, progress)
        return _run_job(job, progress)


def _run_job(job: Job, progress: Progress | None) -> Result:
    card = _load_card(job.card)
    device = measure.resolve_device(job.device)
    adapter: TaskAdapter = TASKS.get(card.task)(card)
    data = adapter.load_data(smoke=job.smoke)
    amp = lambda: measure.autocast(device, job.precision)  # noqa: E731
    teacher_training: dict[str, Any] = {}
    method_options: dict[str, Any] | None = None
    best_state = None
    if job.role == "teacher":
        model, training = get_teacher(job, card, adapter, data, device, progress)
        model_cfg = card.teacher
        best_state = None if training.get("blackbox") else _teacher_epochs(model, training["cache_path"])
    else:
        model_cfg = card.student(job.model_name)
        method_options = card.methods.get(job.method or "", {})
        method = build_method(job.method or "", method_options, where=f"{card.path} methods.{job.method}")
        if method.teacher_needed() == "previous_generation":  # born_again: generations of the student (generations.py)
            cfg = train_config(card, model_cfg, card.student_train, job.smoke)
            generations = Generations(job, card, adapter, data, method, cfg, _train, device, progress)
            model, training, best_state = generations.run(job.variant)
        else:
            # data: with the teacher's targets (seq_kd) or transcripts (a black-box teacher) when the method uses them
            model, training, best_state, teacher_training, data = _student_job(
                job, card, adapter, data, method, device, amp, progress
            )
    model = model.to(device).eval()
    if progress:
        progress(0, 0, "evaluating")
    quality, predictions = evaluate_epochs(
        *(adapter, model, data, device, amp),
        select=training["config"].get("select", "last"),
        history=training.get("val_history") or [],
        best=training.get("best_epoch"),
        best_state=best_state,
    )
    del best_state
    if job.keep_weights:  # a compression baseline starts from this student (compression_job.py)
        from distillbench.compression_job import save_weights

        training["weights_file"] = str(save_weights(job.cache_dir, job.job_id, model))
    return Result(
        **job.identity(card),
        primary_metric=adapter.metric,
        quality=quality,
        higher_is_better=dict(adapter.metrics),
        size=measure.count_parameters(model),  # speed, memory and FLOPs: the card's speed job (speed_job.py)
        training=training,
        config={
            "method_options": method_options,
            "features": model_cfg.features,
            **record_config(job, card, data, teacher_provenance(teacher_training) or None),
            "predictions": write_predictions(job.cache_dir, job.job_id, predictions) if predictions else None,
        },
        config_hash=job.card_hash,
        env=collect_env(device),
    )


def _student_job(
    job: Job,
    card: TaskCard,
    adapter: TaskAdapter,
    data: DataSplits,
    method: DistillMethod,
    device: torch.device,
    amp: Callable[[], Any],
    progress: Progress | None,
) -> tuple[nn.Module, dict[str, Any], dict[str, torch.Tensor] | None, dict[str, Any], DataSplits]:
    """Train a student with a fixed teacher, peers or none: (model, training record, best-epoch weights, teacher's
    record, the data it trained on)."""
    model_cfg = card.student(job.model_name)
    teacher, teacher_training = None, {}
    if is_blackbox(card.teacher.model):  # its transcripts as targets, generated once (blackbox.py)
        data, method, teacher_training = pseudo_label_data(job.cache_dir, card, adapter, data, method)
    if method.needs_teacher or method.teacher_targets or model_cfg.init == "teacher":
        teacher, teacher_training = get_teacher(job, card, adapter, data, device, None)
    shipped = shipped_outputs_dir(card, teacher_training)  # outputs shipped with the teacher artifact, if any
    if method.teacher_targets:  # e.g. sequence-level KD: train on the teacher's outputs, generated once
        data = adapter.teacher_targets(teacher, data, teacher_training["cache_path"], device, shipped)
    cfg = train_config(card, model_cfg, card.student_train, job.smoke)
    outputs, outputs_record = None, {"source": "none", "reason": f"method {job.method!r} does not read the teacher"}
    if method.needs_teacher and teacher is not None:  # once per teacher and data: teacher_outputs.py
        data_key = {
            "task": card.task,
            "data": to_plain(card.data),
            "version": data.info.get("version"),
            "train": len(data.train),
            "smoke": job.smoke,
            "teacher_targets": method.teacher_targets,
        }
        common = {"teacher_training": teacher_training, "data_key": data_key, "cache_dir": job.cache_dir,
                  "card_name": card.name, "device": device, "precision": job.precision, "amp": amp}  # fmt: skip
        if cfg.augment and cfg.augment.get("replay"):  # views and outputs recorded once: teacher_replay.py
            outputs, outputs_record = load_or_build_replay(adapter, teacher, data, cfg, method=method, **common)
        else:
            outputs, outputs_record = load_or_build(
                adapter,
                teacher,
                data,
                method=method,
                augment=cfg.augment,
                teacher_features=card.teacher.features,
                batch_size=cfg.batch_size,
                shipped=shipped,
                **common,
            )
    seed_everything(job.seed)
    model = adapter.build_model(model_cfg.model, data)
    # dml: the other peers start from the same seed's random stream, after the first peer (the job's row)
    peers = [adapter.build_model(model_cfg.model, data) for _ in range(method.num_peers() - 1)]
    init = init_from_teacher(model, teacher) if model_cfg.init == "teacher" else {"from": "random"}
    if not method.needs_teacher or outputs is not None:
        teacher = None  # only needed for the initial weights (or its outputs, now cached)
    stats: TrainStats = _train(
        job,
        adapter,
        model,
        data,
        cfg,
        method,
        seed=job.seed,
        device=device,
        precision=job.precision,
        teacher=teacher,
        student_features=model_cfg.features,
        teacher_features=card.teacher.features,
        names=(model_cfg.name, card.teacher.name),
        progress=progress,
        checkpoint=student_checkpoint(job.cache_dir, job.job_id),  # removed by the runner once recorded
        checkpoint_key=job.job_id,
        teacher_outputs=outputs,
        peers=peers,
    )
    training = {**stats.to_dict(), "config": cfg.__dict__, "cached": False, "init": init}
    training["teacher_outputs"] = outputs_record
    if peers:  # the row is the first peer; the others' test figures go into its record
        training["peers"] = [_test_figures(adapter, p, data, device, amp) for p in peers]
    del teacher  # free its memory before evaluating the student
    return model, training, stats.best_state, teacher_training, data


def _test_figures(
    adapter: TaskAdapter, model: nn.Module, data: DataSplits, device: torch.device, amp: Callable[[], Any]
) -> dict[str, float]:
    """A model's test metrics (last weights), e.g. a dml peer beside the reported one."""
    model.to(device).eval()
    out = adapter.evaluate(model, data.test, device, amp)
    return {k: float(out[k]) for k in adapter.metrics if out.get(k) is not None}
