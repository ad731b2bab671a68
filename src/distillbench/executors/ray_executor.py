"""The Ray executor: the job matrix fanned out over a Ray cluster, results written by the driver only.

``distillbench run SUITE --executor ray [--address HOST:PORT]`` connects to a running cluster
(``--address auto`` finds the local node's; no address starts a Ray instance on this machine) and
submits each job as a Ray task. Every task runs in a fresh worker process (``max_calls=1``), like
the local executor's spawned processes, and asks for its resources: ``num_gpus`` = the job's DDP
processes on GPU clusters (device ``cuda``, or ``auto`` when the cluster has GPUs), otherwise
``num_cpus`` = its processes. Ray then runs as many jobs at once as the cluster holds. A task returns
its Result as plain data; the driver waits on the tasks (``ray.wait``) and hands each finished one to
the runner, which appends it to ``results.jsonl``: one writer, never concurrent writes. A card's
speed job and student jobs are submitted once its teacher job is recorded, so the teacher is trained once and read
from the cache by every student. Task and card files, the cache directory and any data must be on a
filesystem every node sees at the same path (the usual shared home or scratch of a cluster).
A worker that dies (node lost, killed for memory) is retried once by Ray, then recorded as failed.
"""

from __future__ import annotations

import logging
import os
import time
import traceback
from typing import Any

from distillbench.errors import DistillbenchError, MissingDependencyError
from distillbench.executors import Executor, Record
from distillbench.executors.local import brief_error, failed_result, run_inline
from distillbench.jobs import Job
from distillbench.progress import JobProgress
from distillbench.results import Result

log = logging.getLogger(__name__)
#: environment a remote worker needs to behave like this process (offline mode, cache, path policy)
FORWARDED_ENV = ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HOME", "HF_DATASETS_CACHE")


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise MissingDependencyError("--executor ray needs Ray: pip install 'distillbench[cluster]'") from None
    return ray


def ray_job(job: Job) -> dict[str, Any]:
    """The Ray task: one job in this (fresh) worker process; a failure comes back as a failed record."""
    start = time.perf_counter()
    result = run_inline(job)
    result.wall_s = round(time.perf_counter() - start, 2)
    return result.to_dict()


def job_resources(job: Job, cluster: dict[str, float]) -> dict[str, float]:
    """Ray resources for one job: a GPU per DDP process on GPU clusters, a CPU per process otherwise."""
    gpus = cluster.get("GPU", 0.0)
    use_gpu = job.device == "cuda" or (job.device == "auto" and gpus > 0)
    if use_gpu:
        if gpus < job.nproc:
            raise DistillbenchError(
                f"{job.label} needs {job.nproc} GPU(s) (device {job.device}); the Ray cluster has {gpus:g}"
            )
        return {"num_gpus": float(job.nproc), "num_cpus": 1.0}
    if cluster.get("CPU", 0.0) < job.nproc:
        raise DistillbenchError(f"{job.label} needs {job.nproc} CPU(s); the Ray cluster has {cluster.get('CPU', 0):g}")
    return {"num_cpus": float(job.nproc), "num_gpus": 0.0}


class RayExecutor(Executor):
    """Jobs as Ray tasks (see the module docstring)."""

    def __init__(self, address: str | None = None) -> None:
        super().__init__()
        self.address = address

    def _connect(self, ray: Any) -> bool:
        """Connect (or start a local instance); True when this call did, so it also disconnects."""
        if ray.is_initialized():
            return False
        env = {k: v for k, v in os.environ.items() if k in FORWARDED_ENV or k.startswith("DISTILLBENCH_")}
        try:
            ray.init(
                address=self.address,
                runtime_env={"env_vars": env},
                include_dashboard=False,
                logging_level=logging.WARNING,
            )
        except (ConnectionError, RuntimeError, ValueError) as exc:
            where = f"the Ray cluster at {self.address!r}" if self.address else "a local Ray instance"
            raise DistillbenchError(f"could not connect to {where}: {exc}") from None
        return True

    def run(self, jobs: list[Job], record: Record, bar: JobProgress) -> None:
        ray = _ray()
        started = self._connect(ray)
        try:
            self._run(ray, jobs, record, bar)
        finally:
            if started:
                ray.shutdown()

    def _run(self, ray: Any, jobs: list[Job], record: Record, bar: JobProgress) -> None:
        cluster = ray.cluster_resources()
        resources = {job.job_id: job_resources(job, cluster) for job in jobs}  # impossible requests fail first
        task = ray.remote(max_calls=1, max_retries=1)(ray_job)
        pending: dict[Any, Job] = {}
        teachers = {j.card for j in jobs if j.role == "teacher"}
        waiting: dict[str, list[Job]] = {}

        def submit(job: Job) -> None:
            pending[task.options(**resources[job.job_id]).remote(job)] = job
            self.running.append(job.label)

        for job in jobs:
            if job.role in ("student", "speed") and job.card in teachers:
                waiting.setdefault(job.card, []).append(job)  # after the teacher: it trains once, then is cached
            else:
                submit(job)
        log.info(
            "Ray: %d job(s) submitted, %d waiting for their teacher; cluster %s",
            len(pending),
            len(jobs) - len(pending),
            cluster,
        )
        try:
            while pending:
                (ref,), _ = ray.wait(list(pending), num_returns=1)
                job = pending.pop(ref)
                try:
                    result = Result.from_dict(ray.get(ref))
                except Exception as exc:  # the worker died (Ray already retried) or Ray itself failed
                    result = failed_result(job, f"Ray task failed: {brief_error(exc)}", traceback.format_exc())
                self.running.remove(job.label)
                bar.start_job(job.label)
                record(job, result)
                if job.role == "teacher":
                    for follower in waiting.pop(job.card, []):  # its speed job and students
                        submit(follower)
        except KeyboardInterrupt:
            for ref in pending:
                ray.cancel(ref, force=True)
            raise
