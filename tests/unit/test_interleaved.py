"""Interleaved timing of several models (interleaved.py) and the speed-up interval (stats.speedup_record)."""

from __future__ import annotations

import time
from itertools import groupby

import pytest
import torch
from torch import nn

from distillbench.config import MeasureConfig
from distillbench.errors import DistillbenchError
from distillbench.interleaved import TimedModel, measure_interleaved, rotation
from distillbench.speed_job import speedups
from distillbench.stats import speedup_record

CPU = torch.device("cpu")


class Sleeper(nn.Module):
    """A model whose call takes ``seconds`` whatever the batch, and says who was called at which batch."""

    def __init__(self, name: str, seconds: float, calls: list[tuple[str, int]]) -> None:
        super().__init__()
        self.name, self.seconds, self.calls = name, seconds, calls
        self.lin = nn.Linear(2, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls.append((self.name, x.shape[0]))
        if self.seconds:
            time.sleep(self.seconds)
        return self.lin(x)


def timed(name: str, seconds: float, calls: list[tuple[str, int]]) -> TimedModel:
    return TimedModel(name, Sleeper(name, seconds, calls), lambda b: {"x": torch.zeros(b, 2)}, lambda m, i: m(i["x"]))


def cfg(**kw: object) -> MeasureConfig:
    base = {"warmup_iters": 1, "min_iters": 2, "min_duration_s": 0.0, "repeats": 3, "batch_sizes": [4], "threads": 1}
    return MeasureConfig(**{**base, "flops": False, **kw})


def test_speedup_record_golden_values() -> None:
    out = speedup_record([2.0, 2.2, 1.8])
    # geometric mean (2 * 2.2 * 1.8) ** (1/3); t(0.975, df=2) = 4.3027 times the log-scale standard error
    assert out["mean"] == pytest.approx(1.9933110, abs=1e-6)
    assert out["ci95"] == pytest.approx([1.5533999, 2.5578014], abs=1e-6)
    assert out["n"] == 3 and out["samples"] == [2.0, 2.2, 1.8] and "log ratio" in out["method"]
    assert out["ci95"][0] < out["mean"] < out["ci95"][1]
    assert speedup_record([3.0]) == {**speedup_record([3.0]), "mean": pytest.approx(3.0), "ci95": [None, None], "n": 1}
    assert speedup_record([2.0, 2.0])["ci95"] == pytest.approx([2.0, 2.0])  # no spread: a zero-width interval
    for bad in ([], [1.0, 0.0], [1.0, float("nan")], [-2.0]):
        with pytest.raises(ValueError, match="positive finite ratios"):
            speedup_record(bad)


def test_rotation() -> None:
    assert [rotation(["a", "b", "c"], r) for r in range(4)] == [
        ["a", "b", "c"],
        ["b", "c", "a"],
        ["c", "a", "b"],
        ["a", "b", "c"],
    ]


def test_models_are_timed_interleaved_in_a_rotating_order() -> None:
    calls: list[tuple[str, int]] = []
    models = [timed(n, 0.0, calls) for n in ("t", "s1", "s2")]
    out = measure_interleaved(models, cfg(), CPU)
    runs = [key for key, _ in groupby(calls)]  # consecutive calls of one model at one batch size: one pass
    warmup = [("t", 1), ("t", 4), ("s1", 1), ("s1", 4), ("s2", 1), ("s2", 4)]  # warm-up, batch picked once each
    repeats = [
        *[("t", 1), ("t", 4), ("s1", 1), ("s1", 4), ("s2", 1), ("s2", 4)],  # r = 0: t s1 s2
        *[("s1", 1), ("s1", 4), ("s2", 1), ("s2", 4), ("t", 1), ("t", 4)],  # r = 1: s1 s2 t
        *[("s2", 1), ("s2", 4), ("t", 1), ("t", 4), ("s1", 1), ("s1", 4)],  # r = 2: s2 t s1
    ]
    memory = [("t", 4), ("s1", 4), ("s2", 4)]  # one memory pass per model, after every timed repeat
    expected = [key for key, _ in groupby(warmup + repeats + memory)]
    assert runs == expected
    # each timed pass: one untimed re-warm call after the model switch, then min_iters = 2 timed calls
    assert len(calls) == 3 * (1 + 1) + 3 * 3 * 2 * (1 + 2) + 3 * 3
    assert list(out) == ["t", "s1", "s2"]
    for name, fig in out.items():
        speed = fig["speed"]
        assert len(speed["throughput_samples"]) == len(speed["latency_samples_ms"]) == 3, name
        assert speed["throughput_batch_size"] == 4 and speed["throughput_iters"] == 6 and speed["latency_iters"] == 6
        assert speed["throughput"] == pytest.approx(sorted(speed["throughput_samples"])[1])  # the median repeat
        assert speed["threads"] == 1 and speed["protocol"]["repeats"] == 3
        assert fig["memory"]["memory_batch_size"] == 4 and fig["size"]["params"] == 6
        assert fig["size"]["mflops_per_sample"] is None  # flops off in this protocol
        assert not models[0].model.training


def test_every_model_picks_its_own_batch_once() -> None:
    calls: list[tuple[str, int]] = []

    def oom_above(limit: int):
        def infer(m: nn.Module, i: dict) -> torch.Tensor:
            if i["x"].shape[0] > limit:
                raise RuntimeError("CUDA out of memory (simulated)")
            return m(i["x"])

        return infer

    big = TimedModel("big", Sleeper("big", 0.0, calls), lambda b: {"x": torch.zeros(b, 2)}, oom_above(2))
    small = timed("small", 0.0, calls)
    out = measure_interleaved([big, small], cfg(batch_sizes=[8, 4, 2], repeats=2), CPU)
    assert out["big"]["speed"]["throughput_batch_size"] == 2
    assert out["big"]["speed"]["throughput_oom_batch_sizes"] == [8, 4]
    assert out["small"]["speed"]["throughput_batch_size"] == 8 and out["small"]["memory"]["memory_batch_size"] == 8
    assert {b for n, b in calls if n == "big"} == {1, 2}  # never timed at a size that did not fit


def test_speedup_is_the_paired_throughput_ratio_with_a_ci() -> None:
    calls: list[tuple[str, int]] = []
    models = [timed("teacher", 0.004, calls), timed("student", 0.001, calls)]
    out = measure_interleaved(models, cfg(repeats=4, min_iters=3), CPU)
    up = speedups(out, "teacher")
    assert list(up) == ["student"]
    s = up["student"]
    ratios = [
        a / b
        for a, b in zip(
            out["student"]["speed"]["throughput_samples"], out["teacher"]["speed"]["throughput_samples"], strict=True
        )
    ]
    assert s["samples"] == pytest.approx(ratios) and s["n"] == 4
    assert s["ci95"][0] <= s["mean"] <= s["ci95"][1]
    assert 2.0 < s["mean"] < 5.0  # 4 ms vs 1 ms per call (sleep overhead pulls it below 4)


def test_duplicate_or_no_models_are_refused() -> None:
    calls: list[tuple[str, int]] = []
    with pytest.raises(DistillbenchError, match="distinct model names"):
        measure_interleaved([timed("a", 0.0, calls), timed("a", 0.0, calls)], cfg(), CPU)
    with pytest.raises(DistillbenchError, match="distinct model names"):
        measure_interleaved([], cfg(), CPU)
