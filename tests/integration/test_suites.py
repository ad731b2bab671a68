"""Every shipped suite in smoke mode, in-process: each job trains, is measured and is reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from distillbench.config import list_names, load_suite
from distillbench.runner import run_suite

# paper-* suites describe published settings with hub data and full-length training: they cannot
# run offline; tests/integration/test_paper.py runs their cards with tiny local stand-ins instead.
SUITES = [
    pytest.param(
        name,
        marks=pytest.mark.skip(reason="paper suite: hub data; code paths tested with local stand-ins in test_paper.py"),
    )
    if name.startswith("paper-")
    else pytest.param(
        name,
        marks=pytest.mark.skipif(
            not Path("/usr/share/datasets/fashion-mnist").is_dir(),
            reason="Debian's dataset-fashion-mnist is not installed (apt-get install dataset-fashion-mnist)",
        ),
    )
    if name == "fashion_mnist"
    else pytest.param(name, marks=pytest.mark.slow)  # real MiniLM/T5 compressed, pruned and fine-tuned: minutes
    if name.endswith("-compression")
    else name
    for name in list_names("benchmarks")
    if name != "full"  # in smoke mode (first seed only) it is the default suite: test_full_is_the_default_over_seeds
]


def test_full_is_the_default_over_seeds() -> None:
    """``full`` includes ``default`` and changes only the seeds, so its smoke run (first seed) is default's."""
    full, default = load_suite("full"), load_suite("default")
    assert full.tasks == default.tasks and full.measure == default.measure
    assert full.seeds == [0, 1, 2] and full.seeds[0] == default.seeds[0] == 0


@pytest.mark.parametrize("suite", SUITES)
def test_suite_runs_in_smoke_mode(suite: str, tmp_path) -> None:
    summary = run_suite(suite, smoke=True, out_dir=tmp_path, isolate=False, show_progress=False)
    assert summary.failed == 0, [r.error for r in summary.results if r.status != "ok"]
    cfg = load_suite(suite)
    assert summary.out_dir == tmp_path / f"{cfg.name}-smoke"
    assert {r.seed for r in summary.results if r.role == "student"} == {cfg.seeds[0]}  # smoke: first seed only
    for entry in cfg.tasks:
        assert any(r.role == "teacher" for r in summary.results)
        ran = {r.method.split("/")[0] for r in summary.results if r.role == "student"}  # born_again/gen1 -> born_again
        assert ran >= set(entry.methods or ["no_kd"])
    boards = json.loads((summary.out_dir / "leaderboard.json").read_text())["leaderboards"]
    assert len(boards) == len(cfg.tasks)
    assert all(r["smoke"] for r in (res.config for res in summary.results))
