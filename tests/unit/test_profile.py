"""distillbench profile: operator grouping (golden), stage labels on a toy model, the command end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from torch import nn

from distillbench.errors import ConfigError
from distillbench.profile import MODEL, POST, PRE, classify, profile_spec, stage_labels, summarise, summary_lines


def test_classify_by_stage_and_name() -> None:
    assert classify("aten::addmm", MODEL) == "model compute"
    assert classify("aten::view", MODEL) == "framework overhead"
    assert classify("aten::copy_", MODEL) == "framework overhead"
    assert classify("aten::addmm", None) == "framework overhead"  # outside every stage
    assert classify("aten::addmm", PRE) == "pre/post-processing"
    assert classify("torchvision::nms", POST) == "pre/post-processing"


class Toy(nn.Module):
    """A 'detector': a transform (pre), a linear body (compute), a postprocess method (post)."""

    def __init__(self) -> None:
        super().__init__()
        self.transform = nn.Identity()
        self.body = nn.Linear(64, 64)

    def postprocess(self, y: torch.Tensor) -> torch.Tensor:
        return torch.topk(y, 5, dim=1).values

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.postprocess(self.body(self.transform(x) * 2.0))


def test_stage_labels_group_a_toy_models_operators() -> None:
    model = Toy().eval()
    with torch.inference_mode(), stage_labels(model) as labelled, torch.profiler.profile() as prof:
        model(torch.randn(8, 64))
    assert "transform (pre-processing)" in labelled and "model.postprocess (post-processing)" in labelled
    groups, ops = summarise(list(prof.events()))
    by_name = {(o.name, o.group) for o in ops}
    assert ("aten::addmm", "model compute") in by_name
    assert ("aten::topk", "pre/post-processing") in by_name
    assert ("aten::mul", "model compute") in by_name
    assert set(groups) == {"model compute", "pre/post-processing", "framework overhead"}
    assert "postprocess" not in vars(model)  # the wrapper is removed afterwards


def test_profile_command_writes_trace_and_summary(tmp_path: Path) -> None:
    p = profile_spec(
        "local:cnn(width=4, depth=2)", "digits", device="cpu", batch=8, iters=2, out=str(tmp_path), smoke=True
    )
    assert (tmp_path / "trace.json").stat().st_size > 0
    saved = json.loads((tmp_path / "profile.json").read_text())
    assert saved["batch"] == 8 and saved["iters"] == 2 and saved["groups_ms"]["model compute"] > 0
    text = "\n".join(summary_lines(p, top=5))
    assert "model compute" in text and "framework overhead" in text and "mkldnn_convolution" in text


def test_profile_of_an_unbuildable_model_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot be built for card 'digits'"):
        profile_spec("local:cnn(no_such_option=1)", "digits", device="cpu", out=str(tmp_path), smoke=True)
