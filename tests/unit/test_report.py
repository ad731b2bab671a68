"""Leaderboard table model and report writers, on synthetic result records with known numbers."""

from __future__ import annotations

import csv
import io
import json
import math
from typing import Any

import pytest

from distillbench.errors import ResultsError, UnknownNameError
from distillbench.report import table, writers
from distillbench.report.table import Leaderboard, build_leaderboards
from distillbench.report.writers import parse_json, write_csv, write_html, write_json, write_latex, write_markdown

TASK = "digits"


def record(
    role: str,
    model: str,
    method: str | None,
    seed: int,
    acc: float,
    throughput: float,
    *,
    task: str = TASK,
    status: str = "ok",
    spec: str | None = None,
    gpu_mb: float | None = None,
) -> dict[str, Any]:
    memory: dict[str, Any] = {"peak_rss_mb": 500.0 + seed}
    if gpu_mb is not None:
        memory["peak_allocated_mb"] = gpu_mb
    return {
        "schema_version": 1,
        "job_id": f"{task}/{role}/{model}/{method}/{seed}",
        "suite": "test",
        "task": task,
        "task_version": 1,
        "role": role,
        "model_name": model,
        "model_spec": spec or f"local:{model}",
        "method": method,
        "seed": seed,
        "status": status,
        "error": None if status == "ok" else "Traceback ...\nRuntimeError: CUDA out of memory",
        "primary_metric": "accuracy",
        "quality": {"accuracy": acc, "macro_f1": acc - 0.01, "accuracy_ci95": [acc - 0.02, acc + 0.02]},
        "higher_is_better": {"accuracy": True, "macro_f1": True},
        "speed": {
            "throughput": throughput,
            "throughput_unit": "images/s",
            "throughput_batch_size": 256,
            "latency_p50_ms": 2.0,
            "device": "cpu",
            "precision": "fp32",
        },
        "memory": memory,
        "size": {"params": 1_234_567 if role == "teacher" else 45_600, "mflops_per_sample": 12.5},
        "training": {"wall_time_s": 1.0},
        "env": {"git_sha": "abc1234", "torch": "2.3.0", "device_name": "x86"},
    }


def synthetic() -> list[dict[str, Any]]:
    recs = [record("teacher", "big", None, 0, 0.98, 1000.0)]
    for seed, acc in enumerate([0.90, 0.91, 0.92]):
        recs.append(record("student", "small", "no_kd", seed, acc, 4000.0))
    for seed, acc in enumerate([0.92, 0.93, 0.94]):
        recs.append(record("student", "small", "kd", seed, acc, 4000.0 + 100 * seed))
    recs.append(record("student", "small", "dkd", 0, 0.5, 1.0, status="failed"))
    recs.append(record("student", "res_net", "no_kd", 0, 0.85, 2000.0))
    recs.append(record("student", "<script>alert(1)</script>", "at", 0, 0.80, 3000.0))
    recs.append(record("teacher", "other_teacher", None, 0, 0.5, 10.0, task="another"))
    return recs


@pytest.fixture
def boards() -> list[Leaderboard]:
    return build_leaderboards(synthetic())


def rows_by(board: Leaderboard) -> dict[tuple[str, str | None], table.Row]:
    return {(r.model, r.method): r for r in board.rows}


def test_tasks_are_separated(boards: list[Leaderboard]) -> None:
    assert [b.task for b in boards] == ["another", TASK]
    assert [r.model for r in boards[0].rows] == ["other_teacher"]
    assert "other_teacher" not in {r.model for r in boards[1].rows}


def test_aggregates_over_seeds(boards: list[Leaderboard]) -> None:
    board = boards[1]
    assert board.primary_metric == "accuracy" and board.higher_is_better
    rows = rows_by(board)
    base, kd, teacher = rows[("small", "no_kd")], rows[("small", "kd")], rows[("big", None)]
    assert base.mean == pytest.approx(0.91) and base.std == pytest.approx(0.01) and base.n == 3
    assert kd.mean == pytest.approx(0.93) and kd.std == pytest.approx(0.01) and kd.seeds == [0, 1, 2]
    assert teacher.n == 1 and teacher.std is None and teacher.method is None and teacher.method_label == "—"
    assert kd.secondary["macro_f1"] == pytest.approx(0.92)
    assert board.secondary == ["macro_f1"]  # accuracy_ci95 (a list) is not a metric
    assert kd.peak_memory_mb == pytest.approx(501.0) and kd.peak_memory_source == "rss"
    assert teacher.params == 1_234_567 and teacher.mflops == 12.5 and teacher.latency_p50_ms == 2.0


def test_delta_and_speedup(boards: list[Leaderboard]) -> None:
    rows = rows_by(boards[1])
    kd = rows[("small", "kd")]
    # 0.92/0.93/0.94 vs 0.90/0.91/0.92: Δ 0.02, se = sqrt(2 * 0.0001 / 3), t = 2.449 on 4 df: p = 0.0704
    assert kd.delta == pytest.approx(0.93 - 0.91) and kd.p_value == pytest.approx(0.0704, abs=1e-4)
    assert kd.verdict == "no clear difference" and kd.delta_ci95[0] < 0 < kd.delta_ci95[1]
    assert rows[("small", "no_kd")].delta is None and rows[("big", None)].delta is None
    # one speed per architecture: the median of small's 6 jobs (4000 x 4, 4100, 4200), on every row of it
    assert kd.throughput == rows[("small", "no_kd")].throughput == pytest.approx(4000.0)
    assert kd.throughput_unit == "images/s" and kd.speed_source == "pooled"
    assert kd.speedup == pytest.approx(4000.0 / 1000.0) and kd.speedup_ci95 is None
    assert rows[("big", None)].speedup == pytest.approx(1.0)
    assert rows[("res_net", "no_kd")].speedup == pytest.approx(2.0)
    # a student without its own no_kd run gets no Δ (never another model's baseline)
    assert rows[("<script>alert(1)</script>", "at")].delta is None
    assert any("no no_kd result for <script>" in n for n in boards[1].notes)


def test_verdict_follows_metric_direction_and_needs_significance() -> None:
    recs = [record("student", "s", "no_kd", i, v, 1.0) for i, v in enumerate((0.30, 0.31, 0.32))]
    recs += [record("student", "s", "kd", i, v, 1.0) for i, v in enumerate((0.20, 0.21, 0.22))]
    recs += [record("student", "s", "at", 0, 0.10, 1.0)]
    for r in recs:
        r["primary_metric"], r["higher_is_better"] = "wer", {"wer": False}
        r["quality"] = {"wer": r["quality"]["accuracy"]}
    (board,) = build_leaderboards(recs)
    kd, at = rows_by(board)[("s", "kd")], rows_by(board)[("s", "at")]
    # Δ -0.10, se = sqrt(2 * 0.0001 / 3) = 0.008165: t = -12.25 on 4 df, p = 0.00026; lower WER is better
    assert kd.delta == pytest.approx(-0.10) and kd.p_value == pytest.approx(2.56e-4, rel=0.02)
    assert kd.verdict == "better"
    assert at.delta == pytest.approx(-0.21) and at.p_value is None and at.verdict == "n=1: no verdict"
    text = write_markdown([board])
    assert "| -10.00 | [-12.27, -7.73] | &lt;0.001 | better |" in text and "wer (%) ↓" in text
    assert "| n=1: no verdict |" in text
    assert "KD helped significantly: s/kd (-10.00 pp, p<0.001)" in board.summary["text"]
    assert rows_by(build_leaderboards(recs, alpha=0.0001)[0])[("s", "kd")].verdict == "no clear difference"


def test_row_order_and_failed_jobs(boards: list[Leaderboard]) -> None:
    board = boards[1]
    assert [(r.model, r.method) for r in board.rows] == [
        ("big", None),
        ("<script>alert(1)</script>", "at"),
        ("res_net", "no_kd"),
        ("small", "no_kd"),
        ("small", "kd"),
    ]
    assert board.failed == 1 and ("small", "dkd") not in rows_by(board)
    assert "RuntimeError: CUDA out of memory" in board.failures[0]
    assert any(n.startswith("failed jobs (not shown): 1") for n in board.notes)
    assert "device: cpu (x86)" in board.notes and "precision: fp32" in board.notes


def test_rerun_success_replaces_failure() -> None:
    recs = [record("student", "s", "kd", 0, 0.5, 1.0, status="failed"), record("student", "s", "kd", 0, 0.7, 1.0)]
    (board,) = build_leaderboards(recs)
    assert board.failed == 0 and board.rows[0].mean == pytest.approx(0.7) and board.rows[0].n == 1


def test_task_versions_and_primary_metric_never_mix() -> None:
    old, new = record("teacher", "t", None, 0, 0.8, 1.0), record("teacher", "t", None, 0, 0.9, 1.0)
    old["job_id"], new["task_version"] = "old", 2
    assert [(b.title, b.rows[0].mean) for b in build_leaderboards([old, new])] == [
        ("digits (v1)", 0.8),
        ("digits (v2)", 0.9),
    ]
    new["task_version"], new["primary_metric"] = 1, "macro_f1"
    with pytest.raises(ResultsError, match="primary metric"):
        build_leaderboards([old, new])


def test_gpu_memory_preferred() -> None:
    (board,) = build_leaderboards([record("teacher", "t", None, 0, 0.9, 1.0, gpu_mb=1234.0)])
    assert board.rows[0].peak_memory_mb == 1234.0 and board.rows[0].peak_memory_source == "gpu_allocated"


def test_cpu_memory_is_weights_plus_rss_growth_not_the_framework() -> None:
    rec = record("student", "s", "kd", 0, 0.9, 1.0)
    rec["memory"] = {"peak_rss_mb": 930.0, "rss_delta_mb": 3.5}  # the process peak counts torch itself
    rec["size"] = {"bytes_on_disk": 2 * 2**20, "params": 10}
    (board,) = build_leaderboards([rec])
    assert board.rows[0].peak_memory_mb == pytest.approx(5.5) and board.rows[0].peak_memory_source == "cpu_model"
    rec["memory"]["rss_delta_mb"] = -1.0  # the allocator gave memory back during the pass: weights only
    (board,) = build_leaderboards([rec])
    assert board.rows[0].peak_memory_mb == pytest.approx(2.0)
    assert any("state-dict bytes" in n for n in board.notes)


def test_reference_rows_come_from_the_teacher_record_and_are_not_students() -> None:
    teacher = record("teacher", "t", None, 0, 0.95, 100.0)
    teacher["quality"]["reference"] = {"tfidf_lr": {"accuracy": 0.78, "macro_f1": 0.77, "C": 10.0}}
    recs = [teacher, record("student", "s", "no_kd", 0, 0.70, 400.0), record("student", "s", "kd", 0, 0.75, 400.0)]
    (board,) = build_leaderboards(recs)
    assert [(r.role, r.model, r.method) for r in board.rows] == [
        ("teacher", "t", None),
        ("reference", "tfidf_lr", None),
        ("student", "s", "no_kd"),
        ("student", "s", "kd"),
    ]
    ref = board.references()[0]
    assert ref.mean == 0.78 and ref.delta is None and ref.speedup is None and ref.throughput is None
    assert [r.model for r in board.students()] == ["s", "s"]
    assert board.best("accuracy") == 0.75  # the reference is never the best student
    assert any("sanity floors" in n for n in board.notes)
    assert "| tfidf_lr | reference | — | 78.00 (n=1) |" in write_markdown([board])


def test_text_speed_notes_state_inputs_and_tokens_per_second() -> None:
    recs = [record("teacher", "t", None, 0, 0.9, 100.0), record("student", "s", "kd", 0, 0.8, 400.0)]
    recs += [record("student", "s", "kd", 1, 0.8, 400.0)]
    for r, rate in zip(recs, (2700.0, 10000.0, 12000.0), strict=True):
        r["speed"].update(tokens_per_s=rate, inputs="test sentences, truncated at 64 tokens, dynamic padding")
    (board,) = build_leaderboards(recs)
    assert "speed inputs: test sentences, truncated at 64 tokens, dynamic padding" in board.notes
    assert "throughput in tokens/s (real tokens, padding excluded), per architecture: t 2,700, s 11,000" in board.notes


def test_conflicting_model_spec_raises() -> None:
    recs = [record("student", "s", "kd", 0, 0.9, 1.0), record("student", "s", "kd", 1, 0.9, 1.0, spec="hf:other")]
    with pytest.raises(ResultsError, match=r"different model specs.*local:s.*hf:other"):
        build_leaderboards(recs)


def test_markdown(boards: list[Leaderboard]) -> None:
    text = write_markdown(boards)
    assert "## digits" in text and "## another" in text
    assert "| 91.00 ± 1.00 (n=3) |" in text
    assert "93.00 ± 1.00 (n=3)" in text and "98.00 (n=1)" in text  # n=1: no ±
    assert "| +2.00 | [-0.27, +4.27] | 0.07 | no clear difference |" in text
    assert "**Summary:** teacher big 98.00%; best student small/kd 93.00% (94.9% of the teacher's quality)" in text
    assert "accuracy (%) ↑" in text and "Δ accuracy vs no_kd (pp)" in text
    assert "1.23M" in text and "45.6K" in text and "4,000.0 images/s" in text and "4.00x" in text and "1.00x" in text
    assert "- failed jobs (not shown): 1" in text
    assert "<script>" not in text


def test_csv_round_trip(boards: list[Leaderboard]) -> None:
    rows = list(csv.DictReader(io.StringIO(write_csv(boards))))
    assert {r["task"] for r in rows} == {"digits", "another"}
    summary = next(r for r in rows if r["role"] == "summary" and r["task"] == TASK)
    assert (summary["model"], summary["method"]) == ("small", "kd")
    assert float(summary["quality_kept_pct"]) == pytest.approx(93 / 0.98)
    assert "no KD method helped significantly" in summary["summary"]
    kd = next(r for r in rows if r["model"] == "small" and r["method"] == "kd" and r["role"] == "student")
    assert float(kd["p_value"]) == pytest.approx(0.0704, abs=1e-4) and kd["verdict"] == "no clear difference"
    assert float(kd["delta_ci95_lo"]) < 0 < float(kd["delta_ci95_hi"])
    expected = rows_by(boards[1])[("small", "kd")]
    assert float(kd["mean"]) == expected.mean and float(kd["std"]) == expected.std and int(kd["n"]) == 3
    assert float(kd["delta"]) == expected.delta and float(kd["speedup"]) == expected.speedup
    assert float(kd["quality.macro_f1"]) == expected.secondary["macro_f1"]
    teacher = next(r for r in rows if r["model"] == "big")
    assert teacher["method"] == "" and teacher["std"] == "" and teacher["delta"] == ""


def test_latex(boards: list[Leaderboard]) -> None:
    text = write_latex(boards)
    assert text.count(r"\toprule") == 2 and r"\midrule" in text and r"\bottomrule" in text
    assert r"res\_net" in text and "res_net" not in text
    assert r"\caption{distillbench leaderboard: digits}" in text
    assert r"\textbf{93.00 $\pm$ 1.00 (n=3)}" in text  # best student accuracy
    assert r"\textbf{98.00" not in text  # the teacher is never bold
    assert r"accuracy (\%)" in text and r"\textless{}script\textgreater{}" in text


def test_latex_escape_all_specials() -> None:
    assert writers.latex_escape("a_b%c&d#e$f{g}h~i^j\\k") == (
        r"a\_b\%c\&d\#e\$f\{g\}h\textasciitilde{}i\textasciicircum{}j\textbackslash{}k"
    )


def test_html_escapes(boards: list[Leaderboard]) -> None:
    text = write_html(boards)
    assert "<script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert text.startswith("<!DOCTYPE html>") and "<style>" in text and text.count("<table>") == 2
    assert "http" not in text  # self-contained


def test_json_round_trip(boards: list[Leaderboard]) -> None:
    boards[1].rows[0].latency_p50_ms = math.nan
    text = write_json(boards)
    data = json.loads(text)  # strict JSON: NaN became null
    assert data["leaderboards"][1]["rows"][0]["latency_p50_ms"] is None
    back = parse_json(text)
    boards[1].rows[0].latency_p50_ms = None
    assert back == boards


def test_empty() -> None:
    assert build_leaderboards([]) == []
    assert "No results." in write_markdown([]) and write_csv([]).count("\n") == 1


def test_registry_render_and_write(boards: list[Leaderboard], tmp_path) -> None:
    assert writers.render(boards, "md") == write_markdown(boards)
    paths = writers.write_reports(boards, tmp_path / "report", ["md", "csv", "tex", "html", "json"])
    assert [p.name for p in paths] == [f"leaderboard.{e}" for e in ("md", "csv", "tex", "html", "json")]
    assert paths[0].read_text(encoding="utf-8") == write_markdown(boards)


def test_unknown_format(boards: list[Leaderboard], tmp_path) -> None:
    from distillbench.registry import WRITERS

    with pytest.raises(UnknownNameError, match=r"xlsx.*Known report formats: csv, html, json, md, tex"):
        WRITERS.get("xlsx")
    with pytest.raises(UnknownNameError, match="Did you mean 'html'"):
        writers.write_reports(boards, tmp_path, ["md", "htm"])
    assert not (tmp_path / "leaderboard.md").exists()  # names are checked before anything is written


@pytest.mark.parametrize(
    ("metric", "fraction"),
    [("accuracy", True), ("macro_f1", True), ("wer", True), ("map", True), ("ap50", True), ("ap75", True),
     ("ap_small", True), ("ar100", True), ("bleu", False), ("chrf", False), ("rtf", False), ("apple", False)],
)  # fmt: skip
def test_fraction_metrics_are_shown_in_percent(metric: str, fraction: bool) -> None:
    assert table.is_fraction_metric(metric) is fraction


def test_a_hybrid_method_says_so_in_its_row_summary_and_notes() -> None:
    # tinybert is registered with a caveat (DistillMethod.caveat_tag / caveat); kd is a method as published
    recs = [record("student", "s", "no_kd", i, v, 1.0) for i, v in enumerate((0.30, 0.31, 0.32))]
    recs += [record("student", "s", "tinybert", i, v, 1.0) for i, v in enumerate((0.40, 0.41, 0.42))]
    recs += [record("student", "s", "kd", 0, 0.35, 1.0)]
    (board,) = build_leaderboards(recs)
    assert rows_by(board)[("s", "tinybert")].method_label == "tinybert (hybrid)"
    assert rows_by(board)[("s", "kd")].method_label == "kd"
    assert "s/tinybert (hybrid) (+10.00 pp" in board.summary["text"]
    (note,) = [n for n in board.notes if n.startswith("tinybert (hybrid): ")]
    assert "not TinyBERT as published" in note and "MiniLM" in note
    assert "| s | student | tinybert (hybrid) |" in write_markdown([board])
