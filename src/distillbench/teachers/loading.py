"""The teacher of a job when it is not trained here: a shipped artifact, a checkpoint file, the model as built.

:func:`outside_teacher` is called by the worker with the teacher's model freshly built from the card's
spec (seeded with the card's ``teacher_seed``). It loads the weights into it and returns the training
record the job reports (``source`` says where the teacher came from), or None when the teacher is to be
trained as before (the worker's teacher cache). Records then carry, for the teacher job and every student:

- ``source: "shipped artifact"`` with ``artifact`` (the weights file), ``sha256`` (checked at every load),
  ``teacher_key`` and ``built_with_code`` (the code fingerprint the artifact was built with);
- ``source: "checkpoint file"`` with ``checkpoint`` and ``sha256``;
- ``source: "pretrained (as built)"`` for ``epochs: 0`` (no training: the spec's weights and head);
- ``source: "trained"`` (set by the worker) otherwise.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from torch import nn

from distillbench.config import TaskCard, TrainConfig
from distillbench.errors import ConfigError
from distillbench.teachers.manifest import SHIPPED, checkpoint_path, find_shipped, sha256_file, shown, teacher_key
from distillbench.teachers.weights import load_artifact_weights, load_checkpoint_into
from distillbench.train import TrainStats

if TYPE_CHECKING:
    from distillbench.adapters.base import DataSplits
    from distillbench.jobs import Job

log = logging.getLogger(__name__)
#: the teacher's provenance copied into every record that used it (config["teacher_training"])
PROVENANCE = ("source", "cached", "cache_path", "artifact", "sha256", "checkpoint", "built_with_code")


def teacher_provenance(training: dict[str, Any]) -> dict[str, Any]:
    """The part of a teacher's training record that says where its weights came from, for a job's record."""
    return {k: training.get(k) for k in PROVENANCE if k in training}


def _untrained(job: Job, card: TaskCard, cfg: TrainConfig, label: str) -> dict[str, Any]:
    # cache_path names where things derived from this teacher (e.g. sequence-level KD targets) are cached
    cache = Path(job.cache_dir) / "teachers" / f"{card.name}-{label}.pt"
    return {**TrainStats().to_dict(), "config": cfg.__dict__, "cached": False, "cache_path": str(cache)}


def outside_teacher(
    job: Job, card: TaskCard, model: nn.Module, data: DataSplits, cfg: TrainConfig, as_built: bool
) -> dict[str, Any] | None:
    """Load the job's teacher into ``model`` if it is not to be trained; its training record, else None.

    ``as_built``: the card's teacher_train has ``epochs: 0``. A ``shipped:`` job whose artifact went missing
    or changed since the run started fails with a clear error (the run's other records stay); an artifact
    built on another data version is announced and the teacher trained instead.
    """
    ckpt = checkpoint_path(card)
    if ckpt is not None:
        load_checkpoint_into(model, ckpt)  # a missing or ill-fitting file: a ConfigError naming it
        sha = sha256_file(ckpt)
        if job.teacher.startswith("checkpoint:") and job.teacher != f"checkpoint:{sha}":
            raise ConfigError(f"teacher checkpoint {ckpt} changed since the run started; run again")
        log.info("teacher %s loaded from checkpoint %s (sha256 %s...)", card.teacher.name, ckpt, sha[:12])
        out = _untrained(job, card, cfg, f"checkpoint-{sha[:16]}")
        return {**out, "source": "checkpoint file", "checkpoint": str(ckpt), "sha256": sha}
    if as_built:
        log.info("teacher %s used as built (teacher_train epochs: 0): no training", card.teacher.name)
        return {**_untrained(job, card, cfg, f"asbuilt-{teacher_key(card)}"), "source": "pretrained (as built)"}
    if not job.teacher.startswith("shipped:"):
        return None
    want = job.teacher.split(":", 1)[1]
    found = find_shipped(card)
    if found.shipped is None or found.shipped.sha256 != want:
        why = (
            found.reason or "no artifact" if found.shipped is None else f"sha256 is now {found.shipped.sha256[:12]}..."
        )
        raise ConfigError(
            f"the shipped teacher of {card.name} (sha256 {want[:12]}...) changed or went missing since the run "
            f"started ({why}); run again (the teacher is then trained or the new artifact used, and the log says which)"
        )
    manifest = found.shipped.manifest
    version = str(data.info.get("version"))
    if manifest.get("data_version") != version:
        log.warning(
            "%s: built on data version %s, the data here is %s; training the teacher",
            *(shown(found.shipped.folder), manifest.get("data_version"), version),
        )
        return None
    load_artifact_weights(model, found.shipped.weights, manifest["weights"])
    log.info("teacher %s loaded from the shipped artifact %s", card.teacher.name, shown(found.shipped.weights))
    built = manifest.get("training") or {}
    return {
        **_untrained(job, card, cfg, f"shipped-{want[:16]}"),
        "cached": True,
        "source": SHIPPED,
        "artifact": shown(found.shipped.weights),
        "sha256": want,
        "teacher_key": manifest.get("teacher_key"),
        "built_with_code": (manifest.get("build") or {}).get("code_fingerprint"),
        "built": {k: built.get(k) for k in ("epochs", "steps", "wall_time_s", "best_epoch", "val_curve")},
    }
