"""The Python API: the custom-model example of docs/api.md as it stands there, and suites and cards given as data."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

import distillbench
from distillbench.api import leaderboard_frames, suite_file
from distillbench.errors import ConfigError
from distillbench.report import build_leaderboards
from distillbench.report.writers import render
from distillbench.results import read_results
from tests.conftest import REAL_RUN, ROOT

API_DOC = ROOT / "docs" / "api.md"
HEADING = "## A custom model in under 20 lines"


def docs_example() -> str:
    """The first python block after the heading of docs/api.md (the docs and this test cannot drift apart)."""
    section = API_DOC.read_text(encoding="utf-8").split(HEADING, 1)[1]
    found = re.search(r"^```python\n(.*?)^```$", section, flags=re.MULTILINE | re.DOTALL)
    assert found, f"no python block under {HEADING!r} in {API_DOC}"
    return found.group(1)


def test_the_custom_model_example_distils_and_prints_the_leaderboard(tmp_path: Path) -> None:
    code = docs_example()
    assert len(code.splitlines()) < 20  # what the heading promises
    # a fresh interpreter reading the code from stdin, like a notebook: the model exists only in this session
    proc = subprocess.run([sys.executable, "-"], input=code, cwd=tmp_path, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "local architecture tiny_mlp: defined in this session" in proc.stderr  # in-process, and it says so
    table = pd.read_fwf(io.StringIO(proc.stdout), dtype={"method": str}, keep_default_na=False)
    assert list(table.columns) == ["model", "method", "mean", "std", "n"]
    assert [tuple(r) for r in table[["model", "method", "n"]].astype(str).itertuples(index=False)] == [
        ("resnet-w16", "", "1"),
        ("tiny-mlp", "no_kd", "3"),
        ("tiny-mlp", "kd", "3"),
    ]
    assert all(0.0 <= float(m) <= 1.0 for m in table["mean"])
    written = yaml.safe_load((tmp_path / "runs" / "card-digits-smoke" / "config" / "tasks" / "digits.yaml").read_text())
    assert [s["model"] for s in written["students"]] == ["local:tiny_mlp(hidden=64)"]  # the card as it ran


def test_cards_and_suites_as_data_are_checked_and_written_beside_the_run(tmp_path: Path) -> None:
    card = distillbench.load_card("digits")
    card.student_train.epochs = 10
    given = {"name": "d10", "tasks": [{"card": card, "methods": ["no_kd"]}]}
    path = Path(suite_file(given, None, None, None, tmp_path, False))
    assert path == tmp_path / "d10" / "config" / "d10.yaml"
    suite = distillbench.load_suite(str(path))
    assert suite.tasks[0].methods == ["no_kd"]
    assert distillbench.load_card(suite.tasks[0].card).student_train.epochs == 10
    one = suite_file(None, "digits", ["no_kd", "kd"], None, tmp_path, True)  # card= by name: a suite of its own
    assert distillbench.load_suite(one).name == "card-digits" and one.startswith(str(tmp_path / "card-digits-smoke"))
    assert suite_file("quick", None, None, None, tmp_path, False) == "quick"  # names pass through


@pytest.mark.parametrize(
    ("suite", "card", "methods", "problem"),
    [
        ({"name": "x", "tasks": [{"card": {"name": "c", "task": "image_classification"}}]}, None, None, "missing"),
        ({"name": "x", "tasks": [{"card": "digits"}], "seedz": [0]}, None, None, "unknown key 'seedz'"),
        ({"tasks": []}, None, None, "needs a 'name'"),
        ("quick", "digits", None, "a suite or a card, not both"),
        ("quick", None, ["kd"], "methods= and students= go with card="),
        (None, 42, None, "a card is a name, a path, a dict or a TaskCard"),
    ],
)
def test_bad_suites_and_cards_fail_before_anything_runs(suite, card, methods, problem, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=re.escape(problem)):
        suite_file(suite, card, methods, None, tmp_path, False)
    assert not any(tmp_path.rglob("*.yaml"))


def test_the_leaderboard_frame_is_the_csv_leaderboard() -> None:
    records = read_results(REAL_RUN).records
    rows, summary = leaderboard_frames(records)
    csv = pd.read_csv(io.StringIO(render(build_leaderboards(records), "csv")))
    assert len(rows) + len(summary) == len(csv) and list(rows.columns) == list(csv.columns)
    assert set(summary["role"]) == {"summary"} and "summary" not in set(rows["role"])
    assert rows["n"].dtype == "Int64"  # counts stay integers
