"""How long a run will take, said before its first job, from the job times an earlier run recorded.

Every record carries ``wall_s``: the seconds its job took in the executor, process start, data loading and
evaluation included. A suite names the records to estimate from with ``timings:`` (a results.jsonl of an
earlier real run of it, relative to the suite file; the default suite names its committed run). Each job
to run is matched to a recorded job with the same task card, role, model, method and teacher source
(a shipped artifact or not); the seed is left out (one seed costs what another does), and several matches
are averaged. A job nothing matches is counted as unestimated, never guessed: the line then says how many.

The recorded run started from an empty cache, so the first job of each card includes generating its data
(speech synthesis, scenes, a tokeniser); with the data already cached a run takes less than estimated.
The times are the recording machine's (its CPU and core count are named in the line).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from distillbench.jobs import Job
from distillbench.teachers.manifest import shown

#: teacher provenance recorded for a shipped artifact (teachers/manifest.py's SHIPPED)
_SHIPPED = "shipped artifact"


@dataclass
class Estimate:
    """The estimate of a run: seconds over the jobs recorded before, and the jobs without a recorded time."""

    seconds: float = 0.0
    estimated: int = 0
    unestimated: list[str] = field(default_factory=list)
    #: where the recorded times come from (a path and the machine), or why there are none
    source: str = ""

    def line(self) -> str:
        """``estimated N min (from SOURCE)``, with the unestimated jobs counted."""
        if not self.estimated:
            return f"no estimate: none of the {len(self.unestimated)} job(s) has a recorded time ({self.source})"
        text = f"estimated {_minutes(self.seconds)} (from {self.source})"
        if self.unestimated:
            text += f"; {len(self.unestimated)} of {self.estimated + len(self.unestimated)} job(s) unestimated"
        return text


def _minutes(seconds: float) -> str:
    return f"{max(1, round(seconds / 60))} min"


def job_key(task: str, role: str, model_name: str, method: str | None, shipped_teacher: bool) -> tuple:
    """What sets a job's cost, as the estimate matches jobs to records (the seed left out)."""
    return (task, role, model_name, method or "", shipped_teacher)


def record_key(rec: dict[str, Any]) -> tuple:
    config = rec.get("config") or {}
    provenance = config.get("teacher_training") or rec.get("training") or {}
    shipped = provenance.get("source") == _SHIPPED
    return job_key(rec["task"], rec["role"], rec["model_name"], rec.get("method"), shipped)


def load_timings(path: Path) -> tuple[dict[tuple, float], str]:
    """Mean recorded seconds per job key from a results.jsonl, and a line saying where they come from."""
    where = shown(path)
    if not path.is_file():
        return {}, f"no recorded timings: {where} not found"
    seconds: dict[tuple, list[float]] = defaultdict(list)
    machine = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if rec.get("status") != "ok" or not isinstance(rec.get("wall_s"), (int, float)):
            continue
        seconds[record_key(rec)].append(float(rec["wall_s"]))
        env = rec.get("env") or {}
        machine = machine or f"{env.get('cpu_count', '?')} cores, {env.get('cpu') or 'unknown CPU'}"
    if not seconds:
        return {}, f"no recorded timings: {where} holds no record with wall_s"
    jobs = sum(len(v) for v in seconds.values())
    return {k: sum(v) / len(v) for k, v in seconds.items()}, f"{where}: {jobs} timed job(s) on {machine}"


def estimate(jobs: list[Job], timings_file: str | Path | None) -> Estimate:
    """The estimate for ``jobs`` from the records in ``timings_file`` (None: the suite names none)."""
    from distillbench.config import load_card

    if not timings_file:
        return Estimate(unestimated=[j.label for j in jobs], source="the suite names no recorded timings")
    table, source = load_timings(Path(timings_file))
    est = Estimate(source=source)
    names: dict[str, str] = {}
    for job in jobs:
        task = names.setdefault(job.card, load_card(job.card).name)
        seconds = table.get(job_key(task, job.role, job.model_name, job.method, job.teacher.startswith("shipped:")))
        if seconds is None:
            est.unestimated.append(job.label)
        else:
            est.seconds += seconds
            est.estimated += 1
    return est


def timings_path(suite_path: str, timings: str) -> Path | None:
    """A suite's ``timings:`` entry resolved against the suite file's folder (None when it names none)."""
    if not timings:
        return None
    path = Path(timings)
    return (path if path.is_absolute() else Path(suite_path).resolve().parent / path).resolve()
