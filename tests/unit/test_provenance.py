"""Provenance: the code fingerprint in job ids and teacher keys, re-runs after a code change, one cache root."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

import distillbench.jobs
from distillbench.config import load_card
from distillbench.fingerprint import PACKAGE, code_fingerprint, fingerprint_of, hashed_files
from distillbench.runner import plan_resume, run_suite
from distillbench.worker import teacher_cache_path, train_config
from tests.conftest import smoke_job


def _copy_package(tmp_path: Path) -> Path:
    dst = tmp_path / "distillbench"
    shutil.copytree(PACKAGE, dst, ignore=shutil.ignore_patterns("__pycache__"))
    return dst


def test_fingerprint_changes_with_training_code_and_not_with_report_code(tmp_path: Path) -> None:
    pkg = _copy_package(tmp_path)
    before = fingerprint_of(pkg, "0.1.0")
    assert before == code_fingerprint().replace(code_fingerprint().split("+")[0], "0.1.0")  # same bytes, same hash
    (pkg / "report" / "writers.py").write_text((pkg / "report" / "writers.py").read_text() + "\n# a comment\n")
    assert fingerprint_of(pkg, "0.1.0") == before  # presentation only: results stay valid
    (pkg / "methods" / "kd.py").write_text((pkg / "methods" / "kd.py").read_text() + "\n# a comment\n")
    after = fingerprint_of(pkg, "0.1.0")
    assert after != before and after.startswith("0.1.0+")
    assert fingerprint_of(pkg, "0.2.0") != after  # the version is part of it
    assert not [p for p in hashed_files() if p.relative_to(PACKAGE).as_posix().startswith(("report/", "cli.py"))]


def test_job_id_and_teacher_key_include_the_fingerprint(tmp_path: Path) -> None:
    a = smoke_job("digits", "teacher", None, str(tmp_path))
    b = smoke_job("digits", "teacher", None, str(tmp_path))
    b2 = distillbench.jobs.Job(**{**a.__dict__, "code": "0.1.0+000000000000", "job_id": "", "base_id": ""})
    assert a.job_id == b.job_id and a.base_id == b2.base_id and a.job_id != b2.job_id
    card = load_card("digits")
    cfg = train_config(card, card.teacher, card.teacher_train, smoke=True)
    assert teacher_cache_path(a, card, cfg, "v1") != teacher_cache_path(b2, card, cfg, "v1")


def test_a_code_change_reruns_recorded_jobs_and_says_why(tmp_path: Path, monkeypatch, caplog) -> None:
    run = dict(smoke=True, out_dir=tmp_path / "runs", cache_dir=str(tmp_path / "cache"), isolate=False)
    first = run_suite("quick", show_progress=False, formats=("md",), **run)
    assert first.ran == len(first.results) and first.failed == 0
    again = run_suite("quick", show_progress=False, formats=("md",), **run)
    assert again.ran == 0 and again.skipped == first.ran  # same code: everything recorded is reused

    monkeypatch.setattr(distillbench.jobs, "code_fingerprint", lambda *_: "0.1.0+feedfacecafe")  # "the code changed"
    with caplog.at_level(logging.INFO, logger="distillbench"):
        kept = run_suite("quick", show_progress=False, formats=("md",), keep_stale=True, **run)
    assert kept.ran == 0 and any("on purpose (--keep-stale)" in m for m in caplog.messages)
    assert {r.job_id for r in kept.results} == {r.job_id for r in first.results}  # the old records, reported
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="distillbench"):
        redone = run_suite("quick", show_progress=False, formats=("md",), **run)
    assert redone.ran == first.ran and redone.failed == 0
    why = [m for m in caplog.messages if m.startswith("re-running")]
    assert why and "0.1.0+feedfacecafe" in why[0] and code_fingerprint() in why[0]
    assert {r.code_fingerprint for r in redone.results} == {"0.1.0+feedfacecafe"}
    teachers = sorted(p.name for p in (tmp_path / "cache" / "teachers").glob("*.pt"))
    assert len(teachers) == 2  # the teacher was retrained under its new key, the old one is kept


def test_plan_resume_treats_records_without_base_id_as_made_before_fingerprints(tmp_path: Path) -> None:
    job = smoke_job("digits", "teacher", None, str(tmp_path))
    old = {"job_id": job.base_id, "status": "ok"}  # schema 1: the id had no fingerprint in it
    plan = plan_resume([job], [old])
    assert plan.todo == [job] and plan.stale == [(job, "")]
    assert "recorded before code fingerprints" in plan.explain()[0]
    assert plan_resume([job], [old], keep_stale=True).kept == {job.job_id: job.base_id}
    assert plan_resume([job], [{**old, "status": "failed"}]).stale == []


@pytest.mark.timeout(300)
def test_cache_dir_reaches_data_tokeniser_teacher_and_checkpoint_caches(tmp_path: Path, monkeypatch) -> None:
    """--cache-dir wins over $DISTILLBENCH_CACHE for every cache: nothing is written to the environment's root."""
    env_root, cache = tmp_path / "env-cache", tmp_path / "my-cache"
    monkeypatch.setenv("DISTILLBENCH_CACHE", str(env_root))
    suite = tmp_path / "tiny.yaml"
    suite.write_text(
        "name: tiny\ntasks:\n  - card: translation\n    students: [t5-d128-dec1]\n    methods: [no_kd]\nseeds: [0]\n"
    )
    summary = run_suite(
        str(suite), smoke=True, out_dir=tmp_path / "runs", cache_dir=str(cache), isolate=False, show_progress=False,
        formats=("md",),
    )  # fmt: skip
    assert summary.failed == 0
    for sub in ("data/embedded_bible", "tokenizers", "teachers"):
        assert any((cache / sub).iterdir()), f"nothing cached under {cache / sub}"
    assert not env_root.exists()
    assert (cache / "checkpoints").is_dir()  # per-epoch checkpoints went there (removed once recorded)
    assert {
        r.config["teacher_training"]["cache_path"].startswith(str(cache))
        for r in summary.results
        if r.role == "student"
    } == {True}
