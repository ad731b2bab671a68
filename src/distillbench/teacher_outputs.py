"""The teacher's outputs computed once per teacher and data version, then looked up by sample index.

A frozen teacher in eval mode gives the same outputs for the same un-augmented input, so re-running
it on every training step of every student, method and seed is wasted work. For a method that reads
only the teacher's outputs (``DistillMethod.cacheable_teacher``: its logits and the features it names),
the worker builds them once over the training split (:func:`build_outputs`, the teacher in eval mode,
the job's precision), stores them under ``<cache>/teacher_outputs/<card>-<key>.safetensors`` with a
JSON manifest (sha256 of the file, dtype, fields), and the training loop fetches each batch's rows by
its ``batch["index"]`` (:meth:`TeacherOutputs.lookup`) instead of calling the teacher.

What is stored: logits and features in float16. Per-token/per-frame logits (the teacher's ``mask``
marks the valid prefix) are stored without padding, one row per valid position. Where the class
dimension is larger than ``top_k_above`` (translation's vocabulary), only the ``top_k`` largest
logits per row and their indices are stored, and :meth:`TeacherOutputs.lookup` reconstructs a
sparse distribution: the other classes get :data:`SPARSE_FILL`, so after the softmax the teacher's
distribution is its top-k renormalised (exactly 0 elsewhere) — used only for methods declaring
``sparse_teacher_ok()``; the others then run the teacher online. Features are cached when their
per-sample shape is fixed (not when it follows the batch's padding) and the whole cache stays under
``max_bytes``; else online. Augmented training inputs (``train.augment``) run the teacher online, unless
``augment.replay`` records the teacher's outputs on every view once (teacher_replay.py).

Exactness: float16 rounding changes the KD loss by well under 1e-3 relative (tests/unit/test_teacher_outputs.py);
per-sample outputs can also differ from the online ones by the padding a batch adds (speech convolutions see it).
The record says which way a job went (:func:`online_record`, :func:`TeacherOutputs.record`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from distillbench.adapters.base import DataSplits, TaskAdapter
from distillbench.paths import cache_path, locked
from distillbench.teacher_outputs_build import DTYPE, ENV, CacheOptions, NotCacheable, build_outputs
from distillbench.teachers.outputs import fetch
from distillbench.types import ModelOutput

__all__ = ["DTYPE", "CacheOptions", "NotCacheable", "TeacherOutputs", "load_or_build", "online_record", "plan"]

log = logging.getLogger(__name__)

#: bump when the file layout changes: old files are then simply not found
FORMAT = 1
#: logit of a class outside the stored top-k (finite: exp underflows to exactly 0 without 0 * inf = nan in the KL)
SPARSE_FILL = -1.0e4


@dataclass
class TeacherOutputs:
    """The teacher's outputs on every training sample (CPU tensors), looked up by sample index."""

    tensors: dict[str, torch.Tensor]
    record: dict[str, Any] = field(default_factory=dict)
    #: per temperature T: ``log_softmax(logits / T)`` of every stored row (float32), computed on first use
    _soft: dict[float, torch.Tensor] = field(default_factory=dict, repr=False)

    @property
    def ragged(self) -> bool:
        return "offsets" in self.tensors

    def soft_targets(self, temperature: float) -> torch.Tensor | None:
        """``log_softmax(logits / T)`` of every stored row, computed once (None for top-k logits: those are
        rebuilt per batch). Row by row the same float32 arithmetic a KD loss does on the looked-up logits."""
        if "logits" not in self.tensors:
            return None
        if temperature not in self._soft:
            self._soft[temperature] = torch.log_softmax(self.tensors["logits"].float() / temperature, dim=-1)
        return self._soft[temperature]

    def lookup(self, index: torch.Tensor, device: torch.device, temperatures: tuple[float, ...] = ()) -> ModelOutput:
        """The teacher's ModelOutput for the samples ``index`` (float32 on ``device``, as an online pass gives),
        with its softened log-probabilities at each of ``temperatures`` (:meth:`soft_targets`) in ``log_probs``."""
        idx = index.cpu().long()
        t = self.tensors
        features = {k.removeprefix("feature."): t[k][idx].to(device).float() for k in t if k.startswith("feature.")}
        mask = None
        if self.ragged:
            starts, ends = t["offsets"][idx], t["offsets"][idx + 1]
            lengths = ends - starts
            pos = torch.arange(int(lengths.max()))
            valid = pos[None] < lengths[:, None]
            rows = (starts[:, None] + pos[None])[valid]  # the stored rows of the valid positions, in order
            shape: tuple[int, ...] = (len(idx), valid.shape[1])
            mask = valid.to(device)
        else:
            rows, valid, shape = idx, None, (len(idx),)
        if "logits" in t:
            dense = t["logits"][rows].float()
        else:  # top-k: a sparse distribution, SPARSE_FILL elsewhere
            values, indices = t["logits.values"][rows], t["logits.indices"][rows].long()
            dense = torch.full((len(rows), int(t["num_classes"])), SPARSE_FILL)
            dense.scatter_(1, indices, values.float())
        soft = {}
        for temperature in temperatures:
            table = self.soft_targets(temperature)
            if table is not None:
                soft[temperature] = self._unpack(table[rows], valid, shape).to(device)
        dense = self._unpack(dense, valid, shape)
        return ModelOutput(logits=dense.to(device), features=features, mask=mask, log_probs=soft)

    @staticmethod
    def _unpack(rows: torch.Tensor, valid: torch.Tensor | None, shape: tuple[int, ...]) -> torch.Tensor:
        """Stored rows back in the batch's layout: (N, C), or (N, T, C) with zeros at padded positions."""
        if valid is None:
            return rows
        full = torch.zeros((*shape, rows.shape[-1]))
        full[valid] = rows
        return full


def load_or_build(
    adapter: TaskAdapter,
    teacher: nn.Module,
    data: DataSplits,
    *,
    method: Any,
    augment: Any,
    teacher_training: Mapping[str, Any],
    teacher_features: Mapping[str, str],
    data_key: Mapping[str, Any],
    cache_dir: str,
    card_name: str,
    batch_size: int,
    device: torch.device,
    precision: str,
    amp: Callable[[], Any],
    options: CacheOptions | None = None,
    shipped: Path | None = None,
) -> tuple[TeacherOutputs | None, dict[str, Any]]:
    """The job's cached teacher outputs (built now if missing or corrupt), or None and why the teacher runs online.

    The cache key is the teacher's identity (:func:`teacher_identity`), ``data_key`` (task, data config and
    version, split size, smoke, teacher-generated targets), the precision and device type the outputs are
    computed in, the feature module paths stored and the top-k setting.
    """
    options = options or CacheOptions.from_env()
    if not method.needs_teacher:
        return None, {"source": "none", "reason": f"method {method.registry_name!r} does not read the teacher"}
    reason = plan(method, augment, options)
    missing = [f for f in method.feature_names() if f not in teacher_features]
    if reason or missing:  # a missing feature is the training loop's config error to raise
        return None, online_record(reason or f"teacher declares no feature(s) {', '.join(missing)}")
    paths = {f: teacher_features[f] for f in method.feature_names()}
    identity = teacher_identity(teacher_training, teacher)
    key = {
        "format": FORMAT,
        "teacher": identity,
        "data": dict(data_key),
        "precision": precision,
        "device": device.type,
        "features": paths,
        "top_k": [options.top_k, options.top_k_above],
    }
    path = cache_file(cache_dir, card_name, key)
    sparse_ok = method.sparse_teacher_ok()

    def build() -> dict[str, torch.Tensor]:
        return build_outputs(adapter, teacher, data, batch_size=batch_size, device=device, amp=amp,
                             feature_paths=paths, sparse_ok=sparse_ok, options=options)  # fmt: skip

    tensors, record = load_or_build_record(path, key, build, "teacher outputs", method, "cache", len(data.train),
                                           identity, internal=("offsets", "num_classes"), shipped=shipped)  # fmt: skip
    if tensors is None:
        return None, record
    log.info("teacher outputs %s %s (%s)", "built into" if record["built"] else "read from", path, record["fields"])
    return TeacherOutputs(tensors, record), record


def load_or_build_record(
    path: Path,
    key: Mapping[str, Any],
    build: Callable[[], dict[str, torch.Tensor]],
    what: str,
    method: Any,
    source: str,
    samples: int,
    teacher: Mapping[str, Any],
    internal: tuple[str, ...],
    shipped: Path | None = None,
) -> tuple[dict[str, torch.Tensor] | None, dict[str, Any]]:
    """:func:`load_or_build_file`, then the method's top-k check; the tensors and the job's record of them, or
    ``(None, online record)`` when they cannot serve this method (the teacher then runs online)."""
    tensors, stored = load_or_build_file(path, key, build, what, shipped)
    if tensors is None:
        return None, stored
    top_k, refused = top_k_refusal(tensors, method, source)
    if refused:
        return None, online_record(refused)
    fields = sorted(k for k in tensors if k not in internal)
    return tensors, {
        "source": source,
        **stored,
        "fields": fields,
        "top_k": top_k,
        "samples": samples,
        "teacher": teacher,
    }


def load_or_build_file(
    path: Path,
    key: Mapping[str, Any],
    build: Callable[[], dict[str, torch.Tensor]],
    what: str,
    shipped: Path | None = None,
) -> tuple[dict[str, torch.Tensor] | None, dict[str, Any]]:
    """The tensors stored at ``path``, built by ``build`` and saved under ``key`` when missing or corrupt (one builder
    at a time), with the record's file fields; ``(None, online record)`` when ``build`` raises NotCacheable.
    A missing file shipped beside the teacher artifact (``shipped``, teachers/outputs.py) is copied in instead."""
    with locked(path):
        tensors, problem = load_tensors(path)
        from_artifact = tensors is None and problem is None and fetch(path, shipped, (".json",))
        if from_artifact:
            tensors, problem = load_tensors(path)
        built, build_s = False, 0.0
        if tensors is None:
            if problem:
                log.warning("%s %s: %s; rebuilding", what, path, problem)
            start = time.perf_counter()
            try:
                with torch.random.fork_rng(devices=[]):  # the build must not move the job's random streams
                    tensors = build()
            except NotCacheable as exc:
                return None, online_record(str(exc))
            build_s = time.perf_counter() - start
            save_tensors(path, tensors, key)
            built = True
    return tensors, {
        "path": str(path),
        "sha256": json.loads(path.with_suffix(".json").read_text())["sha256"],
        "dtype": str(DTYPE).removeprefix("torch."),
        "bytes": path.stat().st_size,
        "built": built,
        "build_s": round(build_s, 3),
        "rebuilt_because": problem,
        "shipped_with_teacher": from_artifact and tensors is not None and not built,
    }


def top_k_refusal(tensors: Mapping[str, torch.Tensor], method: Any, where: str) -> tuple[int | None, str | None]:
    """The stored top-k (None: every logit) and, when ``method`` needs every logit but only the top-k are stored, why
    the teacher must run online instead."""
    top_k = int(tensors["logits.values"].shape[-1]) if "logits.values" in tensors else None
    if top_k is not None and not method.sparse_teacher_ok():
        return top_k, f"the {where} holds top-{top_k} logits and {method.registry_name!r} needs them all"
    return top_k, None


def save_tensors(path: Path, tensors: Mapping[str, torch.Tensor], key: Mapping[str, Any]) -> None:
    """The tensors (safetensors) and then their manifest, each written atomically."""
    from safetensors.torch import save_file

    tmp = path.with_suffix(f".tmp{os.getpid()}")
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(tmp))
    os.replace(tmp, path)
    manifest = {"sha256": file_sha256(path), "dtype": str(DTYPE), "key": dict(key), "format": FORMAT}
    tmp_json = path.with_suffix(f".json.tmp{os.getpid()}")
    tmp_json.write_text(json.dumps(manifest, indent=1, default=str))
    os.replace(tmp_json, path.with_suffix(".json"))


def load_tensors(path: Path) -> tuple[dict[str, torch.Tensor] | None, str | None]:
    """``(tensors, None)``, ``(None, None)`` when not built yet, or ``(None, what is wrong)`` when corrupt."""
    from safetensors.torch import load_file

    manifest = path.with_suffix(".json")
    if not path.is_file() and not manifest.is_file():
        return None, None
    try:
        expected = json.loads(manifest.read_text())["sha256"]
    except (OSError, ValueError, KeyError) as exc:
        return None, f"its manifest is missing or unreadable ({exc})"
    if not path.is_file():
        return None, "its tensors file is missing"
    actual = file_sha256(path)
    if actual != expected:
        return None, f"sha256 {actual[:12]} does not match the manifest's {expected[:12]} (corrupt)"
    try:
        return load_file(str(path)), None
    except Exception as exc:
        return None, f"unreadable ({exc})"


def online_record(reason: str) -> dict[str, Any]:
    """The record of a job whose teacher ran online (or was not used) and why."""
    return {"source": "online", "reason": reason}


def plan(method: Any, augment: Any, options: CacheOptions) -> str | None:
    """Why the outputs cannot be cached for this job (None: they can)."""
    if not options.enabled:
        return f"teacher-output cache disabled ({ENV}=off)"
    if not method.cacheable_teacher:
        return f"method {method.registry_name!r} does not declare its teacher outputs cacheable (cacheable_teacher)"
    if augment is not None:
        return (
            "the student's training inputs are augmented (train.augment): the teacher must see each view "
            "(augment.replay records them once: teacher_replay.py)"
        )
    return None


def teacher_identity(teacher_training: Mapping[str, Any], teacher: nn.Module) -> str:
    """What identifies the teacher's weights: a recorded sha256, the cached weights file's, or the state dict's."""
    if teacher_training.get("sha256"):
        return f"sha256:{teacher_training['sha256']}"
    path = teacher_training.get("cache_path")
    if path and Path(path).is_file():
        return f"sha256:{file_sha256(Path(path))}"
    h = hashlib.sha256()
    for name, value in sorted(teacher.state_dict().items()):
        h.update(name.encode())
        h.update(value.detach().cpu().contiguous().view(-1).view(torch.uint8).numpy().tobytes())
    return f"state:{h.hexdigest()}"


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def cache_file(cache_dir: str, card_name: str, key: Mapping[str, Any]) -> Path:
    """``<cache>/teacher_outputs/<card>-<hash of key>.safetensors``."""
    digest = hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()[:16]
    return cache_path("teacher_outputs", f"{card_name}-{digest}.safetensors", root=cache_dir or None)
