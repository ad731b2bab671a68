"""Data made ahead of the jobs that need it, on the CPU time the running jobs leave idle.

A cold run spends minutes generating data its later cards read (speech synthesis, composed scenes, the
Bible splits and their BPE). :func:`start` forks one background process, at the lowest priority
(``nice`` 19: it gets only CPU time the jobs leave idle, such as the second core while a small model
trains on one), that loads the data of every card of the run but the first, in the order the jobs
come, through the same code the jobs use (``adapter.load_data``): what it makes lands in the cache.
Every generator holds a file lock while it makes its files (``paths.locked``), so a job that reaches
its card first waits for the files instead of making them again, and the background process then finds
them made. A failure here is logged and left to the job, which loads the data itself and reports it.
It is paused while a speed job times models (:meth:`Ahead.before`), ends itself when the runner is gone, and
the runner stops it when the run ends.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
from typing import Any

from distillbench.jobs import Job

log = logging.getLogger(__name__)


class Ahead:
    """The background process preparing the data of a run's later cards, and the runner's hold on it."""

    def __init__(self, proc: Any, cards: list[str]) -> None:
        self.proc = proc
        self.cards = cards
        self.seen: set[str] = set()

    def before(self, job: Job) -> None:
        """Called as each job starts. A speed job's timings must not share the CPU: the process is paused
        (SIGSTOP) for it and resumed after. A job of a card the process may still be preparing waits for its
        files: the process gets back the normal priority (where the system allows it), or other processes on a
        shared machine would starve it while the job waits. A speed job that is its card's first job in this run
        (a resumed run) may be the one waiting: the process is not paused then, or it would wait for ever."""
        first = job.card not in self.seen
        self.seen.add(job.card)
        if not self.proc.is_alive():
            return
        if job.role == "speed" and not (first and job.card in self.cards):
            os.kill(self.proc.pid, signal.SIGSTOP)
            return
        os.kill(self.proc.pid, signal.SIGCONT)
        if job.card in self.cards:
            with contextlib.suppress(OSError):  # lowering a niceness needs the privilege to
                os.setpriority(os.PRIO_PROCESS, self.proc.pid, 0)

    def stop(self) -> None:
        """End the process if it still runs (the run is over)."""
        if self.proc.is_alive():
            os.kill(self.proc.pid, signal.SIGCONT)
            self.proc.terminate()
            self.proc.join(timeout=10)


def start(jobs: list[Job], cache_dir: str, nice: int = 19) -> Ahead | None:
    """A background process preparing the data of the cards after the first, or None when there are none.

    ``nice``: how much lower its priority is than the jobs' (19, the lowest, by default)."""
    from distillbench.executors.local import job_context

    cards: list[str] = []
    for job in jobs:
        if job.card not in cards:
            cards.append(job.card)
    later = cards[1:]  # the first card's first job loads its data at once anyway
    if not later:
        return None
    smoke = any(j.smoke for j in jobs)
    trust = any(j.trust_remote_code for j in jobs)
    proc = job_context().Process(
        target=_prepare, args=(later, cache_dir, smoke, trust, nice, os.getpid(), dict(os.environ)), daemon=True
    )
    proc.start()
    log.info("preparing the data of %d later card(s) in the background (lowest priority)", len(later))
    return Ahead(proc, later)


def _prepare(
    cards: list[str], cache_dir: str, smoke: bool, trust: bool, nice: int, runner_pid: int, environ: dict[str, str]
) -> None:
    from distillbench.config import load_card
    from distillbench.executors.local import adopt_environment, die_with_parent
    from distillbench.paths import use_cache_root
    from distillbench.registry import TASKS
    from distillbench.safety import SafetyPolicy, use_policy

    die_with_parent(runner_pid)
    adopt_environment(environ)
    os.nice(nice)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s (data ahead): %(message)s")
    with use_policy(SafetyPolicy(trust_remote_code=trust)), use_cache_root(cache_dir):
        for path in cards:
            try:
                card = load_card(path)
                TASKS.get(card.task)(card).load_data(smoke=smoke)
            except Exception as exc:  # the job loads the data itself and reports the error properly
                log.warning("preparing the data of %s ahead failed (%s: %s); its job will load it", path,
                            type(exc).__name__, exc)  # fmt: skip
