"""Plots: the Pareto front and the PNG/SVG files per task, from the committed real run."""

from __future__ import annotations

from pathlib import Path

import pytest

from distillbench.report import build_leaderboards
from distillbench.report.plots import PLOT_KINDS, inline_svg, pareto_front, write_plots
from distillbench.results import read_results
from tests.conftest import REAL_RUN


def test_pareto_front() -> None:
    # (quality, throughput): b dominates d; a is best in quality, c in throughput
    points = [(0.95, 10.0), (0.90, 100.0), (0.80, 1000.0), (0.85, 50.0), (0.90, 100.0)]
    assert pareto_front(points) == [0, 1, 2, 4]  # ties are both kept
    assert pareto_front([(0.1, 10.0), (0.2, 5.0)], higher_quality_is_better=False) == [0]
    assert pareto_front([]) == []


def test_write_plots_png_and_svg(tmp_path: Path) -> None:
    boards = build_leaderboards(read_results(REAL_RUN).records)
    paths = write_plots(boards, tmp_path)
    names = sorted(p.name for p in paths)
    assert names == sorted(f"image_classification-{k}.{e}" for k in PLOT_KINDS for e in ("png", "svg"))
    for p in paths:
        data = p.read_bytes()
        assert len(data) > 5000
        assert data.startswith(b"\x89PNG") if p.suffix == ".png" else b"<svg" in data
    svg = inline_svg(boards[0], "quality-vs-throughput")
    assert svg.startswith("<svg") and "Pareto front" in svg
    assert "http" not in svg and "<metadata>" not in svg  # self-contained, embeddable


def test_plots_escape_nothing_dangerous() -> None:
    from tests.unit.test_report import record

    recs = [record("teacher", "<script>alert(1)</script>", None, 0, 0.9, 100.0)]
    recs.append(record("student", "s", "no_kd", 0, 0.8, 1000.0))
    svg = inline_svg(build_leaderboards(recs)[0], "quality-vs-throughput")
    assert "<script" not in svg


@pytest.mark.parametrize("kind", PLOT_KINDS)
def test_empty_board_still_plots(kind: str) -> None:
    from tests.unit.test_report import record

    rec = record("teacher", "t", None, 0, 0.9, 100.0)
    rec["speed"], rec["size"] = {}, {}
    assert inline_svg(build_leaderboards([rec])[0], kind).startswith("<svg")
