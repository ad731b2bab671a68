"""Executors: how the runner's jobs get run. The runner stays the one writer of the results file.

- ``local`` (default): one job after another, each in a fresh spawned process (local.py).
- ``ray``: jobs fanned out over a Ray cluster, each a Ray task in a fresh worker process with its
  own resources (one GPU per DDP rank on GPU clusters, CPUs otherwise) (ray_executor.py).

An executor calls ``record(job, result)`` in the driver process for every finished job, in the
order jobs finish; the runner appends the result there, so the results file is never written by
two processes at once, whatever the executor.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable

from distillbench.errors import DistillbenchError
from distillbench.jobs import Job
from distillbench.progress import JobProgress
from distillbench.results import Result

Record = Callable[[Job, Result], None]
EXECUTORS = ("local", "ray")


class Executor(ABC):
    """Runs jobs and hands each Result to ``record`` in the calling process."""

    #: labels of the jobs started and not yet recorded (named when a run is interrupted)
    running: list[str]
    #: called with each job as it starts, where the executor runs jobs here (the local one)
    before_job: Callable[[Job], None] | None

    def __init__(self) -> None:
        self.running = []
        self.before_job = None

    @abstractmethod
    def run(self, jobs: list[Job], record: Record, bar: JobProgress) -> None:
        """Run ``jobs``; raise KeyboardInterrupt (after stopping them) when the user interrupts."""


def make_executor(name: str, *, isolate: bool = True, address: str | None = None) -> Executor:
    """The executor called ``name`` (``local`` or ``ray``); ``address`` is the Ray cluster's."""
    if name == "local":
        if address:
            raise DistillbenchError("--address is for --executor ray (the Ray cluster to connect to)")
        from distillbench.executors.local import LocalExecutor

        return LocalExecutor(isolate=isolate)
    if name == "ray":
        from distillbench.executors.ray_executor import RayExecutor

        return RayExecutor(address=address)
    raise DistillbenchError(f"unknown executor {name!r}: choose {' or '.join(EXECUTORS)}")
