"""pytest-benchmark benches: every task card's teacher and student inference, and the runner's own overhead.

Models are built untrained (inference cost does not depend on the weights) from each card's specs, on
the card's smoke-size data, and timed through the adapter's ``infer`` at a fixed batch on CPU with one
thread — the same call measure.py times. ``paper-*`` cards (hub data) are skipped. The runner bench
times a resumed run of the ``quick`` suite whose jobs are all recorded: loading the suite, expanding
jobs, reading results and writing every leaderboard format — distillbench's overhead around the jobs.

Save a baseline, then gate a change on it (fails when a mean is more than 10 % slower)::

    .venv/bin/pytest benchmarks/bench_inference.py -p no:cacheprovider --benchmark-autosave
    .venv/bin/pytest benchmarks/bench_inference.py -p no:cacheprovider --benchmark-compare \\
        --benchmark-compare-fail=mean:10%

or compare two saved files with the significance test (add ``--benchmark-save-data`` when saving so the
per-round times are kept)::

    distillbench compare .benchmarks/*/0001_*.json .benchmarks/*/0002_*.json
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from pytest_benchmark.fixture import BenchmarkFixture

from distillbench.config import list_names, load_card
from distillbench.measure import fixed_threads
from distillbench.registry import TASKS, load_components
from distillbench.runner import run_suite

BATCH = 16
CARDS = [name for name in list_names("tasks") if not name.startswith("paper-")]


@pytest.mark.parametrize("role", ["teacher", "student"])
@pytest.mark.parametrize("card_name", CARDS)
def test_inference(benchmark: BenchmarkFixture, card_name: str, role: str) -> None:
    load_components()
    card = load_card(card_name)
    adapter = TASKS.get(card.task)(card)
    data = adapter.load_data(smoke=True)
    spec = card.teacher if role == "teacher" else card.students[0]
    torch.manual_seed(0)
    model = adapter.build_model(spec.model, data).eval()
    inputs = adapter.example_inputs(data, BATCH)
    benchmark.extra_info.update(card=card_name, role=role, model=spec.name, spec=spec.model, batch=BATCH)
    with fixed_threads(1), torch.inference_mode():
        benchmark(adapter.infer, model, inputs)


def test_runner_overhead(benchmark: BenchmarkFixture, tmp_path: Path) -> None:
    run_suite("quick", smoke=True, out_dir=tmp_path, isolate=False, show_progress=False)  # record every job once

    def resume() -> None:
        summary = run_suite("quick", smoke=True, out_dir=tmp_path, isolate=False, show_progress=False)
        assert summary.ran == 0 and summary.skipped == 3

    benchmark.pedantic(resume, rounds=5, iterations=1, warmup_rounds=1)
