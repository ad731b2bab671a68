"""compress.py: int8 quantisation close to float, structured pruning by L1 norm with golden kept channels, the plan."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from distillbench.compress import CompressionError, plan_variants, prune, quantize
from distillbench.config import load_card, load_suite
from distillbench.jobs import expand_jobs


class Block(nn.Module):
    """A BERT-style feed-forward block: intermediate.dense (4 -> 8), GELU, output.dense (8 -> 4)."""

    def __init__(self) -> None:
        super().__init__()
        self.intermediate = nn.Module()
        self.intermediate.dense = nn.Linear(4, 8)
        self.output = nn.Module()
        self.output.dense = nn.Linear(8, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.output.dense(torch.nn.functional.gelu(self.intermediate.dense(x)))


def graded_block() -> Block:
    """Channel i's weights (its row in the up-projection, its column in the down-projection) have L1 norm ∝ i + 1."""
    block = Block()
    with torch.no_grad():
        scale = torch.arange(1, 9, dtype=torch.float32)
        block.intermediate.dense.weight.copy_(torch.ones(8, 4) * scale[:, None] * torch.tensor([1, -1, 1, -1]))
        block.intermediate.dense.bias.copy_(scale * 0.1)
        block.output.dense.weight.copy_(torch.ones(4, 8) * scale[None, :] * 0.5)
    return block


def test_pruning_removes_the_lowest_l1_channels_and_keeps_shapes_consistent() -> None:
    block = graded_block()
    x = torch.randn(3, 4)
    pruned, info = prune(block, 0.5, lambda m: m(x))
    up, down = pruned.intermediate.dense, pruned.output.dense
    assert (up.in_features, up.out_features, down.in_features, down.out_features) == (4, 4, 4, 4)
    # channels 4..7 (the largest L1 norms) are kept, in order, with their weights untouched
    assert torch.equal(up.weight, block.intermediate.dense.weight[4:])
    assert torch.equal(up.bias, block.intermediate.dense.bias[4:])
    assert torch.equal(down.weight, block.output.dense.weight[:, 4:])
    assert (info["channels_before"], info["channels_after"], info["layers"]) == (8, 4, 1)
    assert info["params_before"] - info["params_after"] == 4 * 4 + 4 + 4 * 4  # 4 rows, 4 biases, 4 columns
    assert pruned(x).shape == (3, 4) and block.intermediate.dense.out_features == 8  # the original is untouched


def test_pruning_that_leaves_no_channel_or_removes_none_is_refused() -> None:
    x = torch.randn(2, 4)
    with pytest.raises(CompressionError, match="leaves a layer with none"):
        prune(graded_block(), 1.0, lambda m: m(x))
    with pytest.raises(CompressionError, match="nothing would be removed"):
        prune(graded_block(), 0.0, lambda m: m(x))
    with pytest.raises(CompressionError, match=r"would leave 8 \(nothing removed\)"):
        prune(graded_block(), 0.1, lambda m: m(x))  # int(8 * 0.1) = 0 channels
    with pytest.raises(CompressionError, match="no layer to prune"):
        prune(nn.Sequential(nn.Linear(4, 4)), 0.5, lambda m: m(x))


def test_int8_dynamic_output_is_close_to_float_and_tied_weights_stay_float() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 128), nn.GELU(), nn.Linear(128, 16)).eval()
    x = torch.randn(8, 64)
    with torch.no_grad():
        ref = model(x)
    q, info = quantize(model, "int8_dynamic", check=lambda m: m(x))
    with torch.inference_mode():
        out = q(x)
    assert info["layers"] == 2 and "Int8DynamicActivationInt8WeightConfig" in info["backend"]
    assert type(q[0].weight).__name__ != "Parameter" or q[0].weight.dtype != torch.float32  # really quantised
    assert (out - ref).abs().max().item() < 0.05 * ref.abs().max().item()  # int8: within 5% of the output range
    assert model[0].weight.dtype == torch.float32  # the original is untouched

    class Tied(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.emb, self.mid, self.head = nn.Embedding(10, 8), nn.Linear(8, 8), nn.Linear(8, 10, bias=False)
            self.head.weight = self.emb.weight

        def forward(self, ids: torch.Tensor) -> torch.Tensor:
            return self.head(self.mid(self.emb(ids)))

    q, info = quantize(Tied(), "int8_weight_only", check=lambda m: m(torch.tensor([[1, 2]])))
    assert info["layers"] == 1 and "head" in info["kept_float"] and q.head.weight.dtype == torch.float32


def test_quantising_a_model_without_linear_layers_says_why() -> None:
    with pytest.raises(CompressionError, match=r"no nn\.Linear layer to quantise \(its weighted layers: Conv2d\)"):
        quantize(nn.Sequential(nn.Conv2d(3, 4, 3)), "int8_dynamic")
    with pytest.raises(CompressionError, match="unknown quantisation"):
        quantize(nn.Linear(2, 2), "int4")


def test_plan_follows_the_card_and_the_documented_default_rule() -> None:
    names = [v.name for v in plan_variants(load_card("sentiment"))]
    assert names == [
        "minilm-l6+int8-dynamic",
        "minilm-l6+int8-weight-only",
        "minilm-l6+pruned50",
        "minilm-l3/kd+int8-dynamic",  # the first student with the first method other than no_kd
        "minilm-l3/kd+int8-weight-only",
    ]
    assert load_card("translation").compression_base() == ("t5-d128-dec1", "seq_kd")


def test_compression_jobs_only_when_the_suite_asks_and_the_speed_job_moves_after_them() -> None:
    plain = expand_jobs(load_suite("sentiment"), seeds=[0], cache_dir="/tmp/unused")
    assert [j.role for j in plain][:2] == ["teacher", "speed"] and "compression" not in {j.role for j in plain}
    assert not any(j.keep_weights for j in plain)
    jobs = expand_jobs(load_suite("sentiment-compression"), cache_dir="/tmp/unused")
    roles = [j.role for j in jobs]
    assert roles[0] == "teacher" and roles[-1] == "speed" and roles.count("compression") == 5
    assert roles.index("compression") > max(i for i, r in enumerate(roles) if r == "student")
    assert jobs[-1].models[-5:] == [v.name for v in plan_variants(load_card("sentiment"))]
    assert [j.model_name for j in jobs if j.keep_weights] == ["minilm-l3"]
    off = expand_jobs(load_suite("sentiment-compression"), cache_dir="/tmp/unused", compression=False)
    assert "compression" not in {j.role for j in off}
