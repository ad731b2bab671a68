"""``distillbench measure``: one model evaluated and timed with the standard protocol, recorded like a run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from distillbench.config import SMOKE_MEASURE, load_card, to_plain
from distillbench.errors import ConfigError, DistillbenchError
from distillbench.measure_spec import measure_spec, summary_rows
from distillbench.predictions import read_predictions
from distillbench.registry import TASKS
from distillbench.results import read_results

pytest.importorskip("timm")
SPEC = "timm:mobilenetv3_small_050"
PROTOCOL = to_plain(SMOKE_MEASURE)


def test_a_timm_model_is_measured_offline_untrained_and_recorded(tmp_path: Path) -> None:
    result = measure_spec(SPEC, "image_classification", device="cpu", out=str(tmp_path), smoke=True, protocol=PROTOCOL)
    assert result.role == "measured" and result.model_spec == SPEC and result.task == "image_classification"
    assert result.training["weights"].startswith("untrained")
    assert 0.0 <= result.quality["accuracy"] <= 1.0 and result.primary_metric == "accuracy"
    assert result.speed["throughput"] > 0 and result.speed["latency_p50_ms"] > 0
    assert result.speed["throughput_unit"] == "images/s" and result.speed["protocol"]["batch_sizes"] == [8]
    assert result.size["params"] > 100_000 and result.size["mflops_per_sample"] > 0 and result.memory
    (record,) = read_results(tmp_path).records  # the run records' schema, in OUT/results.jsonl
    assert record["job_id"] == result.job_id and record["role"] == "measured" and record["schema_version"] >= 2
    rows = read_predictions(tmp_path / record["config"]["predictions"])
    assert len(rows) == result.config["data"]["sizes"]["test"]
    table = dict(summary_rows(result))
    assert table["weights"].startswith("untrained") and "images/s" in table["throughput"]
    json.dumps(record)


def test_checkpoint_weights_are_loaded_and_named(tmp_path: Path) -> None:
    card = load_card("image_classification")
    adapter = TASKS.get(card.task)(card)
    model = adapter.build_model(SPEC, adapter.load_data(smoke=True))
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(0.01)
    torch.save({"state_dict": model.state_dict()}, tmp_path / "w.pt")
    result = measure_spec(
        SPEC, "image_classification", checkpoint=str(tmp_path / "w.pt"), device="cpu",
        out=str(tmp_path / "out"), smoke=True, protocol=PROTOCOL,
    )  # fmt: skip
    assert result.training["weights"].startswith(f"checkpoint {tmp_path / 'w.pt'}")
    assert len(result.training["checkpoint_sha256"]) == 64
    torch.save({"conv.weight": torch.zeros(1)}, tmp_path / "other.pt")
    with pytest.raises(ConfigError, match="does not fit the model"):
        measure_spec(SPEC, "image_classification", checkpoint=str(tmp_path / "other.pt"), smoke=True)
    with pytest.raises(ConfigError, match="no such file"):
        measure_spec(SPEC, "image_classification", checkpoint=str(tmp_path / "missing.pt"), smoke=True)


def test_a_model_that_cannot_be_built_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(
        DistillbenchError, match="'timm:no_such_net_xyz' cannot be built for card 'image_classification'"
    ):
        measure_spec("timm:no_such_net_xyz", "image_classification", out=str(tmp_path), smoke=True)
    assert not (tmp_path / "results.jsonl").exists()


def test_the_command_prints_a_table_and_bad_specs_exit_2(tmp_path: Path) -> None:
    from tests.integration.test_cli import cli, invoke

    proc = cli("measure", SPEC, "--task", "image_classification", "--smoke", "--device", "cpu", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert "untrained (random initialisation, seed 0)" in proc.stdout and "images/s (batch 8)" in proc.stdout
    assert len(read_results(tmp_path).records) == 1
    bad = invoke("measure", "timm:no_such_net_xyz", "--task", "image_classification", "--smoke", "--out", str(tmp_path))
    assert bad.returncode == 2 and "cannot be built for card 'image_classification'" in bad.stderr
    assert "Traceback" not in bad.stderr
