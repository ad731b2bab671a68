"""Result records: one JSON line per measured model, appended atomically, never rewritten.

The record's fields follow DESIGN.md ("Result record"). :func:`append_result` writes a whole
line with a single ``write`` on a file opened with ``O_APPEND`` and fsyncs it, so a crash leaves
either the full line or nothing usable; :func:`read_results` reports a corrupt line with its line
number, skips it and keeps the rest.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from distillbench.errors import ResultsError

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2
#: versions this distillbench reads: 1 (per-job speed figures, no provenance) and 2
READABLE_SCHEMAS = (1, 2)
RESULTS_FILE = "results.jsonl"
REQUIRED = ("schema_version", "job_id", "task", "role", "model_name", "status")


@dataclass
class Result:
    """One measured model (a teacher, or a student trained with one method and one seed)."""

    job_id: str
    suite: str
    task: str
    task_version: int
    role: str  # "teacher" | "student"
    model_name: str
    model_spec: str
    method: str | None  # None for the teacher
    seed: int
    status: str = "ok"  # "ok" | "failed"
    error: str | None = None
    primary_metric: str = ""
    quality: dict[str, Any] = field(default_factory=dict)
    higher_is_better: dict[str, bool] = field(default_factory=dict)
    speed: dict[str, Any] = field(default_factory=dict)
    memory: dict[str, Any] = field(default_factory=dict)
    size: dict[str, Any] = field(default_factory=dict)
    training: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    config_hash: str = ""
    env: dict[str, Any] = field(default_factory=dict)
    #: the job id without the code fingerprint: the same job recorded with other code has the same base id
    base_id: str = ""
    #: package version + hash of the source that trains and evaluates (fingerprint.py)
    code_fingerprint: str = ""
    #: seconds the job took in its executor, process start and data loading included (None: recorded before
    #: jobs were timed); the estimate of a later run reads them (estimate.py)
    wall_s: float | None = None
    created: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    schema_version: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Result:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


def results_path(path: str | Path) -> Path:
    """A run directory or a JSONL file -> the JSONL file."""
    p = Path(path)
    return p / RESULTS_FILE if p.is_dir() or p.suffix != ".jsonl" else p


def append_result(path: str | Path, result: Result | dict[str, Any]) -> None:
    """Append one record as one line: a single write to an O_APPEND file, then fsync."""
    record = result.to_dict() if isinstance(result, Result) else result
    line = json.dumps(record, sort_keys=True, allow_nan=True, default=str) + "\n"
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(p, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        # a previous crash may have left a torn last line without its newline: start a fresh one
        if os.fstat(fd).st_size > 0 and _last_byte(p) != b"\n":
            line = "\n" + line
        os.write(fd, line.encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def _last_byte(p: Path) -> bytes:
    with open(p, "rb") as f:
        f.seek(-1, os.SEEK_END)
        return f.read(1)


@dataclass
class LoadReport:
    records: list[dict[str, Any]]
    problems: list[str]


def read_results(path: str | Path, warn: bool = True) -> LoadReport:
    """Read every valid record; corrupt or incomplete lines are reported (file:line) and skipped."""
    p = results_path(path)
    if not p.exists():
        raise ResultsError(f"{p}: no results file (run a suite first, or pass a run directory or a .jsonl file)")
    records: list[dict[str, Any]] = []
    problems: list[str] = []
    with open(p, encoding="utf-8", errors="replace") as f:
        for n, raw in enumerate(f, start=1):
            text = raw.strip()
            if not text:
                continue
            try:
                rec = json.loads(text)
            except json.JSONDecodeError as exc:
                problems.append(f"{p}:{n}: corrupt line skipped ({exc.msg} at column {exc.colno})")
                continue
            if not isinstance(rec, dict):
                problems.append(f"{p}:{n}: not a JSON object, skipped")
                continue
            missing = [k for k in REQUIRED if k not in rec]
            if missing:
                problems.append(f"{p}:{n}: record missing {', '.join(missing)}, skipped")
                continue
            if rec["schema_version"] not in READABLE_SCHEMAS:
                problems.append(
                    f"{p}:{n}: schema version {rec['schema_version']} "
                    f"(this distillbench reads {', '.join(map(str, READABLE_SCHEMAS))}), skipped"
                )
                continue
            records.append(rec)
    if warn:
        for msg in problems:
            log.warning(msg)
    return LoadReport(records, problems)


def completed_job_ids(path: str | Path) -> set[str]:
    """Job ids already recorded successfully (what a re-run skips)."""
    p = results_path(path)
    if not p.exists():
        return set()
    return {r["job_id"] for r in read_results(p).records if r.get("status") == "ok"}


def load_results_frame(path: str | Path) -> pd.DataFrame:
    """All valid records as a flat DataFrame (nested fields joined with '.', e.g. 'quality.accuracy')."""
    import pandas as pd

    records = read_results(path).records
    if not records:
        return pd.DataFrame()
    return pd.json_normalize(records, sep=".")
