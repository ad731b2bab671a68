"""Per-epoch training checkpoints, so a killed job resumes where it stopped.

The training loop saves one checkpoint per job at the end of every epoch: the model, the method's
learnable parts, the optimizer, the gradient scaler, the step and epoch counters, the statistics
so far and the random number generators' states. It is written atomically (a temporary file in
the same folder, fsynced, then ``os.replace``), so a kill at any moment leaves either the previous
checkpoint or the new one, never a torn file. A checkpoint carries a key (the job id, or the
teacher's cache key) and is ignored when the key differs, so a changed config never resumes from
a stale state. It is read with ``torch.load(weights_only=True)``.

Where they live: ``<cache_dir>/checkpoints/<job_id>.pt`` for a student job (deleted by the runner
once the job's result is recorded) and ``<cache_dir>/checkpoints/teacher-<cache file>`` for a
teacher (deleted once the trained teacher is in the cache).
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

log = logging.getLogger(__name__)


def student_checkpoint(cache_dir: str | Path, job_id: str) -> Path:
    return Path(cache_dir) / "checkpoints" / f"{job_id}.pt"


def teacher_checkpoint(cache_file: Path) -> Path:
    """The checkpoint of a teacher being trained into ``cache_file`` (``<cache>/teachers/<name>.pt``)."""
    return cache_file.parent.parent / "checkpoints" / f"teacher-{cache_file.name}"


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    """Write ``state`` to ``path`` atomically (tmp file + fsync + rename + directory fsync)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    with open(tmp, "wb") as f:
        torch.save(state, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    with contextlib.suppress(OSError):  # make the rename itself durable (not possible on every filesystem)
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def load_checkpoint(path: Path | None, key: str) -> dict[str, Any] | None:
    """The checkpoint at ``path`` if it exists and belongs to ``key``; otherwise None (with a warning if unusable)."""
    if path is None or not path.is_file():
        return None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # a file from another torch version or a damaged disk: start over, say so
        log.warning(
            "ignoring unreadable checkpoint %s (%s: %s); training from the start", path, type(exc).__name__, exc
        )
        return None
    if not isinstance(state, dict) or state.get("key") != key:
        log.warning("ignoring checkpoint %s: it belongs to another configuration; training from the start", path)
        return None
    return state


def remove_checkpoint(path: Path | None) -> None:
    if path is not None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def rng_state() -> dict[str, Any]:
    """Python, NumPy and torch (CPU and CUDA) generator states, in types ``weights_only`` loading accepts."""
    name, keys, pos, has_gauss, gauss = np.random.get_state()
    state: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": (name, torch.from_numpy(keys.astype(np.int64)), pos, has_gauss, gauss),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    version, internal, gauss_next = state["python"]
    random.setstate((version, tuple(internal), gauss_next))
    name, keys, pos, has_gauss, gauss = state["numpy"]
    np.random.set_state((name, keys.numpy().astype(np.uint32), pos, has_gauss, gauss))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
