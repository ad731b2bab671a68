"""The runner: expand a suite into jobs, run each in a fresh process, record, resume, report.

Each job runs in a spawned child process that sends progress messages and finally a Result (or a
traceback) back through a pipe; the parent is the only writer of ``results.jsonl``. A job that
fails is recorded with status "failed" and its reason, and the other jobs go on. Re-running a
suite skips jobs whose results are already recorded. Ctrl-C stops the current job; everything
already recorded stays, and the next run resumes.
"""

from __future__ import annotations

import contextlib
import json
import logging
import multiprocessing as mp
import os
import signal
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from distillbench.config import load_suite, to_plain
from distillbench.errors import DistillbenchError
from distillbench.jobs import Job, expand_jobs
from distillbench.results import RESULTS_FILE, Result, append_result, completed_job_ids, read_results

log = logging.getLogger(__name__)
DEFAULT_FORMATS = ("md", "csv", "tex", "html", "json")


def default_cache_dir() -> str:
    return os.environ.get("DISTILLBENCH_CACHE", str(Path.home() / ".cache" / "distillbench"))


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


# --------------------------------------------------------------------------- child process


def _child(job: Job, conn: Any) -> None:
    """Entry point of a job's process: run it and send ('result', dict) or ('error', text)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops this process
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        from distillbench.worker import run_job

        def progress(done: int, total: int, text: str) -> None:
            conn.send(("progress", done, total, text))

        result = run_job(job, progress)
        conn.send(("result", result.to_dict()))
    except BaseException as exc:  # report everything, including KeyboardInterrupt, to the parent
        brief = str(exc) if isinstance(exc, DistillbenchError) else f"{type(exc).__name__}: {exc}"
        conn.send(("error", brief, traceback.format_exc()))
    finally:
        conn.close()


def _run_isolated(job: Job, on_progress: Callable[[int, int, str], None]) -> Result:
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(job, child), name=f"distillbench-{job.job_id}", daemon=True)
    proc.start()
    child.close()
    message: tuple | None = None
    try:
        while True:
            try:
                msg = parent.recv()  # blocks without spinning; EOFError when the child dies
            except EOFError:
                break
            if msg[0] == "progress":
                on_progress(*msg[1:])
            else:
                message = msg
                break
        proc.join()
    except KeyboardInterrupt:
        proc.terminate()
        proc.join(timeout=10)
        if proc.is_alive():
            proc.kill()
        raise
    finally:
        parent.close()
    if message and message[0] == "result":
        return Result.from_dict(message[1])
    if message and message[0] == "error":
        log.debug("job %s failed:\n%s", job.label, message[2])
        return _failed(job, message[1], message[2])
    return _failed(job, f"worker process exited with code {proc.exitcode} before sending a result", "")


def _run_inline(job: Job, on_progress: Callable[[int, int, str], None]) -> Result:
    from distillbench.worker import run_job

    try:
        return run_job(job, on_progress)
    except KeyboardInterrupt:
        raise
    except Exception as exc:
        brief = str(exc) if isinstance(exc, DistillbenchError) else f"{type(exc).__name__}: {exc}"
        return _failed(job, brief, traceback.format_exc())


def _failed(job: Job, reason: str, trace: str) -> Result:
    from distillbench.config import load_card

    return Result(
        **job.identity(load_card(job.card)),
        status="failed",
        error=reason,
        config={"traceback": trace[-4000:]},
    )


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
    isolate: bool = True,
    formats: tuple[str, ...] = DEFAULT_FORMATS,
    show_progress: bool = True,
) -> RunSummary:
    """Run every job of ``suite`` not yet recorded in ``<out_dir>/<suite>[-smoke]/results.jsonl``."""
    from distillbench.progress import JobProgress
    from distillbench.validate import validate_suite

    validate_suite(suite)  # unknown names and bad options fail here, before any work
    cfg = load_suite(suite)
    jobs = expand_jobs(
        cfg,
        seeds=seeds,
        smoke=smoke,
        device=device,
        precision=precision,
        compile=compile,
        cache_dir=cache_dir or default_cache_dir(),
    )
    run_dir = Path(out_dir) / (f"{cfg.name}-smoke" if smoke else cfg.name)
    run_dir.mkdir(parents=True, exist_ok=True)
    results_file = run_dir / RESULTS_FILE
    done = completed_job_ids(results_file)
    todo = [j for j in jobs if j.job_id not in done]
    summary = RunSummary(out_dir=run_dir, skipped=len(jobs) - len(todo))
    _write_resolved(run_dir, cfg, jobs)
    if summary.skipped:
        log.info("resuming: %d of %d jobs already recorded in %s", summary.skipped, len(jobs), results_file)
    execute = _run_isolated if isolate else _run_inline
    with _run_log(run_dir), JobProgress(len(todo), enabled=show_progress) as bar:
        log.info("suite %s: %d job(s), %d already recorded, %d to run", cfg.name, len(jobs), summary.skipped, len(todo))
        for i, job in enumerate(todo, start=1):
            bar.start_job(job.label)
            started = time.perf_counter()
            try:
                result = execute(job, bar.update_job)
            except KeyboardInterrupt:
                raise RunInterrupted(
                    f"interrupted during {job.label}: {summary.ran} job(s) of this run recorded in {results_file} "
                    f"(with {summary.skipped} from before); run the same command again to resume"
                ) from None
            append_result(results_file, result)
            summary.ran += 1
            summary.results.append(result)
            took = time.perf_counter() - started
            if result.status != "ok":
                summary.failed += 1
                log.error("job %d/%d failed after %.1f s: %s: %s", i, len(todo), took, job.label, result.error)
            else:
                metric = result.quality.get(result.primary_metric)
                shown = f"{metric:.4f}" if isinstance(metric, float) else str(metric)
                log.info(
                    "job %d/%d done in %.1f s: %s: %s %s", i, len(todo), took, job.label, result.primary_metric, shown
                )
            bar.finish_job(result.status == "ok")
    wanted = {j.job_id for j in jobs}
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
