"""Regression tracking (distillbench compare) on the committed real run and on planted changes."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from distillbench.compare import CompareError, compare_paths, compare_sets, load_result_set
from distillbench.report.compare_writers import render_json, render_markdown
from tests.conftest import REAL_RUN, ROOT

REAL = REAL_RUN


def records() -> list[dict[str, Any]]:
    return [json.loads(line) for line in REAL.read_text().splitlines() if line.strip()]


def dump(path: Path, recs: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))
    return path


def slower(recs: list[dict[str, Any]], factor: float = 0.8) -> list[dict[str, Any]]:
    out = copy.deepcopy(recs)
    for r in out:
        s = r["speed"]
        s["throughput"] *= factor
        if "throughput_repeats" in s:
            s["throughput_repeats"] = [v * factor for v in s["throughput_repeats"]]
    return out


def row(report: Any, group: str, metric: str) -> Any:
    return next(r for r in report.rows if r.group == group and r.metric == metric)


def test_planted_throughput_drop_is_a_regression(tmp_path: Path) -> None:
    report = compare_paths(REAL, dump(tmp_path / "new.jsonl", slower(records())))
    # speed is pooled over methods (same architecture), one sample per job: 5 methods x 3 seeds
    cnn = row(report, "student cnn-w8", "speed.throughput")
    assert cnn.verdict == "regression" and cnn.p_value is not None and cnn.p_value < 0.05
    assert cnn.rel_change == pytest.approx(-0.2) and cnn.base_n == cnn.new_n == 15
    assert report.regressions and all(r.metric == "speed.throughput" for r in report.regressions)
    # quality did not change: never flagged
    assert row(report, "student cnn-w8 / kd", "quality.accuracy").verdict == "unchanged"
    # the teacher is one job: its timing repeats are not independent samples -> inconclusive, not a false alarm
    teacher = row(report, "teacher resnet-w32", "speed.throughput")
    assert teacher.verdict == "inconclusive" and "too few samples" in teacher.reason


def test_repeats_within_one_process_are_not_independent_samples(tmp_path: Path) -> None:
    """3 seeds of one method: 3 jobs, so 3 samples however many repeats each job timed."""
    kd = [r for r in records() if r["role"] == "teacher" or r["method"] == "kd"]
    report = compare_paths(dump(tmp_path / "b.jsonl", kd), dump(tmp_path / "n.jsonl", slower(kd)))
    cnn = row(report, "student cnn-w8", "speed.throughput")
    assert cnn.base_n == cnn.new_n == 3 and cnn.verdict == "inconclusive" and "smallest possible p" in cnn.reason


def test_same_results_are_not_a_regression() -> None:
    report = compare_paths(REAL, REAL)
    assert not report.regressions and {r.verdict for r in report.rows} <= {"unchanged", "inconclusive"}


def test_same_code_with_noise_is_not_a_regression(tmp_path: Path) -> None:
    """A second run of the same code: every value jittered by up to ±3 % (below the 5 % threshold)."""
    import random

    rng = random.Random(0)
    recs = copy.deepcopy(records())
    for r in recs:
        s = r["speed"]
        s["throughput"] *= rng.uniform(0.97, 1.03)
        s["latency_p50_ms"] *= rng.uniform(0.97, 1.03)
    report = compare_paths(REAL, dump(tmp_path / "again.jsonl", recs))
    assert not report.regressions


def test_one_sample_is_inconclusive(tmp_path: Path) -> None:
    one = [r for r in records() if r["method"] == "kd" and r["seed"] == 0]
    for r in one:
        del r["speed"]["throughput_repeats"]
    base = dump(tmp_path / "base.jsonl", one)
    report = compare_paths(base, dump(tmp_path / "new.jsonl", slower(one, 0.5)))
    thr = row(report, "student cnn-w8", "speed.throughput")
    assert thr.verdict == "inconclusive" and thr.base_n == thr.new_n == 1 and "too few samples" in thr.reason
    assert not report.regressions


def test_different_tasks_have_no_common_task(tmp_path: Path) -> None:
    other = copy.deepcopy(records())
    for r in other:
        r["task"] = "sentiment"
    with pytest.raises(CompareError, match=r"no common task.*image_classification.*sentiment"):
        compare_paths(REAL, dump(tmp_path / "other.jsonl", other))


def test_other_schema_version_is_surfaced(tmp_path: Path) -> None:
    recs = copy.deepcopy(records())
    for r in recs:
        r["schema_version"] = 99
    with pytest.raises(CompareError, match="schema version 99"):
        load_result_set(dump(tmp_path / "v2.jsonl", recs))
    mixed = [*records()[:1], *recs[1:]]
    rs = load_result_set(dump(tmp_path / "mixed.jsonl", mixed))
    assert any("schema version 99" in p for p in rs.problems)
    report = compare_sets(load_result_set(REAL), rs)
    assert any("schema version 99" in n for n in report.notes)


def test_missing_fields_are_skipped_with_a_message(tmp_path: Path) -> None:
    recs = copy.deepcopy(records())
    del recs[1]["speed"]
    recs[2]["quality"].pop("accuracy")
    del recs[3]["higher_is_better"]
    report = compare_paths(REAL, dump(tmp_path / "holes.jsonl", recs))
    text = " ".join(report.notes)
    assert "speed.throughput missing" in text and "quality.accuracy missing" in text and "no quality metrics" in text
    with pytest.raises(CompareError, match="no valid results"):
        compare_paths(REAL, dump(tmp_path / "empty.jsonl", [{"task": "x"}]))


def test_html_injection_in_model_name_is_escaped(tmp_path: Path) -> None:
    recs = copy.deepcopy(records())
    for r in recs:
        r["model_name"] = "<img src=x onerror=alert(1)>|pipe"
    path = dump(tmp_path / "evil.jsonl", recs)
    md = render_markdown(compare_paths(path, path))
    assert "<img" not in md and "&lt;img src=x onerror=alert(1)&gt;\\|pipe" in md
    assert "<img src=x onerror=alert(1)>|pipe" in json.loads(render_json(compare_paths(path, path)))["rows"][0]["group"]


def bench_json(path: Path, times: dict[str, list[float]], with_data: bool = True) -> Path:
    import statistics

    benches = []
    for name, data in times.items():
        stats = {"mean": statistics.fmean(data), "stddev": statistics.stdev(data), "rounds": len(data)}
        if with_data:
            stats["data"] = data
        benches.append({"name": name, "fullname": f"benchmarks/bench_x.py::{name}", "stats": stats})
    path.write_text(json.dumps({"machine_info": {"node": "ci"}, "benchmarks": benches}))
    return path


def test_reads_pytest_benchmark_json(tmp_path: Path) -> None:
    fast = [0.010 + 0.0001 * i for i in range(10)]
    base = bench_json(tmp_path / "0001.json", {"test_a": fast, "test_b": fast})
    new = bench_json(tmp_path / "0002.json", {"test_a": [t * 1.25 for t in fast], "test_b": fast})
    report = compare_paths(base, new)
    verdicts = {r.group.split("::")[1]: r.verdict for r in report.rows}
    assert verdicts == {"test_a": "regression", "test_b": "unchanged"}
    summary_only = compare_paths(
        bench_json(tmp_path / "s1.json", {"test_a": fast}, with_data=False),
        bench_json(tmp_path / "s2.json", {"test_a": [t * 1.25 for t in fast]}, with_data=False),
    )
    assert summary_only.rows[0].verdict == "regression" and summary_only.rows[0].test.startswith("welch")
    (tmp_path / "bad.json").write_text('{"x": 1}')
    with pytest.raises(CompareError, match="not a pytest-benchmark JSON"):
        load_result_set(tmp_path / "bad.json")


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "distillbench.cli", *args], capture_output=True, text=True, cwd=ROOT)


def test_cli_exit_codes_and_outputs(tmp_path: Path) -> None:
    """The first call in a real process (its exit code reaches the shell); the rest in this one."""
    from tests.integration.test_cli import invoke

    new = dump(tmp_path / "new.jsonl", slower(records()))
    proc = cli("compare", str(REAL), str(new), "--md", str(tmp_path / "c.md"), "--json", str(tmp_path / "c.json"))
    assert proc.returncode == 1, proc.stderr
    assert "regression" in proc.stdout and "Traceback" not in proc.stderr
    assert (
        (tmp_path / "c.md").read_text().startswith("### ❌ distillbench: 1 regression(s)")
    )  # student cnn-w8 throughput
    assert json.loads((tmp_path / "c.json").read_text())["regression"] is True
    assert invoke("compare", str(REAL), str(new), "--no-fail").returncode == 0
    assert invoke("compare", str(REAL), str(new), "--speed-threshold", "0.25").returncode == 0
    same = invoke("compare", str(REAL), str(REAL), "--format", "json")
    assert same.returncode == 0 and json.loads(same.stdout)["regression"] is False
    other = dump(tmp_path / "other.jsonl", [{**r, "task": "sentiment"} for r in records()])
    bad = invoke("compare", str(REAL), str(other))
    assert bad.returncode == 2 and "no common task" in bad.stderr and "Traceback" not in bad.stderr
    assert invoke("compare", str(REAL), "/nonexistent").returncode == 2
    assert "Example" in invoke("compare", "--help").stdout


def test_large_pytest_benchmark_samples(tmp_path: Path) -> None:
    """Thousands of rounds a side (real pytest-benchmark files): no overflow in the exact-test power check."""
    import random

    rng = random.Random(1)

    def bench_file(name: str, scale: float) -> Path:
        data = [1e-4 * scale * rng.uniform(0.95, 1.05) for _ in range(1105)]
        stats = {"data": data, "mean": sum(data) / len(data), "stddev": 1e-6, "rounds": len(data)}
        blob = {"machine_info": {"node": "ci"}, "benchmarks": [{"fullname": "bench::test_x", "stats": stats}]}
        return Path(tmp_path / name).write_text(json.dumps(blob)) and tmp_path / name

    same = compare_paths(bench_file("a.json", 1.0), bench_file("b.json", 1.0))
    assert [r.verdict for r in same.rows] == ["unchanged"]
    slow = compare_paths(bench_file("c.json", 1.0), bench_file("d.json", 1.3))
    assert [r.verdict for r in slow.rows] == ["regression"] and slow.rows[0].base_n == 1105


def other_cpu(recs: list[dict[str, Any]], cpu: str = "Intel Xeon", factor: float = 0.7) -> list[dict[str, Any]]:
    """The same run as if measured on another CPU: env.cpu and device_name edited, every throughput x factor."""
    out = slower(recs, factor)
    for r in out:
        r["env"]["cpu"] = r["env"]["device_name"] = r["speed"]["device_name"] = cpu
    return out


def test_different_cpus_judge_quality_and_ratios_not_absolute_speed(tmp_path: Path) -> None:
    new = dump(tmp_path / "xeon.jsonl", other_cpu(records()))
    report = compare_paths(REAL, new)
    assert report.hardware_differs == "cpu AMD EPYC vs Intel Xeon"
    assert row(report, "student cnn-w8 / kd", "quality.accuracy").verdict == "unchanged"  # quality: judged
    absolute = row(report, "student cnn-w8", "speed.throughput")
    assert absolute.verdict == "not compared" and absolute.p_value is None
    assert absolute.reason == "different hardware (cpu AMD EPYC vs Intel Xeon)"
    assert absolute.rel_change == pytest.approx(-0.3)  # the numbers are still shown
    assert not report.regressions and all(r.verdict == "not compared" for r in report.rows if r.kind == "memory")
    # the within-run ratio (each job's throughput over the teacher's): the hardware cancels
    ratio = row(report, "student cnn-w8", "speed.speedup_vs_teacher")
    assert ratio.verdict == "unchanged" and ratio.base_n == ratio.new_n == 15 and ratio.p_value is not None
    assert ratio.base_mean == pytest.approx(ratio.new_mean)
    assert any("absolute speed and memory not compared" in n for n in report.notes)
    assert "not compared" in render_markdown(report) and '"hardware_differs": "cpu AMD EPYC' in render_json(report)
    forced = compare_paths(REAL, new, absolute_speed=True)
    assert row(forced, "student cnn-w8", "speed.throughput").verdict == "regression"
    assert any("compared anyway (--absolute-speed)" in n for n in forced.notes)
    from tests.integration.test_cli import invoke

    proc = invoke("compare", str(REAL), str(new), "--format", "json")
    assert proc.returncode == 0 and json.loads(proc.stdout)["counts"]["not compared"] > 0
    assert invoke("compare", str(REAL), str(new), "--absolute-speed").returncode == 1


def test_speed_record_ratios_across_cpus() -> None:
    """Schema-2 speed records: samples per interleaved repeat; a real student/teacher ratio change is judged."""
    from distillbench.compare import result_set
    from tests.unit.test_report_speed import schema2

    def run(cpu: str, ratio: float) -> list[dict[str, Any]]:
        recs = copy.deepcopy(schema2())
        for r in recs:
            r["env"]["cpu"] = r["env"]["device_name"] = cpu
        speed = next(r for r in recs if r["role"] == "speed")["speed"]
        speed["models"]["t5-d128"]["throughput_samples"] = [120.0, 122.0, 124.0, 126.0, 128.0]
        speed["speedup"]["t5-d128-dec1"]["samples"] = [ratio * (1 + d) for d in (-0.02, -0.01, 0.0, 0.01, 0.02)]
        return recs

    report = compare_sets(result_set(run("AMD EPYC", 2.0), "epyc"), result_set(run("Intel Xeon", 1.5), "xeon"))
    ratio = row(report, "student t5-d128-dec1", "speed.speedup_vs_teacher")
    assert ratio.verdict == "regression" and ratio.base_n == 5 and ratio.p_value == pytest.approx(2 / 252)
    assert row(report, "teacher t5-d128", "speed.throughput").verdict == "not compared"
    assert row(report, "student t5-d128-dec1 / seq_kd", "quality.bleu").verdict == "unchanged"
