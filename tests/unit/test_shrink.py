"""Shrink and fine-tune (Shleifer & Rush 2020): layer maps, the weight copy, its errors and a job that uses it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from distillbench.config import DataConfig, ModelConfig, TaskCard
from distillbench.errors import ConfigError
from distillbench.models.shrink import init_from_teacher, layer_map
from distillbench.models.spec import build_model
from distillbench.worker import run_job
from tests.conftest import smoke_job
from tests.unit.test_translation import _card


def t5(enc: int, dec: int, d: int = 16) -> torch.nn.Module:
    spec = f"t5:random(d_model={d}, encoder_layers={enc}, decoder_layers={dec}, heads=2, ffn=32)"
    return build_model(spec, vocab_size=50)


def test_layer_map_spreads_layers_and_keeps_first_and_last() -> None:
    assert layer_map(1, 6) == [0]
    assert layer_map(2, 6) == [0, 5]
    assert layer_map(3, 12) == [0, 6, 11]  # Shleifer & Rush (2020), table 10: 12 -> 3 decoder layers
    assert layer_map(4, 4) == [0, 1, 2, 3]
    with pytest.raises(ConfigError, match="cannot be initialised from a teacher with 2"):
        layer_map(3, 2)


def test_student_takes_the_teacher_weights_layer_by_layer() -> None:
    torch.manual_seed(0)
    teacher, student = t5(3, 3), t5(2, 1)
    info = init_from_teacher(student, teacher)
    assert info["layers"] == {"encoder.block": [0, 2], "decoder.block": [0]}
    s, t = student.state_dict(), teacher.state_dict()
    for name in ("shared.weight", "decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"):
        assert torch.equal(s[name], t[name])
    ffn = "encoder.block.{}.layer.1.DenseReluDense.wi.weight"
    assert torch.equal(s[ffn.format(1)], t[ffn.format(2)]) and not torch.equal(s[ffn.format(1)], t[ffn.format(1)])
    ids = torch.tensor([[5, 6, 7, 1]])
    same = t5(3, 3)
    init_from_teacher(same, teacher)  # a full copy computes exactly what the teacher computes
    same.eval(), teacher.eval()
    logits = [m(input_ids=ids, decoder_input_ids=ids).logits for m in (same, teacher)]
    assert torch.equal(*logits)


def test_a_wider_student_or_a_bad_init_value_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="teacher's widths and fewer layers"):
        init_from_teacher(t5(1, 1, d=32), t5(2, 2, d=16))
    with pytest.raises(ValueError, match="init must be 'random' or 'teacher'"):
        ModelConfig(name="s", model="x", init="copy")
    student = ModelConfig(name="s", model="x")
    with pytest.raises(ValueError, match="the teacher cannot have 'init: teacher'"):
        TaskCard(
            name="c",
            task="t",
            data=DataConfig("d"),
            teacher=ModelConfig("t", "x", init="teacher"),
            students=[student],
            methods={"no_kd": {}},
        )


def test_a_job_records_the_initialisation_it_used(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("DISTILLBENCH_CACHE", str(tmp_path / "cache"))
    tiny = "marian:random(d_model=16, encoder_layers=2, decoder_layers=2, heads=2, ffn=32)"
    card = json.loads(Path(_card(tmp_path, teacher=tiny)).read_text())
    card["students"] = [{"name": "s", "model": tiny.replace("decoder_layers=2", "decoder_layers=1"), "init": "teacher"}]
    path = tmp_path / "shrink.yaml"
    path.write_text(json.dumps(card))
    result = run_job(smoke_job(str(path), "student", "no_kd", str(tmp_path / "cache")))
    assert result.status == "ok"
    assert result.training["init"]["layers"] == {"model.encoder.layers": [0, 1], "model.decoder.layers": [0]}
