"""The local executor: jobs one after another, each in a fresh process.

Each job runs in a fresh child process, forked from a fork server that imported torch, datasets and the
components once (preload.py; spawned where no fork server exists), with the runner's environment as it is
when the job starts. The child sends progress messages and finally a Result (or a
traceback) back through a pipe, so one job's memory never leaks into the next and a crash of one
job (even a segfault or the kernel's OOM killer) is recorded as that job's failure. The child asks
the job's process ends itself when the runner is gone (a pidfd watched by a thread), so a SIGKILLed run leaves no
orphan training on. ``isolate=False`` runs jobs in the calling process (tests, debugging).
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import signal
import time
import traceback
from collections.abc import Callable
from typing import Any

from distillbench.errors import DistillbenchError
from distillbench.executors import Executor, Record
from distillbench.jobs import Job
from distillbench.progress import JobProgress
from distillbench.results import Result

log = logging.getLogger(__name__)
Progress = Callable[[int, int, str], None]


class LocalExecutor(Executor):
    """Sequential jobs in this machine's processes (the default)."""

    def __init__(self, isolate: bool = True) -> None:
        super().__init__()
        self.isolate = isolate

    def run(self, jobs: list[Job], record: Record, bar: JobProgress) -> None:
        execute = run_isolated if self.isolate else run_inline
        for job in jobs:
            bar.start_job(job.label)
            self.running = [job.label]
            if self.before_job is not None:
                self.before_job(job)
            start = time.perf_counter()
            result = execute(job, bar.update_job)
            result.wall_s = round(time.perf_counter() - start, 2)
            record(job, result)
            self.running = []


def die_with_parent(parent_pid: int) -> None:
    """End this job's process as soon as the runner (``parent_pid``) is gone, however it ended (Linux, and
    elsewhere where ``os.pidfd_open`` exists; a no-op otherwise).

    A thread waits on a pidfd of the runner and exits the process when it closes. The job's parent is the fork
    server, and the job itself holds the fork server's lifeline, so neither ``PR_SET_PDEATHSIG`` nor the fork
    server's own exit would end it.
    """
    import select
    import threading

    try:
        pidfd = os.pidfd_open(parent_pid)
    except (AttributeError, OSError):  # no pidfd here, or the runner is already gone
        if not _alive(parent_pid):
            os._exit(1)
        return

    def watch() -> None:
        select.select([pidfd], [], [])  # readable once the runner has exited
        os._exit(1)

    threading.Thread(target=watch, name="distillbench-runner-watch", daemon=True).start()


def adopt_environment(environ: dict[str, str]) -> None:
    """Make ``environ`` (the runner's when it started this process) this process's environment, not the fork
    server's as it was when the server started."""
    for key in set(os.environ) - set(environ):
        del os.environ[key]
    os.environ.update(environ)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


#: what the fork server imports once, so each job's fresh process starts with it loaded (preload.py)
PRELOAD = ["distillbench.executors.preload"]


#: OpenMP threads that wait for work sleep instead of spinning (unless the user set a policy): torch's threads
#: spin for a while at every barrier, and on a shared machine, when one of them is descheduled, the others
#: spin for nothing; a small CNN's training step measured 300-840 ms so on a 2-core VM running other
#: processes, against 19-48 ms with this setting (and 29-75 ms with one thread)
WAIT_POLICY = ("OMP_WAIT_POLICY", "PASSIVE")


def job_context() -> Any:
    """Where job processes come from: forked from a fork server that has imported :data:`PRELOAD` (each job
    still gets a fresh process, and nothing of one job reaches the next), or spawned where there is none.
    Job processes start with :data:`WAIT_POLICY` unless the environment sets ``OMP_WAIT_POLICY``."""
    os.environ.setdefault(*WAIT_POLICY)  # read when torch loads OpenMP: before the fork server imports it
    if "forkserver" not in mp.get_all_start_methods():
        return mp.get_context("spawn")
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    return ctx


def _child(job: Job, conn: Any, parent_pid: int, environ: dict[str, str]) -> None:
    """Entry point of a job's process: run it and send ('result', dict) or ('error', text)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops this process
    die_with_parent(parent_pid)
    adopt_environment(environ)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        from distillbench.worker import run_job

        def progress(done: int, total: int, text: str) -> None:
            conn.send(("progress", done, total, text))

        result = run_job(job, progress)
        conn.send(("result", result.to_dict()))
    except BaseException as exc:  # report everything, including KeyboardInterrupt, to the parent
        conn.send(("error", brief_error(exc), traceback.format_exc()))
    finally:
        conn.close()


def brief_error(exc: BaseException) -> str:
    """One line saying why a job failed (the user's own message for user errors)."""
    return str(exc) if isinstance(exc, DistillbenchError) else f"{type(exc).__name__}: {exc}"


def run_isolated(job: Job, on_progress: Progress) -> Result:
    """Run ``job`` in a fresh process (job_context); its Result, or a failed Result saying why."""
    ctx = job_context()
    parent, child = ctx.Pipe(duplex=False)
    # a DDP job starts its own rank processes, which a daemonic process may not; die_with_parent still ties it to us
    args = (job, child, os.getpid(), dict(os.environ))
    proc = ctx.Process(target=_child, args=args, name=f"distillbench-{job.job_id}", daemon=job.nproc == 1)
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
        return failed_result(job, message[1], message[2])
    return failed_result(job, f"worker process exited with code {proc.exitcode} before sending a result", "")


def run_inline(job: Job, on_progress: Progress | None = None) -> Result:
    """Run ``job`` in this process; exceptions become a failed Result (Ctrl-C propagates)."""
    from distillbench.worker import run_job

    try:
        return run_job(job, on_progress)
    except KeyboardInterrupt:
        raise
    except Exception as exc:
        return failed_result(job, brief_error(exc), traceback.format_exc())


def failed_result(job: Job, reason: str, trace: str) -> Result:
    """The record of a job that failed: its identity, status "failed", the reason and the traceback's tail."""
    from distillbench.config import load_card

    return Result(
        **job.identity(load_card(job.card)),
        status="failed",
        error=reason,
        config={"traceback": trace[-4000:]},
    )
