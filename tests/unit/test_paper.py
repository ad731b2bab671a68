"""Paper tables: the committed baselines parse and cite their papers; published vs reproduced on a real run."""

from __future__ import annotations

from pathlib import Path

import pytest

from distillbench.errors import ConfigError
from distillbench.report import build_leaderboards
from distillbench.report.paper import (
    build_paper_tables,
    data_settings,
    load_baselines,
    render_latex,
    render_markdown,
)
from distillbench.results import read_results
from tests.conftest import REAL_RUN, ROOT


def test_every_baseline_cites_its_paper_and_table() -> None:
    baselines = load_baselines(ROOT / "baselines")
    assert len(baselines) >= 3
    for b in baselines:
        assert {"task", "dataset", "teacher", "student", "metric", "matches"} <= set(b.setting)
        for e in b.entries:
            paper = e["paper"]  # an arXiv id, or (for a paper without one, e.g. MLKD) its venue
            assert (paper.get("arxiv") or paper.get("venue")) and paper["title"] and paper["table"] and e["values"]
            assert e["verified"] is False or e.get("source"), f"{b.path}: a verified entry names where it was checked"
            assert e["verified"] is True or e.get("note") or e.get("checked"), f"{b.path}: an unverified entry says why"
            assert isinstance(e["checked_against_paper_table"], bool) and e["checked"], b.path
    cifar = next(b for b in baselines if b.setting["dataset"].startswith("CIFAR-100"))
    crd = next(e for e in cifar.entries if "Contrastive" in e["paper"]["title"])
    assert crd["values"] == {"teacher": 79.42, "no_kd": 72.50, "kd": 73.33, "fitnet": 73.50, "at": 73.44, "crd": 75.51}


def test_bad_baseline_file(tmp_path: Path) -> None:
    (tmp_path / "b.yaml").write_text("setting: {task: x}\nentries:\n  - values: {kd: 1}\n")
    with pytest.raises(ConfigError, match=r"b.yaml: an entry lacks"):
        load_baselines(tmp_path)
    with pytest.raises(ConfigError, match="no baselines directory"):
        load_baselines(tmp_path / "missing")


def test_paper_table_from_the_real_default_run() -> None:
    """The embedded MNIST run against CIFAR-100: a different setting, shown as context with no Δ anywhere."""
    loaded = read_results(REAL_RUN)
    tables = build_paper_tables(build_leaderboards(loaded.records), load_baselines(ROOT / "baselines"),
                                data_settings(loaded.records))  # fmt: skip
    (table,) = tables
    assert table.match == "closest" and table.student == "cnn-w8"
    md = render_markdown(tables)
    assert "different setting, context only (no Δ)" in md and "CIFAR-100" in md and "real MNIST" in md
    assert "| Δ |" not in md and "Δ =" not in md  # no cross-setting difference of any kind
    kd = next(r for r in table.rows if r.method == "kd" and "Tian" in r.source)
    assert kd.published == 73.33 and kd.published_gain == pytest.approx(0.83)
    assert kd.reproduced_value == pytest.approx(93.0) and kd.reproduced_gain == pytest.approx(93.0 - 87.4667, abs=0.01)
    assert all(r.delta is None for r in table.rows)
    assert "| **77.08** |" in md  # best published student value in bold (MLKD)
    assert "**93.00 ± 0.10 (n=3)**" in md
    # each entry says whether it was checked against the paper's own table, and where
    assert "Table 1 (teacher and student of the same architectural type) † |" in md
    assert (
        "Table 1 (teacher and student of the same architectural type) †: not checked against the paper's own "
        "table; the authors' README table" in md
    )
    tex = render_latex(tables)
    assert r"\toprule" in tex and r"\bottomrule" in tex and r"\textbf{77.08}" in tex and r"$\Delta$" in tex
    assert r"no\_kd" in tex and r"{llrrllrr}" in tex and r"\textdagger{}" in tex


def test_same_setting_has_a_delta() -> None:
    """The same run relabelled as the published card's task: Δ = reproduced − published, row by row."""
    records = [{**r, "task": "paper-cifar100-resnet32x4-resnet8x4"} for r in read_results(REAL_RUN).records]
    (table,) = build_paper_tables(build_leaderboards(records), load_baselines(ROOT / "baselines"))
    assert table.match == "same"
    kd = next(r for r in table.rows if r.method == "kd" and "Tian" in r.source)
    assert kd.delta == pytest.approx(93.0 - 73.33)
    assert next(r for r in table.rows if r.method == "crd").delta is None  # not run: no Δ
    md = render_markdown([table])
    assert "— same setting" in md and "| Δ |" in md and "+19.67 |" in md
    assert r"{llrrllrrr}" in render_latex([table])


def test_baseline_entry_must_say_where_it_was_checked(tmp_path: Path) -> None:
    entry = "  - {paper: {title: t, authors: A B, year: 1, table: T1}, values: {kd: 1}, verified: false"
    (tmp_path / "b.yaml").write_text(f"setting: {{task: x}}\nentries:\n{entry}}}\n")
    with pytest.raises(ConfigError, match="lacks checked_against_paper_table, checked"):
        load_baselines(tmp_path)
    (tmp_path / "b.yaml").write_text(
        f"setting: {{task: x}}\nentries:\n{entry}, checked_against_paper_table: maybe, checked: here}}\n"
    )
    with pytest.raises(ConfigError, match="must be true/false"):
        load_baselines(tmp_path)
