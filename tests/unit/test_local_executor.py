"""The local executor's job processes: forked from a fork server, and gone when the runner is (local.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from distillbench.executors.local import PRELOAD, job_context

JOB = """
import time
from distillbench.executors.local import die_with_parent

def job(runner_pid):
    die_with_parent(runner_pid)
    time.sleep(120)
"""
RUNNER = """
import multiprocessing as mp, os, time
import fake_job

if __name__ == "__main__":
    proc = mp.get_context("forkserver").Process(target=fake_job.job, args=(os.getpid(),), daemon=True)
    proc.start()
    print(proc.pid, flush=True)
    time.sleep(120)
"""


def _state(pid: int) -> str:
    """The process state letter of ``pid`` (R, S, T for stopped, Z, ...)."""
    return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]


def _wait_for_state(pid: int, states: str, timeout: float = 5.0) -> bool:
    """True once ``pid``'s state is one of ``states`` (signals take effect asynchronously)."""
    deadline = time.time() + timeout
    while _state(pid) not in states:
        if time.time() > deadline:
            return False
        time.sleep(0.01)
    return True


def _running(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        return _state(pid) != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def test_a_job_ends_when_the_runner_is_killed(tmp_path: Path) -> None:
    """SIGKILL the runner: its job (a fork-server child, which holds the fork server's lifeline) ends by itself."""
    (tmp_path / "fake_job.py").write_text(JOB)
    (tmp_path / "runner.py").write_text(RUNNER)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    runner = subprocess.Popen([sys.executable, "runner.py"], cwd=tmp_path, env=env, stdout=subprocess.PIPE, text=True)
    job = int(runner.stdout.readline())
    time.sleep(0.5)  # the job is past die_with_parent
    assert _running(job)
    runner.send_signal(signal.SIGKILL)
    runner.wait(timeout=10)
    deadline = time.time() + 10
    while _running(job) and time.time() < deadline:
        time.sleep(0.05)
    assert not _running(job), "the job outlived its runner"


def test_jobs_come_from_a_fork_server_that_imported_the_components() -> None:
    ctx = job_context()
    assert ctx.get_start_method() == "forkserver" and PRELOAD == ["distillbench.executors.preload"]


def test_later_cards_data_is_made_ahead_in_the_background(tmp_path: Path) -> None:
    """prepare.start loads the data of every card but the first into the run's cache, paused during speed jobs."""
    from distillbench import prepare
    from distillbench.config import load_suite
    from distillbench.jobs import expand_jobs

    suite = tmp_path / "suite.yaml"
    suite.write_text("name: t\ntasks: [{card: digits, methods: [no_kd]}, {card: detection, methods: [no_kd]}]\n")
    cache = tmp_path / "cache"
    jobs = expand_jobs(load_suite(str(suite)), cache_dir=str(cache), smoke=True)
    ahead = prepare.start(jobs, str(cache))
    assert ahead is not None and ahead.cards == [jobs[-1].card]
    try:
        first_speed, speed = (j for j in jobs if j.role == "speed")  # digits', then detection's
        ahead.before(first_speed)  # timings must not share the CPU: paused
        assert _wait_for_state(ahead.proc.pid, "T")
        ahead.before(jobs[0])
        assert _wait_for_state(ahead.proc.pid, "RSD")
        ahead.before(speed)  # detection's first job here (a resumed run): it may wait for the data, so no pause
        time.sleep(0.2)
        assert _state(ahead.proc.pid) != "T"
        ahead.before(jobs[-1])  # the detection job waits for its data: resumed, at the normal priority
        assert _wait_for_state(ahead.proc.pid, "RSD") and os.getpriority(os.PRIO_PROCESS, ahead.proc.pid) == 0
        ahead.proc.join(timeout=120)
        assert ahead.proc.exitcode == 0
    finally:
        ahead.stop()
    made = sorted(p.name for p in (cache / "data" / "embedded_scenes").iterdir() if not p.name.endswith(".lock"))
    assert len(made) == 1 and "-first" in made[0]  # the smoke run's first scenes; digits (the first card) left alone
    assert prepare.start(jobs[:3], str(cache)) is None  # one card: nothing to make ahead
