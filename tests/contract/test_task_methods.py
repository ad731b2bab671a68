"""Every task card x every method: one short training run and a full measurement, in-process.

Generated from the registry and the shipped cards, so a new card or method is tested the moment
it exists (as timm does for models).
"""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from distillbench.blackbox import is_blackbox
from distillbench.config import list_names, load_card
from distillbench.jobs import SPEED_MODEL_NAME
from distillbench.methods.base import build_method
from distillbench.registry import TASKS
from distillbench.worker import run_job
from tests.conftest import smoke_job

# paper-* cards describe published settings on hub data; tests/integration/test_paper.py runs their
# code paths with local stand-ins
CARDS = [c for c in list_names("tasks") if not c.startswith("paper-")]


def _cases() -> list[tuple[str, str, str]]:
    """Every task x method x row once, and every card at least once.

    A method is tested on the first card of its task that lists it (shortest card name first: ``detection`` before
    its variant ``detection-ld``); a variant card adds the methods only it lists, and its first method when it adds
    none, so each card's own models and data still train. born_again is one job per generation and one for their
    ensemble (DistillMethod.rows).
    """
    seen: set[tuple[str, str, str]] = set()
    cases = []
    for card in sorted(CARDS, key=lambda c: (len(c), c)):
        c = load_card(card)
        rows = [(m, r) for m, options in c.methods.items() for r in build_method(m, options).rows()]
        new = [(m, r) for m, r in rows if (c.task, m, r) not in seen] or rows[:1]
        seen.update((c.task, m, r) for m, r in rows)
        cases += [(card, m, r) for m, r in new]
    return cases


CASES = _cases()


@pytest.mark.parametrize(("card", "method", "row"), CASES)
def test_student_trains_and_is_measured(card: str, method: str, row: str, tmp_path_factory) -> None:
    cache = str(tmp_path_factory.getbasetemp() / "contract-cache")
    job = replace(smoke_job(card, "student", method, cache), variant=row, job_id="")
    result = run_job(job)
    assert result.status == "ok" and result.method == job.row_method and result.role == "student"
    adapter = TASKS.get(load_card(card).task)
    assert set(adapter.metrics) <= set(result.quality)
    primary = result.quality[adapter.metric]
    lo, hi = adapter.metric_range  # accuracy 0-1, BLEU 0-100
    assert lo <= primary <= hi or not adapter.metrics[adapter.metric]
    if "ensemble_of" in result.training:  # born_again/ensemble trains nothing: it averages trained generations
        assert len(result.training["members"]) == len(result.training["ensemble_of"]) >= 1
    else:
        assert result.training["steps"] >= 1 and math.isfinite(result.training["final_loss"])
    assert result.speed == {} and result.memory == {}  # speed: once per architecture, in the card's speed job
    assert result.size["params"] > 0
    assert result.env["torch"] and result.env["device"] == "cpu"
    if build_method(method).teacher_needed() == "fixed":
        assert result.config["teacher_training"]["cache_path"]
    outputs = result.training["teacher_outputs"]  # where the teacher's outputs came from (teacher_outputs.py)
    assert outputs["source"] in ("cache", "online", "none") and (outputs["source"] == "cache" or outputs["reason"])
    if outputs["source"] == "cache":
        assert outputs["dtype"] == "float16" and len(outputs["sha256"]) == 64 and outputs["path"].endswith("tensors")
    if adapter.registry_name in OUTPUT_UNITS:  # cost depends on the output: its count is recorded
        count = result.quality["output_count"]
        assert count["unit"] == OUTPUT_UNITS[adapter.registry_name] and count["per_sample"] >= 0


#: tasks whose inference cost depends on the output -> the unit of ``quality.output_count``
OUTPUT_UNITS = {"translation": "tokens", "detection": "boxes"}


@pytest.mark.parametrize("card", CARDS)
def test_speed_job_times_every_architecture_once(card: str, tmp_path_factory) -> None:
    cache = str(tmp_path_factory.getbasetemp() / "contract-cache")
    c = load_card(card)
    archs = [c.teacher.name, *(s.name for s in c.students)]
    job = replace(smoke_job(card, "teacher", None, cache), role="speed", model_name=SPEED_MODEL_NAME, models=archs)
    job = replace(job, job_id="")  # recomputed for the speed job
    result = run_job(job)
    assert result.status == "ok" and result.role == "speed" and result.model_name == SPEED_MODEL_NAME
    speed = result.speed
    assert speed["interleaved"] is True and speed["teacher"] == c.teacher.name
    assert sorted(speed["models"]) == sorted(result.memory["models"]) == sorted(result.size["models"]) == sorted(archs)
    assert sorted(speed["speedup"]) == sorted(archs[1:])
    for name, m in speed["models"].items():
        assert m["throughput"] > 0 and m["latency_p50_ms"] > 0 and m["throughput_unit"].endswith("/s"), name
        assert len(m["throughput_samples"]) == len(m["latency_samples_ms"]) == 1  # the smoke protocol: one repeat
        if name == c.teacher.name and is_blackbox(c.teacher.model):  # outputs only: no parameters to count
            assert result.size["models"][name]["params"] == 0
            continue
        assert result.size["models"][name]["params"] > 0 and result.size["models"][name]["bytes_on_disk"] > 0
    task = TASKS.get(c.task).registry_name
    if task == "translation":
        # smoke-trained models may stop at once: the rates exist, their size depends on what is generated
        assert all(m["tokens_per_s"] >= 0 and m["beam"]["tokens_per_s"] >= 0 for m in speed["models"].values())
        assert all(m["generated_tokens_per_sentence"] >= 0 for m in speed["models"].values())
    if task == "detection":
        assert all(m["boxes_per_image"] >= 0 for m in speed["models"].values())


def test_teacher_is_cached_and_reused(tmp_path) -> None:
    first = run_job(smoke_job("digits", "teacher", None, str(tmp_path)))
    second = run_job(smoke_job("digits", "teacher", None, str(tmp_path)))
    assert first.training["cached"] is False and second.training["cached"] is True
    assert first.training["cache_path"] == second.training["cache_path"]
    assert first.quality["accuracy"] == second.quality["accuracy"]  # the same weights


def test_same_seed_same_student(tmp_path) -> None:
    a = run_job(smoke_job("digits", "student", "kd", str(tmp_path), seed=3))
    b = run_job(smoke_job("digits", "student", "kd", str(tmp_path), seed=3))
    assert a.training["final_loss"] == pytest.approx(b.training["final_loss"], rel=1e-6)
    assert a.job_id == b.job_id
