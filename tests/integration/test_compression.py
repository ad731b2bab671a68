"""Compression baselines end to end on a tiny translation card: jobs, records, rows apart from the students."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from distillbench.config import SuiteConfig, SuiteTask, load_card
from distillbench.executors.local import run_inline
from distillbench.jobs import expand_jobs
from distillbench.report import build_leaderboards
from distillbench.report.writers import write_csv, write_markdown
from tests.unit.test_translation import PAIRS, _tsv

T5 = "t5:random(d_model=32, encoder_layers=1, decoder_layers=1, heads=2, ffn=64)"


def tiny_card(tmp_path: Path, **compression: object) -> str:
    card = {
        "name": "tiny-translation",
        "task": "translation",
        "data": {
            "source": "hf_translation",
            "options": {
                "name": "tsv",
                "data_files": {
                    "train": _tsv(tmp_path / "train.tsv", PAIRS),
                    "test": _tsv(tmp_path / "test.tsv", PAIRS[:6]),
                },
                "vocab_size": 120,
            },
        },
        "teacher": {"name": "t", "model": T5},
        "students": [{"name": "s", "model": T5}],
        "teacher_train": {"epochs": 1, "batch_size": 8, "optimizer": "adamw", "lr": 1e-3},
        "student_train": {"epochs": 1, "batch_size": 8, "optimizer": "adamw", "lr": 1e-3},
        "methods": {"no_kd": {}, "kd": {"temperature": 1.0, "alpha": 0.5}},
        "compression": compression,
    }
    path = tmp_path / "tiny-translation.yaml"
    path.write_text(json.dumps(card))
    return str(path)


@pytest.mark.slow
def test_compression_rows_are_planned_run_timed_and_shown_apart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISTILLBENCH_CACHE", str(tmp_path / "cache"))
    card = tiny_card(tmp_path, quantize=["int8_dynamic"], prune_fraction=0.5)
    suite = SuiteConfig(name="t", tasks=[SuiteTask(card=card)], seeds=[0], compression=True)
    jobs = expand_jobs(suite, smoke=True, device="cpu", cache_dir=str(tmp_path / "cache"))
    assert [j.role for j in jobs] == ["teacher", "student", "student", "compression", "compression", "compression",
                                      "speed"]  # fmt: skip
    names = [j.model_name for j in jobs if j.role == "compression"]
    assert names == ["t+int8-dynamic", "t+pruned50", "s/kd+int8-dynamic"]  # the card's first student and KD method
    kd = next(j for j in jobs if j.role == "student" and j.method == "kd")
    assert kd.keep_weights and jobs[-1].weights_from["s/kd+int8-dynamic"] == kd.job_id
    records = [run_inline(j).to_dict() for j in jobs]
    assert all(r["status"] == "ok" for r in records), [r["error"] for r in records]
    pruned = next(r for r in records if r["model_name"] == "t+pruned50")
    info = pruned["config"]["compression"]
    assert info["channels_before"] == 2 * 64 and info["channels_after"] == 64  # half of each FFN's 64 channels
    assert info["params_after"] < info["params_before"] and pruned["training"]["trained"] is True
    int8 = next(r for r in records if r["model_name"] == "t+int8-dynamic")
    assert "torchao" in int8["config"]["compression"]["backend"] and "bleu" in int8["quality"]
    speed = records[-1]["speed"]
    assert set(speed["speedup"]) >= {"t+int8-dynamic", "t+pruned50", "s/kd+int8-dynamic"}
    assert (
        speed["models"]["t+pruned50"]["energy"]["status"] == "not measurable"
        or speed["models"]["t+pruned50"]["energy"]["j_per_1000_samples"] > 0
    )
    (board,) = build_leaderboards(records)
    roles = [r.role for r in board.rows if r.role != "reference"]
    assert roles == ["teacher", "compression", "compression", "compression", "student", "student"]
    assert all(r.delta is None and r.speedup is not None for r in board.compressions())
    assert board.summary["best_student"] == "s"  # compression rows are never counted as students
    md = write_markdown([board])
    assert "| compression |" in md and "pruned 50% of 128 channels by L1 norm" in md
    assert "t+pruned50,compression" in write_csv([board]).replace('"', "")


def test_an_unsupported_compression_is_a_row_with_its_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from distillbench.compress import CompressionError, prune, quantize, trace_forward

    monkeypatch.setenv("DISTILLBENCH_CACHE", str(tmp_path / "cache"))
    conv = __import__("torch").nn.Sequential(__import__("torch").nn.Conv2d(3, 4, 3))
    with pytest.raises(CompressionError, match=r"no nn\.Linear layer to quantise"):
        quantize(conv, "int8_dynamic")
    with pytest.raises(CompressionError, match=r"leaves a layer with none"):
        prune(conv, 1.0, lambda m: m)
    with pytest.raises(ValueError, match="prune_fraction must lie strictly between 0 and 1"):
        load_card(tiny_card(tmp_path, prune_fraction=1.0))
    assert callable(trace_forward)
