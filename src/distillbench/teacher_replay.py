"""Soft-label replay under augmentation: the teacher's outputs on every augmented view, recorded once.

FKD (Shen & Xing, "A Fast Knowledge Distillation Framework for Visual Recognition", ECCV 2022; code:
github.com/szq0214/FKD) runs the teacher once over many random crops of every training image, stores each
crop's coordinates, its flip flag and the teacher's top-k soft labels (``FKD_SLG/generate_soft_label.py``),
and its students' loader replays them (``utils_FKD.py``, ``ImageFolder_FKD``: the stored crop is cut from
the image again and paired with its stored soft label), so training a student never runs the teacher.

Here, for a card whose ``augment`` sets ``replay: true`` and a method whose teacher outputs are cacheable
(logits only; no features): each epoch's view of every training sample comes from a table drawn from
``replay_seed`` alone (:func:`distillbench.data.augment.epoch_views`), the same for every student, seed and
method, ``no_kd`` included. :func:`load_or_build` runs the teacher once over all epochs' views (in eval mode,
the job's precision, through the adapter's own ``train_batches``, so the views are the very ones training
makes), records each view's window offset and flip bit and the teacher's logits, and stores them under
``<cache>/teacher_outputs/<card>-replay-<key>.safetensors`` with a manifest (sha256). Training then takes each
batch's views and outputs by epoch and sample index (:meth:`TeacherReplay.epoch`).

Differences from FKD, on purpose: FKD stores probabilities at temperature 1 quantised to the top 5 with the
rest spread evenly ("marginal smoothing"); here the logits are stored as teacher_outputs.py stores them (all
of them in float16 up to ``top_k_above`` classes, else the top ``DISTILLBENCH_TEACHER_TOP_K`` values and
indices, the rest exactly 0 after the softmax), so each method applies its own temperature. FKD keeps a
pool of crops per image and draws from it; here there is one recorded view per sample and epoch.

Storage per sample and epoch (:func:`bytes_per_view`): 3 bytes for the view (top and left as uint8, the flip
as bool) plus 2 bytes per class (float16 logits), or 6 bytes per kept class with top-k (float16 value and
int32 index): 23 bytes for 10 classes, 203 for 100, 63 for the top 10 of 100.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import torch
from torch import nn

from distillbench.adapters.base import DataSplits, TaskAdapter
from distillbench.data.augment import ViewParams, epoch_views
from distillbench.teacher_outputs import (
    FORMAT,
    TeacherOutputs,
    cache_file,
    load_or_build_record,
    online_record,
    teacher_identity,
)
from distillbench.teacher_outputs_build import CacheOptions, NotCacheable, OutputStore

__all__ = ["TeacherReplay", "build_replay", "bytes_per_view", "load_or_build", "replay_plan"]

log = logging.getLogger(__name__)


@dataclass
class TeacherReplay:
    """Every epoch's recorded views and the teacher's outputs on them (CPU tensors, leading dims epoch, sample)."""

    tensors: dict[str, torch.Tensor]
    record: dict[str, Any] = field(default_factory=dict)

    @property
    def epochs(self) -> int:
        return int(self.tensors["view.top"].shape[0])

    def epoch(self, epoch: int) -> tuple[TeacherOutputs, ViewParams]:
        """Epoch ``epoch``'s teacher outputs (looked up by sample index, as cached ones) and views."""
        if not 0 <= epoch < self.epochs:
            raise IndexError(f"the replay holds {self.epochs} epochs, not epoch {epoch + 1}")
        t = self.tensors
        outputs = {k: v[epoch] for k, v in t.items() if k.startswith("logits")}
        if "num_classes" in t:
            outputs["num_classes"] = t["num_classes"]
        views = ViewParams(t["view.top"][epoch].long(), t["view.left"][epoch].long(), t["view.flip"][epoch])
        return TeacherOutputs(outputs, self.record), views


def bytes_per_view(tensors: Mapping[str, torch.Tensor]) -> int:
    """Bytes stored per sample and epoch: the view plus the teacher's logits on it."""
    epochs, samples = tensors["view.top"].shape[:2]
    per_field = (v.numel() * v.element_size() for k, v in tensors.items() if k != "num_classes")
    return int(sum(per_field) // (epochs * samples))


def replay_plan(method: Any, augment: Mapping[str, Any] | None, options: CacheOptions) -> str | None:
    """Why this job cannot replay recorded teacher outputs (None: it can)."""
    if augment is None or not augment.get("replay"):
        return "augment.replay is off"
    if not options.enabled:
        return "teacher-output cache disabled (DISTILLBENCH_TEACHER_OUTPUTS=off)"
    if not method.cacheable_teacher:
        return f"method {method.registry_name!r} does not declare its teacher outputs cacheable (cacheable_teacher)"
    if method.feature_names():
        return f"method {method.registry_name!r} reads teacher features; the replay records logits only"
    return None


def build_replay(
    adapter: TaskAdapter,
    teacher: nn.Module,
    data: DataSplits,
    cfg: Any,
    *,
    device: torch.device,
    amp: Callable[[], Any],
    sparse_ok: bool,
    options: CacheOptions,
) -> dict[str, torch.Tensor]:
    """The teacher's outputs on each epoch's views (``cfg.epochs`` of them) and the views (raises NotCacheable)."""
    n = len(data.train)
    teacher.to(device).eval()
    per_epoch: list[dict[str, torch.Tensor]] = []
    views: list[ViewParams] = []
    with torch.no_grad():
        size = data.info["image_size"]
        height, width = (size, size) if isinstance(size, int) else size
        for epoch in range(cfg.epochs):
            table = epoch_views(n, height, width, cfg.augmentation(), epoch)
            store = OutputStore(n, sparse_ok, options)
            for batch in adapter.train_batches(data.train, cfg, seed=epoch, epoch=epoch, views=table):
                with amp():
                    out = adapter.forward(teacher, {k: v.to(device) for k, v in batch.items()})
                store.add(batch["index"], out, {})
            if store.ragged:
                raise NotCacheable("the replay records one output per sample, and the teacher's vary in length")
            per_epoch.append(store.tensors())
            views.append(table)
            if epoch == 0:  # the views take 3 bytes per sample (uint8 offsets, a bool)
                nbytes = (sum(v.numel() * v.element_size() for v in per_epoch[0].values()) + 3 * n) * cfg.epochs
                if nbytes > options.max_bytes:
                    raise NotCacheable(
                        f"the replay would take ~{nbytes / 2**30:.1f} GiB over {cfg.epochs} epochs (limit "
                        f"{options.max_bytes / 2**30:.1f} GiB; augment.replay_top_k keeps fewer logits per view)"
                    )
    out = {k: torch.stack([e[k] for e in per_epoch]) for k in per_epoch[0] if k != "num_classes"}
    if "num_classes" in per_epoch[0]:
        out["num_classes"] = per_epoch[0]["num_classes"]
    top, left = torch.stack([v.top for v in views]), torch.stack([v.left for v in views])
    offset = torch.uint8 if max(int(top.max()), int(left.max())) < 256 else torch.int16
    out["view.top"], out["view.left"] = top.to(offset), left.to(offset)
    out["view.flip"] = torch.stack([v.flip for v in views])
    return out


def load_or_build(
    adapter: TaskAdapter,
    teacher: nn.Module,
    data: DataSplits,
    cfg: Any,
    *,
    method: Any,
    teacher_training: Mapping[str, Any],
    data_key: Mapping[str, Any],
    cache_dir: str,
    card_name: str,
    device: torch.device,
    precision: str,
    amp: Callable[[], Any],
    options: CacheOptions | None = None,
) -> tuple[TeacherReplay | None, dict[str, Any]]:
    """The job's recorded replay (built now if missing or corrupt), or None and why the teacher runs online.

    The key: the teacher's identity, ``data_key``, the augmentation (with its ``replay_seed``), the number of
    epochs, the precision and device type, and the top-k setting; every student, seed and method shares it.
    """
    options = options or CacheOptions.from_env()
    reason = replay_plan(method, cfg.augment, options)
    if reason:
        return None, online_record(reason)
    if cfg.augment.get("replay_top_k"):  # every view keeps its k largest logits, whatever the class count
        options = replace(options, top_k=int(cfg.augment["replay_top_k"]), top_k_above=int(cfg.augment["replay_top_k"]))
    identity = teacher_identity(teacher_training, teacher)
    key = {
        "format": FORMAT,
        "replay": dict(cfg.augment),
        "epochs": cfg.epochs,
        "teacher": identity,
        "data": dict(data_key),
        "precision": precision,
        "device": device.type,
        "top_k": [options.top_k, options.top_k_above],
    }
    path = cache_file(cache_dir, f"{card_name}-replay", key)

    def build() -> dict[str, torch.Tensor]:
        return build_replay(adapter, teacher, data, cfg, device=device, amp=amp,
                            sparse_ok=method.sparse_teacher_ok(), options=options)  # fmt: skip

    tensors, record = load_or_build_record(path, key, build, "teacher replay", method, "replay", len(data.train),
                                           identity, internal=("num_classes",))  # fmt: skip
    if tensors is None:
        return None, record
    record.update(epochs=int(tensors["view.top"].shape[0]), bytes_per_sample_epoch=bytes_per_view(tensors))
    log.info(
        "teacher replay %s %s (%d epochs)", "built into" if record["built"] else "read from", path, record["epochs"]
    )
    return TeacherReplay(tensors, record), record
