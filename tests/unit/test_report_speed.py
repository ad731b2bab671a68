"""One speed per architecture (schema-2 speed records, schema-1 pooling), output counts, sanity and epoch notes."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from distillbench.report import architecture_speeds, build_leaderboards
from distillbench.report.writers import write_csv, write_html, write_latex, write_markdown

TASK = "translation"


def trained(role: str, model: str, method: str | None, seed: int, bleu: float, tokens: float) -> dict[str, Any]:
    """A schema-2 training record: no speed or memory figures, size.params kept, output count and selection."""
    return {
        "schema_version": 2,
        "job_id": f"{role}/{model}/{method}/{seed}",
        "task": TASK,
        "task_version": 2,
        "status": "ok",
        "role": role,
        "model_name": model,
        "model_spec": f"local:{model}",
        "method": method,
        "seed": seed,
        "primary_metric": "bleu",
        "higher_is_better": {"bleu": True},
        "quality": {
            "bleu": bleu,
            "selection": "best_val",
            "epochs": {"last": {"bleu": bleu - 0.1}, "best_val": {"epoch": 3, "bleu": bleu}, "val_curve": [1.0, 2.0]},
            "output_count": {"unit": "tokens", "per_sample": tokens, "total": int(tokens * 100)},
            **({"reference": {"copy_source": {"bleu": 0.10}}} if role == "teacher" else {}),
        },
        "speed": {},
        "memory": {},
        "size": {"params": 1_760_000 if role == "teacher" else 1_240_000},
        "env": {"device": "cpu", "device_name": "AMD EPYC", "cpu": "AMD EPYC", "torch": "2.14.1", "git_sha": "abc"},
    }


def model_speed(throughput: list[float], tokens_per_s: float) -> dict[str, Any]:
    return {
        "throughput": sorted(throughput)[len(throughput) // 2],
        "throughput_unit": "sentences/s",
        "batch_size": 16,
        "throughput_batch_size": 16,
        "latency_p50_ms": 1000.0 / throughput[0],
        "latency_p90_ms": 1100.0 / throughput[0],
        "latency_p99_ms": 1200.0 / throughput[0],
        "threads": 2,
        "device": "cpu",
        "precision": "fp32",
        "tokens_per_s": tokens_per_s,
        "throughput_samples": throughput,
        "latency_samples_ms": [1000.0 / t for t in throughput],
    }


def speed_record() -> dict[str, Any]:
    """The per-card speed record exactly as common.md specifies it (role "speed")."""
    return {
        "schema_version": 2,
        "job_id": "speed/translation",
        "task": TASK,
        "task_version": 2,
        "status": "ok",
        "role": "speed",
        "model_name": "(architectures)",
        "model_spec": "",
        "method": None,
        "seed": 0,
        "quality": {},
        "speed": {
            "interleaved": True,
            "teacher": "t5-d128",
            "protocol": {"repeats": 3},
            "models": {
                "t5-d128": model_speed([120.0, 125.0, 130.0], 2350.0),
                "t5-d128-dec1": model_speed([240.0, 250.0, 260.0], 7700.0),
            },
            "speedup": {
                "t5-d128-dec1": {
                    "mean": 2.0,
                    "ci95": [1.9, 2.1],
                    "n": 3,
                    "samples": [2.0, 2.0, 2.0],
                    "method": "t-interval of the mean log ratio over interleaved repeats",
                }
            },
        },
        "memory": {"models": {"t5-d128": {"rss_delta_mb": 10.0}, "t5-d128-dec1": {"rss_delta_mb": 4.0}}},
        "size": {
            "models": {
                "t5-d128": {"params": 1_760_000, "mflops_per_sample": 58.8, "bytes_on_disk": 2 * 2**20},
                "t5-d128-dec1": {"params": 1_240_000, "mflops_per_sample": 49.1, "bytes_on_disk": 2**20},
            }
        },
        "env": {"device": "cpu", "device_name": "AMD EPYC", "cpu": "AMD EPYC", "torch": "2.14.1", "git_sha": "abc"},
    }


def schema2() -> list[dict[str, Any]]:
    recs = [trained("teacher", "t5-d128", None, 0, 6.11, 20.0), speed_record()]
    for seed, (a, b) in enumerate([(2.35, 2.60), (2.30, 2.64), (2.40, 2.68)]):
        recs.append(trained("student", "t5-d128-dec1", "no_kd", seed, a, 30.0))
        recs.append(trained("student", "t5-d128-dec1", "seq_kd", seed, b, 18.0 + seed))
    return recs


def test_speed_record_gives_one_speed_per_architecture_with_ci() -> None:
    (board,) = build_leaderboards(schema2())
    rows = {(r.model, r.method): r for r in board.rows}
    assert "(architectures)" not in {r.model for r in board.rows}  # the speed record is no row
    alone, seq = rows[("t5-d128-dec1", "no_kd")], rows[("t5-d128-dec1", "seq_kd")]
    for r in (alone, seq):
        assert (r.throughput, r.speedup, r.speedup_ci95, r.speed_source) == (
            250.0,
            2.0,
            [1.9, 2.0 + 0.1],
            "interleaved",
        )
        assert r.mflops == 49.1 and r.params == 1_240_000 and r.output_rate == 7700.0
        assert r.peak_memory_mb == pytest.approx(1.0 + 4.0) and r.peak_memory_source == "cpu_model"
    teacher = rows[("t5-d128", None)]
    assert teacher.speedup == 1.0 and teacher.throughput == 125.0 and teacher.peak_memory_mb == pytest.approx(12.0)
    # output counts are per row (each model's own generated length)
    assert alone.outputs_per_sample == 30.0 and seq.outputs_per_sample == pytest.approx(19.0)  # 18, 19, 20
    text = write_markdown([board])
    assert "| tokens/sentence | tokens/s |" in text and "| 2.00x (95% CI 1.90-2.10) |" in text
    assert "| 19.0 | 7,700 |" in text
    assert any("timed interleaved in one process, 3 repeats" in n for n in board.notes)
    assert any(n.startswith("cost depends on the output: tokens/sentence") for n in board.notes)
    assert "quality: validation-selected epoch (quality.selection = best_val)" in board.notes
    s = board.summary
    assert (s["best_student"], s["best_method"], s["speedup"], s["speedup_ci95"]) == (
        "t5-d128-dec1",
        "seq_kd",
        2.0,
        [1.9, 2.1],
    )
    assert s["quality_kept_pct"] == pytest.approx(100 * 2.64 / 6.11)
    # seq_kd 2.60/2.64/2.68 vs 2.35/2.30/2.40: Δ +0.29, se = sqrt((0.0016 + 0.0025) / 3), t = 7.84, df = 3.82
    assert seq.verdict == "better" and seq.p_value == pytest.approx(0.00173, abs=1e-5)
    assert seq.delta_ci95 is not None and seq.delta_ci95[0] > 0
    assert "KD helped significantly: t5-d128-dec1/seq_kd (+0.29, p=0.002)" in s["text"]


def test_summary_in_every_format() -> None:
    boards = build_leaderboards(schema2())
    summary = boards[0].summary["text"]
    assert summary.startswith("teacher t5-d128 6.11; best student t5-d128-dec1/seq_kd 2.64 (43.2% of the teacher")
    assert "2.00x (95% CI 1.90-2.10) the teacher's speed" in summary
    assert f"**Summary:** {summary}".replace("<", "&lt;") in write_markdown(boards)
    assert '<p class="summary"><strong>Summary:</strong> teacher t5-d128' in write_html(boards, plots=False)
    assert r"\emph{Summary: teacher t5-d128 6.11;" in write_latex(boards)
    assert "\ntranslation,2,summary,t5-d128-dec1,seq_kd," in write_csv(boards)


def test_architecture_speeds_is_the_one_reader() -> None:
    speeds = architecture_speeds(schema2())[TASK]
    assert speeds.teacher == "t5-d128" and speeds.repeats == 3
    dec1 = speeds.models["t5-d128-dec1"]
    assert dec1.throughput_samples == [240.0, 250.0, 260.0] and dec1.speedup_samples == [2.0, 2.0, 2.0]
    assert dec1.role == "student" and speeds.models["t5-d128"].role == "teacher"


def pooled_records() -> list[dict[str, Any]]:
    """Schema 1: every job timed its own model; cnn-w8 measured 45.5k-58.1k images/s in different jobs."""
    out = []
    for i, (method, tp, mem) in enumerate([("no_kd", 51_000.0, 29.7), ("kd", 58_000.0, 24.4), ("dkd", 45_000.0, 21.3)]):
        r = trained("student", "cnn-w8", method, 0, 0.9, 1.0)
        r.update(schema_version=1, task="image_classification", primary_metric="accuracy")
        r["higher_is_better"] = {"accuracy": True}
        r["quality"] = {"accuracy": 0.87 + 0.01 * i}
        r["speed"] = {"throughput": tp, "throughput_unit": "images/s", "latency_p50_ms": 0.1 + i / 100, "device": "cpu"}
        r["memory"] = {"peak_allocated_mb": mem}
        r["size"] = {"params": 1400, "mflops_per_sample": 0.565}
        out.append(r)
    teacher = copy.deepcopy(out[0])
    teacher.update(role="teacher", model_name="resnet-w32", method=None, job_id="teacher")
    teacher["speed"]["throughput"], teacher["quality"] = 11_628.0, {"accuracy": 0.974}
    return [teacher, *out]


def test_schema1_pools_per_architecture_median() -> None:
    (board,) = build_leaderboards(pooled_records())
    students = board.students()
    assert {r.throughput for r in students} == {51_000.0} and {r.peak_memory_mb for r in students} == {24.4}
    assert [r.latency_p50_ms for r in students] == pytest.approx([0.11] * 3)
    assert [r.speedup for r in students] == pytest.approx([51_000.0 / 11_628.0] * 3)
    assert all(r.speedup_ci95 is None and r.speed_source == "pooled" for r in students)
    assert any("the median over its jobs (cnn-w8 3, resnet-w32 1 jobs" in n for n in board.notes)
    assert {r.verdict for r in students} == {None, "n=1: no verdict"}


def test_sanity_notes() -> None:
    recs = [trained("teacher", "t5-d128", None, 0, 2.0, 20.0), speed_record()]
    recs += [trained("student", "t5-d128-dec1", "no_kd", s, 2.5, 30.0) for s in range(2)]
    recs += [trained("student", "t5-d128-dec1", "kd", s, 0.05, 30.0) for s in range(2)]
    (board,) = build_leaderboards(recs)
    assert (
        "sanity: the teacher t5-d128 (2.00) scores below its student trained alone (t5-d128-dec1 2.50): "
        "distilling from it cannot be expected to help"
    ) in board.notes
    assert "sanity: at or below the reference floor copy_source (0.1000): t5-d128-dec1/kd 0.0500" in board.notes
    assert board.notes.index("sanity: at or below the reference floor copy_source (0.1000): t5-d128-dec1/kd 0.0500") < 3
    wer = pooled_records()
    for r in wer:
        r["primary_metric"], r["higher_is_better"] = "wer", {"wer": False}
        r["quality"] = {"wer": 0.45 if r["role"] == "teacher" else 1.03}
    (board,) = build_leaderboards(wer)
    assert any(n.startswith("sanity: wer at its floor (>= 100%") and "cnn-w8/kd 103.0%" in n for n in board.notes)


def test_last_epoch_and_mixed_selection_notes() -> None:
    recs = schema2()
    for r in recs:
        if r["role"] != "speed":
            r["quality"]["selection"] = "last"
    (board,) = build_leaderboards(recs)
    assert "quality: last epoch (quality.selection = last)" in board.notes
    recs[0]["quality"]["selection"] = "best_val"
    (board,) = build_leaderboards(recs)
    assert any(
        n.startswith("quality comes from different epochs: t5-d128: validation-selected epoch") for n in board.notes
    )


def test_utilisation_and_energy_in_every_format_and_not_recorded_for_old_records() -> None:
    from distillbench.report.writers import write_json

    recs = schema2()
    teacher_speed = recs[1]["speed"]["models"]["t5-d128"]
    teacher_speed.update(
        achieved_flops_per_s=58.8e6 * 125.0,  # MFLOPs/sample x throughput = 7.35 GFLOP/s
        peak_flops_per_s=30e9,
        peak_share=58.8e6 * 125.0 / 30e9,  # 24.5%
        peak={"flops_per_s": 30e9, "source": "matmul microbenchmark (fp32)"},
        energy={"status": "not measurable", "reason": "/sys/class/powercap does not exist"},
    )
    (board,) = build_leaderboards(recs)
    rows = {(r.model, r.method): r for r in board.rows}
    assert rows[("t5-d128", None)].achieved_flops_per_s == pytest.approx(7.35e9)
    md = write_markdown([board])
    assert "| achieved GFLOP/s | % of device peak | energy (J/1k sentences) |" in md
    assert "| 7.35 | 24.5% | not measurable |" in md  # the teacher: measured utilisation, no energy counter
    assert md.count("| not recorded | not recorded | not recorded |") == 2  # the student's old figures, 2 methods
    assert any("30.0 GFLOP/s, matmul microbenchmark (fp32)" in n for n in board.notes)
    assert any(n.startswith("energy not measurable: /sys/class/powercap does not exist") for n in board.notes)
    assert "7350000000.0,0.245,,not measurable," in write_csv([board])
    assert ">not measurable</td>" in write_html([board], plots=False)
    assert "7.35 & 24.5\\% & not measurable" in write_latex([board])
    assert '"energy_j_per_1000": null' in write_json([board]) and '"peak_share": 0.245' in write_json([board])
