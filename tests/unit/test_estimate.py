"""The estimate a run prints before its first job, from the job times an earlier run recorded (estimate.py)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from distillbench.config import load_suite
from distillbench.estimate import estimate, load_timings, timings_path
from distillbench.jobs import Job, expand_jobs
from distillbench.results import Result
from distillbench.runner import format_duration, run_suite


def _record(job: Job, wall_s: float | None, flip_teacher: bool = False, status: str = "ok") -> dict[str, Any]:
    """A record of ``job`` as the runner writes it (the fields the estimate reads); its teacher as the job's, or
    the other kind (shipped artifact / trained here) with ``flip_teacher``."""
    shipped = job.teacher.startswith("shipped:") != flip_teacher
    source = {"source": "shipped artifact" if shipped else "trained"}
    return {
        "task": "digits",
        "role": job.role,
        "model_name": job.model_name,
        "method": job.method,
        "seed": job.seed,
        "status": status,
        "wall_s": wall_s,
        "training": source if job.role == "teacher" else {},
        "config": {} if job.role == "teacher" else {"teacher_training": source},
        "env": {"cpu_count": 2, "cpu": "AMD EPYC"},
    }


def _write(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


@pytest.fixture
def jobs(tmp_path: Path) -> list[Job]:
    """The quick suite (digits: teacher, speed, no_kd and kd) over seeds 0 and 1, with the shipped teacher."""
    return expand_jobs(load_suite("quick"), seeds=[0, 1], cache_dir=str(tmp_path))


def test_jobs_are_matched_by_card_role_model_method_and_teacher_not_seed(jobs: list[Job], tmp_path: Path) -> None:
    teacher, speed, no_kd, _, kd, _ = jobs  # students by method, then seed
    assert (teacher.role, speed.role, no_kd.method, kd.method) == ("teacher", "speed", "no_kd", "kd")
    failed_or_untimed = [_record(kd, 999.0, status="failed"), _record(kd, None)]  # neither is a timing
    path = _write(
        tmp_path / "r.jsonl",
        [_record(teacher, 10.0), _record(speed, 30.0), _record(no_kd, 50.0), _record(no_kd, 70.0), *failed_or_untimed],
    )
    est = estimate(jobs, path)
    assert est.estimated == 4 and est.seconds == 10.0 + 30.0 + 2 * 60.0  # both no_kd seeds: the mean of two records
    assert [label.split(": ")[1] for label in est.unestimated] == [
        "student cnn-w4 + kd (seed 0)",
        "student cnn-w4 + kd (seed 1)",
    ]
    assert est.line() == (
        f"estimated 3 min (from {path}: 4 timed job(s) on 2 cores, AMD EPYC); 2 of 6 job(s) unestimated"
    )


def test_a_teacher_of_another_kind_does_not_estimate_the_jobs_teacher(jobs: list[Job], tmp_path: Path) -> None:
    path = _write(tmp_path / "r.jsonl", [_record(j, 5.0, flip_teacher=True) for j in jobs])
    est = estimate(jobs, path)
    assert est.estimated == 0 and len(est.unestimated) == len(jobs)
    assert est.line().startswith(f"no estimate: none of the {len(jobs)} job(s) has a recorded time")


def test_no_timings_say_why(jobs: list[Job], tmp_path: Path) -> None:
    assert "names no recorded timings" in estimate(jobs, None).line()
    assert load_timings(tmp_path / "absent.jsonl") == (
        {},
        f"no recorded timings: {tmp_path / 'absent.jsonl'} not found",
    )
    suite = tmp_path / "s" / "suite.yaml"
    assert timings_path(str(suite), "../r.jsonl") == (tmp_path / "s" / ".." / "r.jsonl").resolve()
    assert timings_path(str(suite), "") is None
    assert format_duration(48.24) == "48.2 s" and format_duration(725) == "12 min 05 s"


def test_a_run_prints_its_estimate_first_and_its_wall_time_last(
    tmp_path: Path, caplog, monkeypatch: pytest.MonkeyPatch
) -> None:
    import distillbench.worker

    def instant(job: Job, progress: Any = None) -> Result:  # the runner's lines, not the training, are tested
        return Result(job.job_id, job.suite, "digits", 1, job.role, job.model_name, "", job.method, job.seed)

    monkeypatch.setattr(distillbench.worker, "run_job", instant)
    earlier = tmp_path / "earlier.jsonl"
    suite = tmp_path / "suite.yaml"
    suite.write_text("name: t\ntasks: [{card: digits, methods: [no_kd]}]\nseeds: [0]\ntimings: earlier.jsonl\n")
    jobs = expand_jobs(load_suite(str(suite)), cache_dir=str(tmp_path / "c"), smoke=True)
    _write(earlier, [_record(j, 120.0) for j in jobs if j.role != "speed"])
    with caplog.at_level(logging.INFO, logger="distillbench"):
        summary = run_suite(
            str(suite), out_dir=tmp_path / "runs", cache_dir=str(tmp_path / "c"), isolate=False, show_progress=False,
            formats=(), smoke=True,
        )  # fmt: skip
    said = [m for m in caplog.messages if m.startswith("suite t: ")]
    assert (
        said[1]
        == f"suite t: estimated 4 min (from {earlier}: 2 timed job(s) on 2 cores, AMD EPYC); 1 of 3 job(s) unestimated"
    )
    assert said[-1].startswith("suite t: 3 job(s) ran in ") and said[-1].endswith(
        "wall time (estimated 4 min 00 s for 2 of 3 job(s))"
    )
    assert summary.wall_s > 0 and all(r.wall_s is not None and r.wall_s >= 0 for r in summary.results)
    assert "estimated 4 min" in (tmp_path / "runs" / "t-smoke" / "run.log").read_text()
