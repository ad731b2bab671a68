"""The runner: expand a suite into jobs, hand them to an executor, record, resume, report.

An executor (executors/: ``local`` runs jobs one after another, each in a fresh process;
``ray`` fans them out over a Ray cluster) hands every finished job's Result back to this process,
the only writer of ``results.jsonl``. A job that fails (an exception, a NaN loss, out of memory, a
crashed process) is recorded with status "failed" and its reason, and the other jobs go on.
Re-running a suite skips jobs whose results are already recorded; a job that was killed part-way
resumes from its last per-epoch checkpoint (checkpoint.py), which is deleted once its result is
recorded. Ctrl-C stops the running jobs; everything already recorded stays, and the next run resumes.
With the local executor, the data of the later cards is prepared in the background meanwhile (prepare.py). The
run says how long it should take before its first job (from recorded job times: estimate.py) and how long it
took at the end.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from distillbench import prepare
from distillbench.config import SuiteConfig, load_card, load_suite, to_plain
from distillbench.errors import DistillbenchError
from distillbench.estimate import estimate, timings_path
from distillbench.jobs import Job, expand_jobs
from distillbench.paths import default_cache_dir, use_cache_root
from distillbench.plugins import add_include_paths
from distillbench.predictions import adopt as adopt_predictions
from distillbench.results import RESULTS_FILE, Result, append_result, read_results

log = logging.getLogger(__name__)
DEFAULT_FORMATS = ("md", "csv", "tex", "html", "json")


class RunInterrupted(DistillbenchError):
    """The user stopped the run (Ctrl-C / SIGTERM); completed results are kept."""


@dataclass
class RunSummary:
    out_dir: Path
    results: list[Result] = field(default_factory=list)
    ran: int = 0
    skipped: int = 0
    failed: int = 0
    reports: list[Path] = field(default_factory=list)
    #: seconds from the suite's validation to the last job's record
    wall_s: float = 0.0


# --------------------------------------------------------------------------- the run


def run_suite(
    suite: str,
    *,
    seeds: list[int] | None = None,
    smoke: bool = False,
    device: str | None = None,
    precision: str | None = None,
    compile: bool | None = None,
    out_dir: str | Path = "runs",
    cache_dir: str | None = None,
    isolate: bool | None = True,
    formats: tuple[str, ...] = DEFAULT_FORMATS,
    show_progress: bool = True,
    executor: str = "local",
    address: str | None = None,
    nproc_per_job: int = 1,
    trust_remote_code: bool | None = None,
    keep_stale: bool = False,
    shipped_teachers: bool = True,
    include_path: Iterable[str | Path] = (),
    compression: bool | None = None,
) -> RunSummary:
    """Run every job of ``suite`` not yet recorded in ``<out_dir>/<suite>[-smoke]/results.jsonl``.

    ``isolate``: one fresh process per job (True, the CLI's), jobs in this process (False), or None: fresh
    processes unless the suite uses components defined in ``__main__`` that they cannot import (then here, with
    a warning; :func:`in_process`). ``executor`` is ``local`` (sequential, the default) or ``ray``
    (``address``: the cluster's); ``nproc_per_job`` > 1 trains each job with that many DDP processes;
    ``trust_remote_code`` overrides the suite's setting (off by default). A job recorded with other code (another code
    fingerprint) runs again, and the log says why; ``keep_stale`` keeps such records on purpose.
    Cards whose teacher matches a shipped artifact (teachers/) use it unless ``shipped_teachers`` is False.
    ``compression`` (default: the suite's ``compression``) adds each card's int8 and pruned baselines (compress.py).
    ``cache_dir`` (default ``$DISTILLBENCH_CACHE`` or ``~/.cache/distillbench``) holds every cache: data,
    tokenisers, teachers, checkpoints and predictions. ``include_path``: folders whose modules, cards and suites
    are loaded here and in every job process (plugins.py).
    """
    add_include_paths(include_path)
    cache_root = str(Path(cache_dir or default_cache_dir()).expanduser().resolve())
    with use_cache_root(cache_root):  # data sources and tokenisers read the root from the environment
        return _run_suite(
            suite,
            seeds=seeds,
            smoke=smoke,
            device=device,
            precision=precision,
            compile=compile,
            out_dir=out_dir,
            cache_dir=cache_root,
            isolate=isolate,
            formats=formats,
            show_progress=show_progress,
            executor=executor,
            address=address,
            nproc_per_job=nproc_per_job,
            trust_remote_code=trust_remote_code,
            keep_stale=keep_stale,
            shipped_teachers=shipped_teachers,
            compression=compression,
        )


def _run_suite(
    suite: str,
    *,
    seeds: list[int] | None,
    smoke: bool,
    device: str | None,
    precision: str | None,
    compile: bool | None,
    out_dir: str | Path,
    cache_dir: str,
    isolate: bool | None,
    formats: tuple[str, ...],
    show_progress: bool,
    executor: str,
    address: str | None,
    nproc_per_job: int,
    trust_remote_code: bool | None,
    keep_stale: bool,
    shipped_teachers: bool,
    compression: bool | None,
) -> RunSummary:
    from distillbench.checkpoint import remove_checkpoint, student_checkpoint
    from distillbench.executors import make_executor
    from distillbench.progress import JobProgress
    from distillbench.validate import validate_suite

    opened = time.perf_counter()
    # unknown names, bad options and broken include modules fail here, before any work (planned just below)
    validate_suite(suite, plan=False)
    cfg = load_suite(suite)
    isolate = not in_process(cfg, executor, isolate)
    if executor == "local":  # the jobs run here: a missing GPU fails once, not once per job (Ray checks its cluster)
        from distillbench.measure import resolve_device

        resolve_device(device or cfg.device)
    jobs = expand_jobs(
        cfg,
        seeds=seeds,
        smoke=smoke,
        device=device,
        precision=precision,
        compile=compile,
        cache_dir=cache_dir,
        nproc=nproc_per_job,
        trust_remote_code=trust_remote_code,
        shipped_teachers=shipped_teachers,
        compression=compression,
    )
    run_dir = run_dir_for(out_dir, cfg.name, smoke)
    run_dir.mkdir(parents=True, exist_ok=True)
    results_file = run_dir / RESULTS_FILE
    plan = plan_resume(jobs, read_results(results_file).records if results_file.exists() else [], keep_stale)
    todo = plan.todo
    for job in todo:  # weights saved by a job kept from another code version are under that record's id
        if job.weights_from:
            job.weights_from = {name: plan.kept.get(source, source) for name, source in job.weights_from.items()}
    summary = RunSummary(out_dir=run_dir, skipped=len(jobs) - len(todo))
    _write_resolved(run_dir, cfg, jobs)
    for line in plan.explain():
        log.info(line)
    if summary.skipped:
        log.info("resuming: %d of %d jobs already recorded in %s", summary.skipped, len(jobs), results_file)
    runner = make_executor(executor, isolate=isolate, address=address)
    forecast = estimate(todo, timings_path(cfg.path, cfg.timings)) if todo else None
    started = {"at": time.perf_counter(), "n": 0}

    def record(job: Job, result: Result) -> None:
        """Append one finished job's result (this process is the only writer), then report it."""
        adopt_predictions(result.config, run_dir)  # <run_dir>/predictions/<job_id>.jsonl.gz, before the record
        append_result(results_file, result)
        remove_checkpoint(student_checkpoint(job.cache_dir, job.job_id))  # recorded: nothing left to resume
        summary.ran += 1
        summary.results.append(result)
        started["n"] += 1
        took = time.perf_counter() - started["at"]
        i = started["n"]
        if result.status != "ok":
            summary.failed += 1
            log.error("job %d/%d failed (%.1f s into the run): %s: %s", i, len(todo), took, job.label, result.error)
        elif result.role == "speed":
            ups = ", ".join(f"{n} {s['mean']:.2f}x" for n, s in result.speed.get("speedup", {}).items())
            log.info(
                "job %d/%d done (%.1f s into the run): %s: speed-up vs teacher %s", i, len(todo), took, job.label, ups
            )
        else:
            metric = result.quality.get(result.primary_metric)
            shown = f"{metric:.4f}" if isinstance(metric, float) else str(metric)
            log.info(
                "job %d/%d done (%.1f s into the run): %s: %s %s",
                *(i, len(todo), took, job.label, result.primary_metric, shown),
            )
        bar.finish_job(result.status == "ok")

    with _run_log(run_dir), JobProgress(len(todo), enabled=show_progress) as bar:
        log.info(
            "suite %s: %d job(s), %d already recorded, %d to run (executor %s)",
            *(cfg.name, len(jobs), summary.skipped, len(todo), executor),
        )
        if forecast is not None:
            log.info("suite %s: %s", cfg.name, forecast.line())
        ahead = prepare.start(todo, cache_dir) if executor == "local" and isolate else None
        if ahead is not None:
            runner.before_job = ahead.before
        try:
            runner.run(todo, record, bar)
        except KeyboardInterrupt:
            during = f" during {', '.join(runner.running)}" if runner.running else ""
            raise RunInterrupted(
                f"interrupted{during}: {summary.ran} job(s) of this run recorded in {results_file} "
                f"(with {summary.skipped} from before); run the same command again to resume"
            ) from None
        finally:
            if ahead is not None:
                ahead.stop()
        took = time.perf_counter() - opened  # planning (validation, teacher hashes) included
        said = ""
        if forecast is not None and forecast.estimated:
            said = f" (estimated {format_duration(forecast.seconds)} for {forecast.estimated} of {len(todo)} job(s))"
        log.info("suite %s: %d job(s) ran in %s wall time%s", cfg.name, summary.ran, format_duration(took), said)
        summary.wall_s = took
    wanted = {j.job_id for j in jobs} | set(plan.kept.values())
    records = [r for r in read_results(results_file).records if r["job_id"] in wanted]
    latest: dict[str, dict[str, Any]] = {}
    for rec in records:  # a job that failed and later succeeded counts once, as its latest record
        latest[rec["job_id"]] = rec
    summary.results = [Result.from_dict(r) for r in latest.values()]
    summary.failed = sum(r.status != "ok" for r in summary.results)
    if formats:
        from distillbench.report import build_leaderboards, write_reports

        summary.reports = write_reports(build_leaderboards(list(latest.values())), run_dir, list(formats))
    return summary


def run_dir_for(out_dir: str | Path, suite_name: str, smoke: bool) -> Path:
    """``<out_dir>/<suite>`` (``<suite>-smoke`` in smoke mode): where a run's results and leaderboards go."""
    return Path(out_dir) / (f"{suite_name}-smoke" if smoke else suite_name)


def in_process(cfg: SuiteConfig, executor: str, isolate: bool | None) -> bool:
    """Whether jobs run in this process: ``isolate`` False, or None (auto) with components job processes lack.

    A component that job processes cannot re-create (typed into a session; components.py) is an error with
    ``isolate=True``; with ``isolate=None`` (the Python API's default) the jobs run here instead, and the log
    says why and how to keep one process per job.
    """
    from distillbench.components import unreachable

    if isolate is False:
        return True
    missing = [m for e in cfg.tasks for m in unreachable(load_card(e.card), e.methods, executor)]
    if not missing:
        return False
    why = (
        f"{', '.join(dict.fromkeys(missing))}: defined in this session (a notebook, an interactive session or "
        f"exec'd code){' or in the script, which Ray workers do not run' if executor == 'ray' else ''}, "
        f"so job processes cannot import it"
    )
    fix = (
        "Move it into a module file and pass its folder as include_path (--include-path), or install it as a "
        "plugin, to run each job in a fresh process"
    )
    if isolate is None and executor == "local":
        log.warning("%s: running the jobs in this process. %s.", why, fix)
        return True
    raise DistillbenchError(f"{why}. {fix}; or pass isolate=False to run the jobs in this process.")


def format_duration(seconds: float) -> str:
    """``12 min 05 s`` (or ``48.2 s`` under a minute)."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


@dataclass
class ResumePlan:
    """Which jobs run, which recorded ones are reused, and which run again because the code changed."""

    todo: list[Job]
    #: job id -> id of the record reused for it (itself, or a record made by other code kept with --keep-stale)
    kept: dict[str, str] = field(default_factory=dict)
    #: jobs recorded with another code fingerprint: (job, the fingerprint of that record)
    stale: list[tuple[Job, str]] = field(default_factory=list)
    keep_stale: bool = False

    def explain(self) -> list[str]:
        """Log lines saying why recorded jobs run again, or that old ones are kept on purpose."""
        if not self.stale:
            return []
        olds = sorted({fp or "none (recorded before code fingerprints)" for _, fp in self.stale})
        now = self.stale[0][0].code
        labels = "; ".join(job.label for job, _ in self.stale[:5]) + (" ..." if len(self.stale) > 5 else "")
        if self.keep_stale:
            return [
                f"keeping {len(self.stale)} job(s) recorded with other code (fingerprint {', '.join(olds)}; this code "
                f"is {now}) on purpose (--keep-stale): {labels}"
            ]
        return [
            f"re-running {len(self.stale)} job(s) recorded with other code (fingerprint {', '.join(olds)}; this code "
            f"is {now}): {labels}. Pass --keep-stale to keep the old results instead"
        ]


def plan_resume(jobs: list[Job], records: list[dict[str, Any]], keep_stale: bool = False) -> ResumePlan:
    """Skip jobs recorded (ok) with this code; re-run, or with ``keep_stale`` keep, those recorded with other code."""
    ok = [r for r in records if r.get("status") == "ok"]
    by_id = {r["job_id"]: r for r in ok}
    by_base: dict[str, dict[str, Any]] = {}
    for rec in ok:  # a record made before base ids existed has base id == job id (its id had no fingerprint)
        by_base[rec.get("base_id") or rec["job_id"]] = rec
    plan = ResumePlan(todo=[], keep_stale=keep_stale)
    for job in jobs:
        if job.job_id in by_id:
            plan.kept[job.job_id] = job.job_id
            continue
        old = by_base.get(job.base_id)
        if old is not None:
            plan.stale.append((job, old.get("code_fingerprint") or ""))
            if keep_stale:
                plan.kept[job.job_id] = old["job_id"]
                continue
        plan.todo.append(job)
    return plan


@contextlib.contextmanager
def _run_log(run_dir: Path) -> Iterator[None]:
    """Append this run's log lines to ``<run_dir>/run.log`` (kept beside the results)."""
    handler = logging.FileHandler(run_dir / "run.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.INFO)
    root = logging.getLogger("distillbench")
    old_level = root.level
    root.addHandler(handler)
    if root.getEffectiveLevel() > logging.INFO:
        root.setLevel(logging.INFO)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        handler.close()


def _write_resolved(run_dir: Path, cfg: Any, jobs: list[Job]) -> None:
    """The resolved suite and job list beside the results, so every table can be traced."""
    blob = {"suite": to_plain(cfg), "suite_file": cfg.path, "jobs": [to_plain(j) for j in jobs]}
    tmp = run_dir / "resolved.json.tmp"
    tmp.write_text(json.dumps(blob, indent=2, default=str))
    os.replace(tmp, run_dir / "resolved.json")
