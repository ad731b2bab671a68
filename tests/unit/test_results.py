from __future__ import annotations

import json

import pytest

from distillbench.errors import ResultsError
from distillbench.results import (
    SCHEMA_VERSION,
    Result,
    append_result,
    completed_job_ids,
    load_results_frame,
    read_results,
)


def _result(job_id: str, status: str = "ok", acc: float = 0.9) -> Result:
    return Result(
        job_id=job_id,
        suite="s",
        task="t",
        task_version=1,
        role="student",
        model_name="m",
        model_spec="local:cnn",
        method="kd",
        seed=0,
        status=status,
        quality={"accuracy": acc},
    )


def test_append_and_read_round_trip(tmp_path) -> None:
    path = tmp_path / "run" / "results.jsonl"
    append_result(path, _result("a"))
    append_result(path, _result("b", acc=0.5))
    loaded = read_results(path)
    assert [r["job_id"] for r in loaded.records] == ["a", "b"]
    assert loaded.records[1]["quality"]["accuracy"] == 0.5
    assert loaded.problems == []
    assert read_results(tmp_path / "run").records == loaded.records  # a run directory works too
    assert Result.from_dict(loaded.records[0]) == _result("a").__class__(**loaded.records[0])


def test_corrupt_lines_are_reported_with_line_numbers_and_skipped(tmp_path) -> None:
    path = tmp_path / "results.jsonl"
    append_result(path, _result("a"))
    with open(path, "a") as f:
        f.write('{"job_id": "broken", "quality": {\n')  # line 2: truncated JSON
        f.write("[1, 2]\n")  # line 3: not an object
        f.write(json.dumps({"job_id": "x"}) + "\n")  # line 4: missing fields
        f.write(json.dumps({**_result("old").to_dict(), "schema_version": SCHEMA_VERSION + 1}) + "\n")
    append_result(path, _result("c"))
    loaded = read_results(path, warn=False)
    assert [r["job_id"] for r in loaded.records] == ["a", "c"]
    assert len(loaded.problems) == 4
    assert f"{path}:2: corrupt line skipped" in loaded.problems[0]
    assert f"{path}:3:" in loaded.problems[1]
    assert f"{path}:4: record missing" in loaded.problems[2]
    assert "schema version" in loaded.problems[3]


def test_append_after_a_torn_last_line_starts_a_new_line(tmp_path) -> None:
    path = tmp_path / "results.jsonl"
    append_result(path, _result("a"))
    with open(path, "a") as f:
        f.write('{"job_id": "torn", "sta')  # a crash mid-write, no newline
    append_result(path, _result("b"))
    loaded = read_results(path, warn=False)
    assert [r["job_id"] for r in loaded.records] == ["a", "b"]
    assert len(loaded.problems) == 1


def test_completed_ids_skip_failed_jobs(tmp_path) -> None:
    path = tmp_path / "results.jsonl"
    append_result(path, _result("a"))
    append_result(path, _result("b", status="failed"))
    assert completed_job_ids(path) == {"a"}
    assert completed_job_ids(tmp_path / "none.jsonl") == set()


def test_missing_file_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(ResultsError, match="no results file"):
        read_results(tmp_path / "nothing")


def test_load_results_frame_flattens(tmp_path) -> None:
    path = tmp_path / "results.jsonl"
    append_result(path, _result("a", acc=0.75))
    df = load_results_frame(path)
    assert df.loc[0, "quality.accuracy"] == 0.75
    assert df.loc[0, "method"] == "kd"
