"""Executors: the Ray executor gives the same results as the local one; failed jobs are recorded and counted."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from distillbench.config import load_suite
from distillbench.errors import DistillbenchError
from distillbench.executors import make_executor
from distillbench.jobs import expand_jobs
from distillbench.runner import run_suite
from tests.conftest import ROOT
from tests.integration.test_cli import cli


def test_job_resources_ask_for_gpus_on_gpu_clusters_and_cpus_otherwise() -> None:
    from distillbench.executors.ray_executor import job_resources

    student = next(j for j in expand_jobs(load_suite("quick"), cache_dir="", nproc=2) if j.role == "student")
    assert job_resources(student, {"CPU": 64, "GPU": 8}) == {"num_gpus": 2.0, "num_cpus": 1.0}
    assert job_resources(student, {"CPU": 4}) == {"num_cpus": 2.0, "num_gpus": 0.0}
    speed = next(j for j in expand_jobs(load_suite("quick"), cache_dir="", nproc=2) if j.role == "speed")
    assert job_resources(speed, {"CPU": 64, "GPU": 8}) == {"num_gpus": 1.0, "num_cpus": 1.0}  # one process times all
    cuda = expand_jobs(load_suite("quick"), cache_dir="", device="cuda")[0]
    with pytest.raises(DistillbenchError, match="needs 1 GPU"):
        job_resources(cuda, {"CPU": 4})
    with pytest.raises(DistillbenchError, match="--executor ray"):
        make_executor("local", address="auto")
    with pytest.raises(DistillbenchError, match="unknown executor"):
        make_executor("dask")


@pytest.fixture(scope="module")
def local_ray():
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, logging_level=logging.WARNING)
    yield ray
    ray.shutdown()


def _by_job(run_dir: Path) -> dict[str, dict]:
    records = [json.loads(line) for line in (run_dir / "results.jsonl").read_text().splitlines()]
    by_job = {r["job_id"]: r for r in records}
    assert len(by_job) == len(records)  # each job exactly once
    return by_job


def test_ray_executor_gives_the_same_results_as_the_local_one(local_ray, tmp_path: Path) -> None:
    common = {"smoke": True, "show_progress": False, "formats": ("md",)}
    local = run_suite("quick", out_dir=tmp_path / "local", cache_dir=str(tmp_path / "c1"), isolate=False, **common)
    on_ray = run_suite("quick", out_dir=tmp_path / "ray", cache_dir=str(tmp_path / "c2"), executor="ray", **common)
    assert local.failed == on_ray.failed == 0 and local.ran == on_ray.ran == 4
    a, b = _by_job(local.out_dir), _by_job(on_ray.out_dir)
    assert sorted(a) == sorted(b)  # the same job keys
    for job_id, rec in a.items():
        other = b[job_id]
        assert (rec["role"], rec["model_name"], rec["method"], rec["seed"]) == (
            other["role"],
            other["model_name"],
            other["method"],
            other["seed"],
        )
        if rec["role"] == "speed":  # timed after its teacher was recorded, which it loaded from the cache
            assert other["config"]["teacher_training"]["cached"] is True
            assert sorted(other["speed"]["models"]) == sorted(rec["speed"]["models"]) == ["cnn-w4", "resnet-w16"]
            continue
        assert other["training"]["cached"] is False  # Ray trained its own teacher and students (separate caches)
        # deterministic CPU training: the same quality and the same loss curve
        assert rec["quality"]["accuracy"] == other["quality"]["accuracy"]
        assert rec["training"]["epoch_losses"] == pytest.approx(other["training"]["epoch_losses"], abs=1e-5)
    print(
        "local vs ray:",
        {j: (a[j]["role"], a[j]["method"], *(r[j]["quality"].get("accuracy") for r in (a, b))) for j in a},
    )


def test_failed_jobs_are_recorded_with_their_reason_and_counted(tmp_path: Path) -> None:
    card = tmp_path / "failing.yaml"
    card.write_text(
        f"include: {ROOT / 'tasks' / 'digits.yaml'}\n"
        "students:\n"
        "  - {name: cnn-w4, model: 'local:cnn(width=4, depth=2)', features: {hint: stages.0}}\n"
        "  - {name: diverges, model: 'local:cnn(width=4, depth=2)', features: {hint: stages.0},\n"
        "     train: {lr: .nan, batch_size: 16}}\n"
        "  - {name: broken, model: 'local:cnn(width=4, no_such_argument=1)', features: {hint: stages.0}}\n"
    )
    suite = tmp_path / "failing-suite.yaml"
    suite.write_text(f"name: failing\ntasks: [{{card: {card}, methods: [no_kd]}}]\nseeds: [0]\n")
    proc = cli("run", str(suite), "--smoke", "--no-isolate", "--out", str(tmp_path), "--format", "md")
    assert proc.returncode == 1, proc.stderr
    stderr = " ".join(proc.stderr.split())
    assert "5 job(s) run, 0 already recorded, 2 failed" in stderr and "2 job(s) failed" in stderr
    records = {r["model_name"]: r for r in _by_job(tmp_path / "failing-smoke").values()}
    speed = records["(architectures)"]  # the unbuildable student costs the others nothing: they are timed
    assert speed["status"] == "ok" and "no_such_argument" in speed["speed"]["failed"]["broken"]
    assert speed["speed"]["models"]["diverges"]["measured_as"] == "cnn-w4"  # one architecture, timed once
    assert records["cnn-w4"]["status"] == "ok" and records["resnet-w16"]["status"] == "ok"  # the others went on
    assert records["diverges"]["status"] == "failed" and "loss is nan" in records["diverges"]["error"].lower()
    assert records["broken"]["status"] == "failed" and "no_such_argument" in records["broken"]["error"]
    assert "failed jobs (not shown): 2" in (tmp_path / "failing-smoke" / "leaderboard.md").read_text()
