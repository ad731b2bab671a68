"""The command line end to end: runs in real subprocesses (each job in its own process, as users run it); listings,
help and argument errors in this process (typer's CliRunner), since they start no job and a new interpreter would
only add its start-up time."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT

CLI = [sys.executable, "-m", "distillbench.cli"]


def cli(*args: str, cwd: Path | None = None, timeout: int = 240) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*CLI, *args], cwd=cwd or ROOT, capture_output=True, text=True, timeout=timeout, env=os.environ.copy()
    )


def invoke(*args: str) -> subprocess.CompletedProcess:
    """The same command through the console-script entry point (``cli.main``: user errors become one message and
    exit status 2) in this process, with click's output capture: exit code, stdout and stderr as a subprocess's."""
    from click.testing import CliRunner

    from distillbench.cli import main

    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}  # main() installs its own
    argv, code = sys.argv, 0
    with CliRunner().isolation() as (out, err, _):
        sys.argv = ["distillbench", *args]
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
        finally:
            sys.argv = argv
            for sig, handler in handlers.items():
                signal.signal(sig, handler)
        stdout, stderr = out.getvalue().decode(), err.getvalue().decode()
    return subprocess.CompletedProcess(list(args), code, stdout, stderr)


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    out = tmp_path_factory.mktemp("runs")
    proc = cli("run", "quick", "--smoke", "--out", str(out))
    return out / "quick-smoke", proc


def test_run_writes_results_and_every_leaderboard_format(quick_run) -> None:
    run_dir, proc = quick_run
    assert proc.returncode == 0, proc.stderr
    assert "## digits" in proc.stdout and "| cnn-w4 |" in proc.stdout  # the leaderboard is printed
    assert "4 job(s) run, 0 already recorded, 0 failed" in proc.stderr
    lines = (run_dir / "results.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert sorted((r["role"], r["method"] or "") for r in records) == [
        ("speed", ""),
        ("student", "kd"),
        ("student", "no_kd"),
        ("teacher", ""),
    ]
    for ext in ("md", "csv", "tex", "html", "json"):
        assert (run_dir / f"leaderboard.{ext}").stat().st_size > 0
    assert json.loads((run_dir / "resolved.json").read_text())["suite"]["name"] == "quick"


def test_rerun_resumes_without_redoing_jobs(quick_run) -> None:
    run_dir, _ = quick_run
    proc = cli("run", "quick", "--smoke", "--out", str(run_dir.parent))
    assert proc.returncode == 0, proc.stderr
    assert "0 job(s) run, 4 already recorded" in proc.stderr
    assert len((run_dir / "results.jsonl").read_text().splitlines()) == 4


def test_report_skips_a_corrupt_line_and_keeps_the_rest(quick_run, tmp_path) -> None:
    run_dir, _ = quick_run
    copy = tmp_path / "results.jsonl"
    good = (run_dir / "results.jsonl").read_text().splitlines()
    copy.write_text("\n".join([good[0], '{"job_id": "x", "broken', *good[1:]]) + "\n")
    proc = cli("report", str(copy), "--format", "md,csv", "--out", str(tmp_path / "rep"))
    assert proc.returncode == 0, proc.stderr
    assert f"{copy}:2: corrupt line skipped" in proc.stderr.replace("\n", "")
    assert (tmp_path / "rep" / "leaderboard.csv").exists() and "| cnn-w4 |" in proc.stdout
    assert copy.read_text().count("\n") == 5  # nothing rewritten


@pytest.mark.parametrize("what", ["tasks", "methods", "models", "suites", "data", "formats"])
def test_ls(what: str) -> None:
    proc = invoke("ls", what)
    assert proc.returncode == 0, proc.stderr
    expected = {
        "tasks": "image_classification",
        "methods": "fitnet",
        "models": "local:resnet",
        "suites": "default",
        "data": "embedded_mnist",
        "formats": "tex",
    }[what]
    assert expected in proc.stdout


@pytest.mark.parametrize("command", ["run", "ls", "report", "compare", "validate"])
def test_every_command_has_help_with_an_example(command: str) -> None:
    proc = invoke(command, "--help")
    assert proc.returncode == 0 and "Example" in proc.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "defualt"], "Did you mean 'default'"),
        (["ls", "widgets"], "unknown listing 'widgets'"),
        (["run", "quick", "--format", "xlsx"], "unknown report format 'xlsx'"),
        (["run", "quick", "--precision", "fp8"], "--precision must be one of"),
        (["run", "quick", "--executor", "dask"], "unknown executor 'dask': choose local or ray"),
        (["run", "quick", "--nproc-per-job", "0"], "--nproc-per-job must be at least 1"),
        (["report", "/nonexistent/run"], "no results file"),
    ],
)
def test_bad_input_gives_one_clear_message(args: list[str], message: str) -> None:
    proc = invoke(*args)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert message in proc.stderr.replace("\n", " ")
    assert "Traceback" not in proc.stderr


def test_bad_input_exits_2_without_a_traceback_from_the_real_entry_point() -> None:
    proc = cli("run", "defualt")
    assert proc.returncode == 2 and "Did you mean 'default'" in proc.stderr.replace("\n", " ")
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_validate_reports_file_and_line_for_bad_suites(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("name: b\ntasks:\n  - card: digits\n    methods: [no_kd, kdd]\n")
    proc = invoke("validate", str(tmp_path / "broken.yaml"))
    assert proc.returncode == 2 and "kdd" in proc.stderr
    (tmp_path / "typo.yaml").write_text("name: t\ntasks: [{card: digits}]\nseeds: [0]\nmesure: {}\n")
    proc = invoke("validate", str(tmp_path / "typo.yaml"))
    assert proc.returncode == 2 and f"{tmp_path / 'typo.yaml'}:4" in proc.stderr.replace("\n", "")
    (tmp_path / "bad.yaml").write_text("name: [\n")
    proc = invoke("validate", str(tmp_path / "bad.yaml"))
    assert proc.returncode == 2 and "malformed YAML" in proc.stderr
    proc = invoke("validate", "quick")
    assert proc.returncode == 0 and "OK" in proc.stdout


def _wait_for_lines(path: Path, n: int, proc: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if path.exists() and len(path.read_text().splitlines()) >= n:
            return
        if proc.poll() is not None:
            raise AssertionError(f"run ended early: {proc.communicate()}")
        time.sleep(0.2)
    raise AssertionError("no result in time")


@pytest.mark.parametrize("sig", [signal.SIGINT])  # SIGKILL: see the random-kill test below
def test_interrupted_run_keeps_results_and_resumes(sig: signal.Signals, tmp_path: Path) -> None:
    results = tmp_path / "quick-smoke" / "results.jsonl"
    proc = subprocess.Popen(
        [*CLI, "run", "quick", "--smoke", "--out", str(tmp_path)],
        cwd=ROOT,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    _wait_for_lines(results, 1, proc)
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=60)
    kept = results.read_text().splitlines()
    assert 1 <= len(kept) <= 4
    if sig == signal.SIGINT:
        assert proc.returncode == 130
        assert "run the same command again to resume" in stderr.replace("\n", " ")
    resumed = cli("run", "quick", "--smoke", "--out", str(tmp_path))
    assert resumed.returncode == 0, resumed.stderr
    final = [json.loads(line) for line in results.read_text().splitlines()]
    assert final[: len(kept)] == [json.loads(line) for line in kept]  # nothing written before was lost
    assert len({r["job_id"] for r in final}) == len(final) == 4  # every job exactly once


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_sigkill_at_random_points_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    """SIGKILL the whole run at seeded random points, four times, then let it finish.

    A kill point is "after the n-th result is recorded, u seconds later" with n and u drawn at random,
    so kills land during start-up, teacher training, student jobs, between two appends and during the
    report (a kill drawn after the run ended is not counted).
    """
    rng = random.Random(9)  # issue 9
    results = tmp_path / "quick-smoke" / "results.jsonl"
    cmd = [*CLI, "run", "quick", "--smoke", "--out", str(tmp_path), "--format", "md"]
    seen: list[list[str]] = []
    kills: list[str] = []
    while len(kills) < 4 and len(_lines(results)) < 3:
        after, delay = rng.randint(len(_lines(results)), 2), rng.uniform(0.0, 2.5)
        proc = subprocess.Popen(cmd, cwd=ROOT, text=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 180
        while len(_lines(results)) < after and proc.poll() is None and time.time() < deadline:
            time.sleep(0.05)
        try:
            proc.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            kills.append(f"{delay:.1f}s after result {after}: {len(_lines(results))} recorded")
        seen.append(_lines(results))
    final_run = cli(*cmd[len(CLI) :])
    assert final_run.returncode == 0, final_run.stderr
    lines = _lines(results)
    records = [json.loads(line) for line in lines]  # every line whole: no torn write
    for before in seen:
        assert lines[: len(before)] == before  # nothing recorded was lost or rewritten
    assert len({r["job_id"] for r in records}) == len(records) == 4  # every job exactly once
    assert all(r["status"] == "ok" for r in records)
    checkpoints = Path(os.environ["DISTILLBENCH_CACHE"]) / "checkpoints"
    assert not [r for r in records if (checkpoints / f"{r['job_id']}.pt").exists()]  # recorded: checkpoint removed
    print(f"SIGKILL test: {len(kills)} kills ({'; '.join(kills)}); final: {len(records)} results, one per job")
    assert len(kills) >= 3


def test_python_api(tmp_path: Path) -> None:
    import distillbench

    out = distillbench.run("quick", smoke=True, out_dir=tmp_path, isolate=False, show_progress=False)
    roles = {(r.role, r.method if isinstance(r.method, str) else None) for r in out.results.itertuples()}
    assert roles == {("teacher", None), ("speed", None), ("student", "no_kd"), ("student", "kd")}
    assert out.failed == 0 and out.run_dir == tmp_path / "quick-smoke"
    df = distillbench.load_results(str(tmp_path / "quick-smoke"))
    assert len(df) == 4 and "quality.accuracy" in df.columns and "speed.models.cnn-w4.throughput" in df.columns
