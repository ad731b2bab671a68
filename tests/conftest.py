"""Shared test setup: never touch a hub, keep caches and runs inside tmp dirs, fixed CPU threads."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from distillbench.config import SMOKE_MEASURE, load_card, to_plain
from distillbench.fingerprint import code_fingerprint
from distillbench.jobs import Job

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
#: a real run of the default suite (image classification, 3 seeds, 2-core CPU, commit b1f37e5), frozen here so
#: tests that check tables built from real numbers do not change whenever results/ is refreshed by a new run
REAL_RUN = ROOT / "tests" / "data" / "default-run-b1f37e5.jsonl"


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test session gets its own teacher cache (shared across tests: teachers are reused)."""
    cache = tmp_path_factory.getbasetemp() / "cache"
    monkeypatch.setenv("DISTILLBENCH_CACHE", str(cache))
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path_factory.getbasetemp() / "hf-datasets"))
    # no shipped teachers unless a test points here at some (tests/unit/test_teachers.py): tests train as before
    monkeypatch.setenv("DISTILLBENCH_TEACHERS", str(tmp_path_factory.getbasetemp() / "no-teachers"))


@pytest.fixture
def write(tmp_path: Path):
    """Write a text file under tmp_path and return its path."""

    def _write(name: str, text: str) -> Path:
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
        return p

    return _write


def smoke_job(card: str, role: str, method: str | None, cache: str, seed: int = 0) -> Job:
    """A CPU smoke-mode job for a card (name or path): its teacher, or its first student with ``method``."""
    c = load_card(card)
    return Job(
        suite="tests",
        card=c.path,
        role=role,
        model_name=c.teacher.name if role == "teacher" else c.students[0].name,
        method=method,
        seed=seed,
        device="cpu",
        precision="fp32",
        compile=False,
        smoke=True,
        measure=to_plain(SMOKE_MEASURE),
        cache_dir=cache,
        code=code_fingerprint(),
    )


def smoke_models(card_name: str) -> tuple:
    """A card's smoke data, its teacher and first student built from seed 0: (card, adapter, data, teacher, student)."""
    from distillbench.registry import TASKS
    from distillbench.train import seed_everything

    card = load_card(card_name)
    adapter = TASKS.get(card.task)(card)
    data = adapter.load_data(smoke=True)
    seed_everything(0)
    return (
        card,
        adapter,
        data,
        adapter.build_model(card.teacher.model, data),
        adapter.build_model(card.students[0].model, data),
    )


@pytest.fixture
def teacher_forwards(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """``{"eval": n}``: the image adapter's forward passes in eval mode so far (the frozen teacher runs in eval mode,
    a student in train mode), for tests that check a teacher was not run."""
    from distillbench.registry import TASKS

    adapter_cls = TASKS.get("image_classification")
    calls = {"eval": 0}
    forward = adapter_cls.forward

    def counting(self: object, model: object, batch: object) -> object:
        calls["eval"] += not model.training  # type: ignore[attr-defined]
        return forward(self, model, batch)

    monkeypatch.setattr(adapter_cls, "forward", counting)
    return calls
