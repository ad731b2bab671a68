"""The per-card speed job: where it sits in a run, what its id hashes, the record it writes; the device check."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch

from distillbench.config import load_suite
from distillbench.executors.local import run_inline
from distillbench.jobs import SPEED_MODEL_NAME, expand_jobs
from tests.integration.test_cli import invoke


def test_each_card_gets_one_speed_job_right_after_its_teacher() -> None:
    jobs = expand_jobs(load_suite("default"), cache_dir="/tmp/unused", nproc=2)
    roles = [j.role for j in jobs]
    speed = [j for j in jobs if j.role == "speed"]
    assert len(speed) == roles.count("teacher") == len(load_suite("default").tasks)
    for job in speed:
        i = jobs.index(job)
        assert jobs[i - 1].role == "teacher" and jobs[i - 1].card == job.card
        assert job.model_name == SPEED_MODEL_NAME and job.method is None and job.seed == 0 and job.nproc == 1
        students = {j.model_name for j in jobs if j.role == "student" and j.card == job.card}
        assert job.models[0] == jobs[i - 1].model_name and set(job.models[1:]) == students
    assert "speed of" in speed[0].label and "interleaved" in speed[0].label


def test_speed_job_id_hashes_card_protocol_device_and_architectures() -> None:
    suite = load_suite("image_classification")

    def speed_id(cfg=suite, **kw: object) -> str:
        return next(j for j in expand_jobs(cfg, cache_dir="/c", **kw) if j.role == "speed").job_id

    base = speed_id()
    assert speed_id(seeds=[7]) == base  # seeds train students; they do not change what is timed
    assert next(j for j in expand_jobs(suite, cache_dir="/elsewhere") if j.role == "speed").job_id == base
    assert speed_id(device="cpu") != base and speed_id(precision="bf16") != base and speed_id(compile=True) != base
    assert speed_id(smoke=True) != base  # the smoke protocol
    slower = dataclasses.replace(suite, measure=dataclasses.replace(suite.measure, repeats=5))
    assert speed_id(slower) != base
    one_student = dataclasses.replace(suite, tasks=[dataclasses.replace(suite.tasks[0], students=["cnn-w8"])])
    fewer = next(j for j in expand_jobs(one_student, cache_dir="/c") if j.role == "speed")
    assert fewer.models == ["resnet-w32", "cnn-w8"] and fewer.job_id != base


def test_speed_record_times_every_architecture_once_and_training_records_carry_no_speed(tmp_path: Path) -> None:
    suite = load_suite("quick")
    suite = dataclasses.replace(suite, measure=dataclasses.replace(suite.measure, repeats=3, min_duration_s=0.0))
    jobs = expand_jobs(suite, cache_dir=str(tmp_path), device="cpu", seeds=[0])
    teacher, speed, *students = (run_inline(j) for j in jobs)
    assert all(r.status == "ok" for r in (teacher, speed, *students)), [r.error for r in (teacher, speed, *students)]
    assert (speed.role, speed.model_name, speed.model_spec, speed.method, speed.seed) == (
        "speed",
        SPEED_MODEL_NAME,
        "",
        None,
        0,
    )
    assert speed.config["teacher_training"]["cached"] is True  # the teacher job's trained model, from the cache
    s = speed.speed
    assert s["interleaved"] is True and s["teacher"] == "resnet-w16" and s["protocol"]["repeats"] == 3
    assert (
        sorted(s["models"])
        == sorted(speed.memory["models"])
        == sorted(speed.size["models"])
        == ["cnn-w4", "resnet-w16"]
    )
    for name, m in s["models"].items():
        assert len(m["throughput_samples"]) == len(m["latency_samples_ms"]) == 3, name
        assert m["throughput"] > 0 and m["throughput_unit"] == "images/s" and m["throughput_batch_size"] == 64
        assert m["latency_p50_ms"] > 0 and m["device"] == "cpu" and m["threads"] == s["models"]["resnet-w16"]["threads"]
        assert (
            speed.size["models"][name]["mflops_per_sample"] > 0
            and speed.memory["models"][name]["memory_batch_size"] == 64
        )
    up = s["speedup"]
    assert list(up) == ["cnn-w4"] and up["cnn-w4"]["n"] == 3
    ratios = [
        a / b
        for a, b in zip(
            s["models"]["cnn-w4"]["throughput_samples"], s["models"]["resnet-w16"]["throughput_samples"], strict=True
        )
    ]
    assert up["cnn-w4"]["samples"] == pytest.approx(ratios)
    lo, hi = up["cnn-w4"]["ci95"]
    assert lo <= up["cnn-w4"]["mean"] <= hi
    assert speed.size["models"]["cnn-w4"]["params"] == students[0].size["params"]  # the same architecture
    for r in (teacher, *students):
        assert r.speed == {} and r.memory == {} and set(r.size) == {"params", "trainable_params"}


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on a machine without CUDA")
def test_run_on_cuda_without_cuda_fails_once_before_any_job(tmp_path: Path) -> None:
    proc = invoke("run", "quick", "--smoke", "--device", "cuda", "--out", str(tmp_path))
    assert proc.returncode == 2, proc.stderr
    text = " ".join(proc.stderr.split())
    assert "CUDA is not available here" in text and "use device 'cpu' or 'auto'" in text
    assert text.count("CUDA is not available") == 1 and "job 1/" not in text
    assert not (tmp_path / "quick-smoke" / "results.jsonl").exists()  # no job ran, none recorded as failed
