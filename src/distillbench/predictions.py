"""Saved test predictions: one gzip JSONL file per job, so every recorded figure can be recomputed.

The worker writes a job's test predictions (one JSON object per test sample, as the task adapter's
``evaluate`` returns them: ``{"id", "reference", "prediction", ...}``) to
``<cache_dir>/predictions/<job_id>.jsonl.gz`` — atomically: a temporary file in the same folder, then
``os.replace`` — and records that path as ``config["predictions"]``. When the runner records the job
it moves the file beside the results, to ``<run_dir>/predictions/<job_id>.jsonl.gz``, and stores the
path relative to the run directory (:func:`adopt`). ``distillbench report RUN --recompute``
(report/recompute.py) reads them back with :func:`read_predictions`.
"""

from __future__ import annotations

import contextlib
import errno
import gzip
import json
import logging
import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from distillbench.paths import cache_path

log = logging.getLogger(__name__)

FOLDER = "predictions"
SUFFIX = ".jsonl.gz"


def write_predictions(cache_dir: str, job_id: str, rows: Iterable[dict[str, Any]]) -> str:
    """Write the rows as gzip JSONL to ``<cache_dir>/predictions/<job_id>.jsonl.gz`` atomically; return the path."""
    path = cache_path(FOLDER, f"{job_id}{SUFFIX}", root=cache_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    with open(tmp, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as f:
        for row in rows:
            f.write((json.dumps(row, allow_nan=True, separators=(",", ":")) + "\n").encode())
    os.replace(tmp, path)
    return str(path)


def read_predictions(path: str | Path) -> list[dict[str, Any]]:
    """Every row of a predictions file, in order."""
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def adopt(config: dict[str, Any], run_dir: Path) -> None:
    """Move a recorded job's predictions file into ``<run_dir>/predictions/`` and store the relative path.

    ``config`` is the record's config; it is left alone when it names no file. A file that is missing
    (e.g. written on another machine of a cluster) is logged and the field set to None.
    """
    src = config.get("predictions")
    if not src or not Path(src).is_absolute():
        return
    rel = Path(FOLDER) / Path(src).name
    target = run_dir / rel
    try:
        _move(Path(src), target)
    except FileNotFoundError:
        log.warning("predictions file %s is missing; the record will say none was saved", src)
        config["predictions"] = None
        return
    config["predictions"] = rel.as_posix()


def _move(src: Path, target: Path) -> None:
    """Rename, or copy into a temporary file beside ``target`` and rename it when across filesystems."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(src, target)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        tmp = target.with_name(f".{target.name}.tmp{os.getpid()}")
        shutil.copyfile(src, tmp)
        os.replace(tmp, target)
        with contextlib.suppress(FileNotFoundError):
            src.unlink()


def resolve(record: dict[str, Any], run_dir: Path) -> Path | None:
    """The predictions file a record names (relative paths are under ``run_dir``), or None."""
    name = (record.get("config") or {}).get("predictions")
    if not name:
        return None
    p = Path(name)
    return p if p.is_absolute() else run_dir / p
