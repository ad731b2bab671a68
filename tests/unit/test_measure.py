"""The measurement protocol (distillbench.measure / distillbench.timing), on CPU with tiny models."""

from __future__ import annotations

import time

import pytest
import torch
from torch import nn

from distillbench.config import MeasureConfig
from distillbench.errors import DistillbenchError
from distillbench.measure import (
    MeasureOOMError,
    autocast,
    bytes_on_disk,
    count_parameters,
    fixed_threads,
    is_oom,
    measure_latency,
    measure_memory,
    measure_model,
    measure_throughput,
    mflops_per_sample,
    resolve_device,
    time_loop,
)

CPU = torch.device("cpu")


def fast_cfg(**kw: object) -> MeasureConfig:
    base = {"warmup_iters": 1, "min_iters": 3, "min_duration_s": 0.05, "repeats": 2, "batch_sizes": [8]}
    return MeasureConfig(**{**base, **kw})


class Counter:
    """A callable that counts its calls and optionally sleeps."""

    def __init__(self, sleep_s: float = 0.0) -> None:
        self.calls = 0
        self.sleep_s = sleep_s

    def __call__(self) -> None:
        self.calls += 1
        if self.sleep_s:
            time.sleep(self.sleep_s)


# --------------------------------------------------------------------------- time_loop


def test_time_loop_runs_until_min_duration() -> None:
    fn = Counter(0.01)
    times = time_loop(fn, CPU, warmup_iters=2, min_iters=3, min_duration_s=0.2)
    assert sum(times) >= 0.2
    assert 15 <= len(times) <= 21  # ~0.2 s / 10 ms, sleep overshoot allowed
    assert fn.calls == len(times) + 2
    assert all(t >= 0.01 for t in times)


def test_time_loop_runs_until_min_iters() -> None:
    fn = Counter()
    times = time_loop(fn, CPU, warmup_iters=3, min_iters=5, min_duration_s=0.0)
    assert len(times) == 5
    assert fn.calls == 3 + 5


def test_time_loop_warmup_absorbs_slow_first_call() -> None:
    calls = []

    def fn() -> None:
        calls.append(1)
        time.sleep(0.1 if len(calls) == 1 else 0.0)  # a "compile" on the first call

    times = time_loop(fn, CPU, warmup_iters=1, min_iters=4, min_duration_s=0.0)
    assert len(times) == 4 and max(times) < 0.05


def test_time_loop_times_at_least_one_call_and_rejects_negatives() -> None:
    assert len(time_loop(Counter(), CPU, 0, 0, 0.0)) == 1
    with pytest.raises(ValueError):
        time_loop(Counter(), CPU, -1, 1, 0.0)


# --------------------------------------------------------------------------- latency / throughput


def test_measure_latency_percentiles() -> None:
    out = measure_latency(Counter(0.005), CPU, fast_cfg(min_iters=5, repeats=2))
    assert out["latency_p50_ms"] <= out["latency_p90_ms"] <= out["latency_p99_ms"]
    assert 5.0 <= out["latency_p50_ms"] <= 15.0
    assert len(out["latency_repeat_p50_ms"]) == 2
    assert out["latency_iters"] >= 10
    assert out["latency_spread_pct"] >= 0.0
    assert out["latency_std_ms"] >= 0.0 and out["latency_mean_ms"] > 0.0


def oom_make_fn(limit: int, built: list[int]):
    def make_fn(batch_size: int):
        built.append(batch_size)

        def run() -> None:
            if batch_size > limit:
                raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

        return run

    return make_fn


def test_throughput_halves_on_oom_and_records_it() -> None:
    built: list[int] = []
    out = measure_throughput(oom_make_fn(16, built), CPU, fast_cfg(batch_sizes=[64, 16, 32], min_duration_s=0.0))
    assert out["throughput_batch_size"] == 16
    assert out["throughput_oom_batch_sizes"] == [64, 32]
    assert built == [64, 32, 16]


def test_throughput_halving_never_skips_a_configured_size() -> None:
    built: list[int] = []
    cfg = fast_cfg(batch_sizes=[100, 48], min_duration_s=0.0)
    out = measure_throughput(oom_make_fn(20, built), CPU, cfg)
    assert built == [100, 50, 48, 24, 12]
    assert out["throughput_batch_size"] == 12 and out["throughput_oom_batch_sizes"] == [100, 50, 48, 24]


def test_throughput_cpu_oom_message_and_oom_in_make_fn() -> None:
    def make_fn(batch_size: int):
        if batch_size > 4:
            raise RuntimeError("[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: can't allocate memory")
        return Counter()

    out = measure_throughput(make_fn, CPU, fast_cfg(batch_sizes=[8], min_duration_s=0.0))
    assert out["throughput_batch_size"] == 4 and out["throughput_oom_batch_sizes"] == [8]


def test_throughput_raises_when_batch_one_fails() -> None:
    built: list[int] = []
    with pytest.raises(MeasureOOMError, match="batch size 1") as info:
        measure_throughput(oom_make_fn(0, built), CPU, fast_cfg(batch_sizes=[4], min_duration_s=0.0))
    assert built == [4, 2, 1]
    assert isinstance(info.value, DistillbenchError)
    assert isinstance(info.value.__cause__, torch.cuda.OutOfMemoryError)


def test_throughput_other_errors_propagate() -> None:
    def make_fn(batch_size: int):
        raise RuntimeError("shape mismatch")

    with pytest.raises(RuntimeError, match="shape mismatch"):
        measure_throughput(make_fn, CPU, fast_cfg())


def test_is_oom() -> None:
    assert is_oom(torch.cuda.OutOfMemoryError("CUDA out of memory"))
    assert is_oom(RuntimeError("CUDA error: out of memory"))
    assert is_oom(MemoryError())
    assert not is_oom(RuntimeError("size mismatch"))
    assert not is_oom(ValueError("out of memory"))


def test_throughput_is_samples_over_median_time() -> None:
    cfg = fast_cfg(batch_sizes=[32], min_iters=5, min_duration_s=0.0, repeats=2)
    out = measure_throughput(lambda b: Counter(0.01), CPU, cfg)
    assert out["throughput_batch_size"] == 32 and out["throughput_oom_batch_sizes"] == []
    assert out["throughput"] == pytest.approx(32 / 0.01, rel=0.10)
    assert len(out["throughput_repeats"]) == 2 and out["throughput_iters"] == 10
    scaled = measure_throughput(lambda b: Counter(0.01), CPU, cfg, samples_per_call=lambda b: b * 10)
    assert scaled["throughput"] == pytest.approx(320 / 0.01, rel=0.10)


# --------------------------------------------------------------------------- memory / size


def test_measure_memory_sees_a_cpu_allocation() -> None:
    def alloc() -> None:
        x = torch.ones(64 * 2**20 // 4)  # 64 MB, touched
        time.sleep(0.02)  # long enough for the 2 ms sampler
        del x

    out = measure_memory(alloc, CPU, iters=2)
    assert set(out) == {"peak_rss_mb", "rss_delta_mb"}
    assert out["rss_delta_mb"] >= 32  # allow for an allocator that reuses pages
    assert out["peak_rss_mb"] >= out["rss_delta_mb"]


def test_count_parameters_and_bytes_on_disk() -> None:
    lin = nn.Linear(10, 5)
    assert count_parameters(lin) == {"params": 55, "trainable_params": 55}
    lin.bias.requires_grad_(False)
    assert count_parameters(lin) == {"params": 55, "trainable_params": 50}
    assert bytes_on_disk(lin) > 55 * 4


def test_mflops_per_sample_linear() -> None:
    lin = nn.Linear(10, 5)
    x = torch.randn(4, 10)
    assert mflops_per_sample(lambda: lin(x), 4) == pytest.approx(2 * 10 * 5 / 1e6)


def test_mflops_per_sample_failure_is_none(caplog: pytest.LogCaptureFixture) -> None:
    def boom() -> None:
        raise RuntimeError("unsupported")

    assert mflops_per_sample(boom, 1) is None
    assert "FLOP counting failed" in caplog.text


# --------------------------------------------------------------------------- device / precision / threads


def test_resolve_device() -> None:
    if torch.cuda.is_available():
        pytest.skip("needs a machine without CUDA")
    assert resolve_device("auto") == CPU
    assert resolve_device("cpu") == CPU
    with pytest.raises(DistillbenchError, match="CUDA is not available"):
        resolve_device("cuda")
    with pytest.raises(DistillbenchError, match="unknown device"):
        resolve_device("gpu0")


def test_autocast_bf16_on_cpu() -> None:
    lin = nn.Linear(8, 4)
    x = torch.randn(2, 8)
    with autocast(CPU, "bf16"):
        assert lin(x).dtype == torch.bfloat16
    with autocast(CPU, "fp32"):
        assert lin(x).dtype == torch.float32
    with pytest.raises(DistillbenchError, match="precision"):
        autocast(CPU, "int8")


def test_fixed_threads_restores() -> None:
    before = torch.get_num_threads()
    with fixed_threads(1) as n:
        assert n == 1 == torch.get_num_threads()
    assert torch.get_num_threads() == before
    with fixed_threads(None) as n:
        assert n == before


def test_fixed_threads_leaves_an_equal_count_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    monkeypatch.setattr(torch, "set_num_threads", calls.append)  # re-setting costs the next forward ~2 %
    with fixed_threads(torch.get_num_threads()), fixed_threads(None):
        pass
    assert calls == []
    with pytest.raises(DistillbenchError), fixed_threads(0):
        pass


# --------------------------------------------------------------------------- measure_model


class TinyConv(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.head = nn.Linear(4, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(torch.relu(self.conv(x)).mean(dim=(2, 3)))


SPEED_KEYS = {
    "latency_p50_ms",
    "latency_p90_ms",
    "latency_p99_ms",
    "latency_mean_ms",
    "latency_std_ms",
    "latency_iters",
    "latency_repeat_p50_ms",
    "latency_spread_pct",
    "throughput",
    "throughput_batch_size",
    "throughput_oom_batch_sizes",
    "throughput_repeats",
    "throughput_spread_pct",
    "throughput_iters",
    "device",
    "device_name",
    "precision",
    "compiled",
    "threads",
    "protocol",
    "energy",
    "achieved_flops_per_s",
    "peak_flops_per_s",
    "peak_share",
    "peak",
}


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_measure_model_end_to_end(precision: str) -> None:
    model = TinyConv().train()
    cfg = fast_cfg(batch_sizes=[8, 4], threads=1, min_duration_s=0.02, repeats=2)
    before = torch.get_num_threads()
    out = measure_model(
        model,
        make_inputs=lambda b: {"x": torch.randn(b, 3, 8, 8)},
        infer=lambda m, inputs: m(inputs["x"]),
        cfg=cfg,
        device=CPU,
        precision=precision,
    )
    assert set(out) == {"speed", "memory", "size"}
    speed, memory, size = out["speed"], out["memory"], out["size"]
    assert set(speed) == SPEED_KEYS
    assert speed["device"] == "cpu" and speed["precision"] == precision and speed["compiled"] is False
    assert speed["threads"] == 1 and torch.get_num_threads() == before
    assert speed["throughput_batch_size"] == 8 and speed["throughput"] > 0
    assert speed["protocol"]["batch_sizes"] == [8, 4] and speed["protocol"]["threads"] == 1
    assert set(memory) == {"peak_rss_mb", "rss_delta_mb", "memory_batch_size"} and memory["memory_batch_size"] == 8
    assert size["params"] == size["trainable_params"] == 3 * 4 * 9 + 4 + 4 * 10 + 10
    assert size["bytes_on_disk"] > size["params"] * 4
    conv_flops = 2 * 4 * 8 * 8 * 3 * 9  # per sample, bias adds not counted
    assert size["mflops_per_sample"] == pytest.approx((conv_flops + 2 * 4 * 10) / 1e6)
    assert model.training  # mode restored


def test_measure_model_samples_per_batch_and_no_flops() -> None:
    cfg = fast_cfg(batch_sizes=[4], min_duration_s=0.0, flops=False, repeats=1)
    out = measure_model(
        nn.Linear(6, 2),
        make_inputs=lambda b: torch.randn(b, 5, 6),  # 5 "tokens" per sample
        infer=lambda m, x: m(x),
        cfg=cfg,
        device=CPU,
        samples_per_batch=lambda x: x.shape[0] * x.shape[1],
    )
    assert out["size"]["mflops_per_sample"] is None
    assert out["speed"]["throughput_batch_size"] == 4
    assert out["speed"]["throughput_repeats"][0] > 0
