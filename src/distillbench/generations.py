"""Jobs of methods whose teacher is the student's previous generation (born_again), and their ensemble.

Generation 0 is the student trained alone (``no_kd``); generation k >= 1 is trained by the method with
generation k-1's validation-selected weights as its teacher, run online. Each generation is cached under
``<cache_dir>/generations/<card>-<student>-<hash>.pt`` (its last and best-validation weights and its
training record; the hash covers the card, the student, the options that change training, the seed,
precision, smoke mode, code fingerprint and k), so the job of generation k trains only generation k when
the earlier jobs ran, and trains the missing ones first otherwise (a job run alone, or in parallel). The
ensemble job averages the predicted class distributions of generations 1..N (``Ensemble``).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn

from distillbench.adapters.base import DataSplits, TaskAdapter
from distillbench.checkpoint import remove_checkpoint
from distillbench.config import TaskCard, TrainConfig, config_hash
from distillbench.epochs import weights_copy
from distillbench.errors import ConfigError
from distillbench.jobs import Job
from distillbench.methods.base import DistillMethod, build_method
from distillbench.methods.born_again import generation_of, generation_seed
from distillbench.train import TrainStats, seed_everything

log = logging.getLogger(__name__)
Train = Callable[..., TrainStats]
#: options that do not change how one generation trains (only which rows exist)
_ROW_OPTIONS = ("generations", "ensemble")


class Ensemble(nn.Module):
    """The log of the mean predicted distribution of ``members`` (models returning (N, C) logits)."""

    def __init__(self, members: list[nn.Module]) -> None:
        super().__init__()
        self.members = nn.ModuleList(members)

    def forward(self, *args: Any, **kwargs: Any) -> torch.Tensor:
        outs = [m(*args, **kwargs) for m in self.members]
        if not all(isinstance(o, torch.Tensor) and o.dim() == 2 for o in outs):
            raise ConfigError("an ensemble of generations needs models that return (N, C) class logits")
        probs = torch.stack([o.float().softmax(-1) for o in outs]).mean(0)
        return probs.clamp_min(1e-12).log()


class Generations:
    """The generations of one born-again job's student and seed (trained on demand, cached)."""

    def __init__(
        self,
        job: Job,
        card: TaskCard,
        adapter: TaskAdapter,
        data: DataSplits,
        method: DistillMethod,
        cfg: TrainConfig,
        train: Train,
        device: torch.device,
        progress: Callable[[int, int, str], None] | None = None,
    ) -> None:
        self.job, self.card, self.adapter, self.data, self.method = job, card, adapter, data, method
        self.cfg, self.train, self.device, self.progress = cfg, train, device, progress
        self.student = card.student(job.model_name)

    def path(self, k: int) -> Path:
        options = {k: v for k, v in vars(self.method.options).items() if k not in _ROW_OPTIONS}
        j = self.job
        key = config_hash(j.card_hash, j.model_name, j.method, options, j.seed, j.precision, j.smoke, j.code, k)
        return Path(j.cache_dir) / "generations" / f"{self.card.name}-{j.model_name}-{key}.pt"

    def load(self, k: int) -> dict[str, Any]:
        """Generation k's cached ``last``, ``best_state`` and ``training``; trains it (and any before it) if missing."""
        path = self.path(k)
        if path.is_file():
            blob = torch.load(path, map_location="cpu", weights_only=True)
            return {**blob, "training": {**blob["training"], "cached": True}}
        teacher = self.model(k - 1) if k > 0 else None
        seed = generation_seed(self.job.seed, k)
        seed_everything(seed)
        model = self.adapter.build_model(self.student.model, self.data)
        method = build_method("no_kd") if k == 0 else self.method
        checkpoint = path.parent.parent / "checkpoints" / f"generation-{path.name}"
        log.info("%s: training generation %d (seed %d)", self.job.label, k, seed)
        stats = self.train(
            *(self.job, self.adapter, model, self.data, self.cfg, method),
            seed=seed,
            device=self.device,
            precision=self.job.precision,
            teacher=teacher,
            student_features=self.student.features,
            teacher_features=self.student.features,
            names=(f"{self.student.name} gen{k}", f"{self.student.name} gen{k - 1}"),
            progress=self.progress,
            checkpoint=checkpoint,
            checkpoint_key=path.stem,
        )
        teacher_of = f"generation {k - 1} (seed {generation_seed(self.job.seed, k - 1)})" if k else "none"
        training = {**stats.to_dict(), "config": vars(self.cfg), "generation": k, "seed": seed, "teacher": teacher_of}
        training["teacher_outputs"] = _outputs_record(k)
        blob = {"last": weights_copy(model), "best_state": stats.best_state, "training": training}
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        torch.save(blob, tmp)
        os.replace(tmp, path)
        remove_checkpoint(checkpoint)
        return {**blob, "training": {**training, "cached": False}}

    def model(self, k: int) -> nn.Module:
        """Generation k with its selected weights (the card's ``select``), in eval mode: a teacher or a member."""
        blob = self.load(k)
        seed_everything(generation_seed(self.job.seed, k))
        model = self.adapter.build_model(self.student.model, self.data)
        chosen = blob["best_state"] if self.cfg.select == "best_val" and blob["best_state"] else blob["last"]
        model.load_state_dict(chosen)
        for p in model.parameters():
            p.requires_grad_(False)
        return model.to(self.device).eval()

    def run(self, row: str) -> tuple[nn.Module, dict[str, Any], dict[str, torch.Tensor] | None]:
        """The job's model (last weights), its training record and best-epoch weights, for the worker to test."""
        k = generation_of(row)
        if k is None:
            start, n = time.perf_counter(), self.method.options.generations
            members = [self.model(i) for i in range(1, n + 1)]
            records = [self.load(i)["training"] for i in range(1, n + 1)]
            training = {
                "ensemble_of": [f"gen{i}" for i in range(1, n + 1)],
                "members": [{k: r.get(k) for k in ("generation", "seed", "wall_time_s", "cached")} for r in records],
                "wall_time_s": time.perf_counter() - start,  # loading the members (training any not yet cached)
                "config": vars(self.cfg),
                "cached": all(r.get("cached") for r in records),
                "teacher_outputs": {"source": "none", "reason": "an ensemble of trained generations: nothing trained"},
            }
            return Ensemble(members).to(self.device).eval(), training, None
        if k > self.method.options.generations:
            raise ConfigError(f"born_again: row {row!r} is past the {self.method.options.generations} generations")
        blob = self.load(k)
        seed_everything(generation_seed(self.job.seed, k))
        model = self.adapter.build_model(self.student.model, self.data)
        model.load_state_dict(blob["last"])
        return model, blob["training"], blob["best_state"]


def _outputs_record(k: int) -> dict[str, str]:
    """Where generation k's teacher outputs came from (the record's ``training.teacher_outputs``)."""
    if k == 0:
        return {"source": "none", "reason": "generation 0 is trained alone"}
    return {"source": "online", "reason": "the teacher is the previous generation, run online (one per seed)"}
