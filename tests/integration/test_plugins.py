"""The example plugin (examples/plugin) end to end: installed with uv, and the same files through --include-path.

Each runs the plugin's suite in smoke mode with the real CLI, every job in its own spawned process, so the
plugin's model, method and data source must reach the job processes. Both runs share a cache, and both must give
the same code fingerprint and job ids: the fingerprint hashes the plugin's files by their place in the package,
not by where they sit.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

PLUGIN = ROOT / "examples" / "plugin"
CLI = [sys.executable, "-m", "distillbench.cli"]


def cli(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*CLI, *args], cwd=cwd, capture_output=True, text=True, timeout=240, env={**os.environ, **env}
    )


def records(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "results.jsonl").read_text().splitlines()]


def check_plugin_run(proc: subprocess.CompletedProcess, run_dir: Path) -> list[dict]:
    """The suite ran every job in a job process, with the plugin's data, model and method."""
    assert proc.returncode == 0, proc.stderr[-3000:]
    recs = records(run_dir)
    assert all(r["status"] == "ok" for r in recs), [r.get("error") for r in recs]
    students = {r["method"]: r for r in recs if r["role"] == "student"}
    assert sorted(students) == ["logit_l2", "no_kd"]
    for rec in students.values():
        assert rec["model_spec"] == "local:dwsep_cnn(width=8, depth=2)"
        assert rec["config"]["data"]["source_name"] == "noisy_digits"
        assert rec["config"]["data"]["flipped_train_labels"] > 0  # the plugin's data source made this split
        assert 0.0 <= rec["quality"]["accuracy"] <= 1.0
    assert "l2" in students["logit_l2"]["training"]["loss_parts"]  # the plugin's loss trained it
    assert {r["code_fingerprint"] for r in recs} == {recs[0]["code_fingerprint"]}
    assert "+ext." in recs[0]["code_fingerprint"]  # the plugin's source is part of the fingerprint
    return recs


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("plugin-cache"))


@pytest.fixture(scope="module")
def installed_run(tmp_path_factory: pytest.TempPathFactory, cache: str) -> list[dict]:
    uv = shutil.which("uv") or shutil.which("uv", path=str(Path(sys.executable).parent))
    if uv is None:
        pytest.skip("uv is not installed (scripts/setup.sh installs it): cannot install the example plugin")
    work = tmp_path_factory.mktemp("installed")
    target = work / "site"
    # --target keeps the project's .venv clean; --no-build-isolation builds with the hatchling installed here
    install = [uv, "pip", "install", "--python", sys.executable, "--target", str(target), "--no-deps"]
    done = subprocess.run(
        [*install, "--no-build-isolation", "--offline", "--quiet", str(PLUGIN)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert (target / "distillbench_example_plugin" / "tasks" / "noisy_digits.yaml").is_file()  # package data
    proc = cli(
        "run", "example_plugin", "--smoke", "--out", "runs", "--cache-dir", cache, cwd=work, PYTHONPATH=str(target)
    )
    return check_plugin_run(proc, work / "runs" / "example_plugin-smoke")


def test_installed_plugin_runs_its_suite(installed_run: list[dict]) -> None:
    assert len(installed_run) == 4  # teacher, speed, no_kd and logit_l2 (smoke: one seed)


def test_include_path_runs_the_same_files(tmp_path: Path, cache: str, installed_run: list[dict]) -> None:
    proc = cli(
        *("run", "example_plugin", "--smoke", "--out", "runs", "--cache-dir", cache, "--include-path", str(PLUGIN)),
        cwd=tmp_path,
    )
    recs = check_plugin_run(proc, tmp_path / "runs" / "example_plugin-smoke")
    assert {r["job_id"] for r in recs} == {r["job_id"] for r in installed_run}  # same files, same code, same ids
    teacher = next(r for r in recs if r["role"] == "teacher")
    assert teacher["training"]["cached"]  # the installed run's teacher, found by the same cache key
