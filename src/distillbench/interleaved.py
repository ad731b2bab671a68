"""Several models timed interleaved in one process: one speed per architecture, and ratios with a CI.

Inference cost does not depend on how the weights were trained, so a run measures each distinct
architecture once, in one process, with every model under the same thread setting. Timing models
one after another lets drift (other load on the machine, thermal or frequency changes) land on one
model only; interleaving spreads it over all of them and pairs them per repeat, so a student/teacher
throughput ratio per repeat cancels most of it and the ratios carry a confidence interval
(:func:`distillbench.stats.log_ratio_ci`). The passes are measure.py's (:func:`~distillbench.measure.fit_batch`,
:func:`~distillbench.timing.time_loop`, :func:`~distillbench.measure.measure_memory`); this file only orders them:

1. Per model, under ``fixed_threads(cfg.threads)`` and ``torch.inference_mode()``: eval mode on the
   device; MFLOPs per sample on the eager model at batch 1 (``FlopCounterMode``); optional
   ``torch.compile``; ``warmup_iters`` untimed calls at batch 1; then the largest configured batch
   size that fits is picked ONCE (``warmup_iters`` untimed calls at each size tried, halving on
   out-of-memory) and recorded with the sizes that failed.
2. For each repeat ``r`` and each model in an order rotated by ``r`` (A B C, B C A, C A B, ...):
   a latency pass at batch 1 (fresh batch-1 inputs, so adapters that cycle through several
   sentences start every model at the same one) and a throughput pass at the model's batch. Each
   pass is one ``time_loop`` with one untimed call first (the previous model has just evicted this
   one's caches), then ``min_iters`` calls and ``min_duration_s`` seconds.
3. Per model: latency percentiles over every timed call, each repeat's p50 (``latency_samples_ms``),
   samples/s per repeat (``throughput_samples``) and their median (``throughput``).
   Around each throughput pass the device's energy counter is read (energy.py: NVML on GPU, RAPL on CPU
   where readable); joules over the samples of every throughput call give J per 1,000 samples.
4. Before the repeats, the device's peak FLOP/s (hardware.py: the datasheet on GPU, a matmul
   microbenchmark run here, under the same threads, on CPU); each model's achieved FLOP/s (MFLOPs per
   sample x throughput) and its share of that peak are recorded with its speed.
5. After all repeats, a memory pass per model (``measure_memory`` at its batch size) with only that
   model and its inputs on the device (the others are moved to the CPU, so GPU peaks are its own),
   and its size (parameters, MFLOPs, state-dict bytes).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from distillbench.config import MeasureConfig
from distillbench.energy import EnergyMeter, energy_record, open_meter
from distillbench.errors import DistillbenchError
from distillbench.hardware import device_peak, utilisation
from distillbench.measure import (
    autocast,
    bytes_on_disk,
    count_parameters,
    device_name,
    fit_batch,
    fixed_threads,
    latency_figures,
    maybe_compile,
    measure_memory,
    mflops_per_sample,
    move,
    throughput_figures,
)
from distillbench.timing import synchronize, time_loop


@dataclass
class TimedModel:
    """One architecture to time: the model, how to make its inputs and how to run it."""

    name: str
    model: nn.Module
    make_inputs: Callable[[int], Any]
    infer: Callable[[nn.Module, Any], Any]
    #: samples in one input batch when it is not the batch size (default: the batch size)
    samples_per_batch: Callable[[Any], int] | None = None
    #: count FLOPs on this model instead (a quantised model's float original: the same multiply-adds)
    flops_model: nn.Module | None = None


@dataclass
class _State:
    runner: nn.Module
    batch: int
    failed: list[int]
    batch_fn: Callable[[], Any]
    samples: int
    mflops: float | None
    compile_error: str | None
    latency: list[list[float]] = field(default_factory=list)
    throughput: list[list[float]] = field(default_factory=list)
    joules: float = 0.0
    energy_samples: int = 0


def rotation(names: list[str], repeat: int) -> list[str]:
    """The order models are timed in during ``repeat``: the list rotated left by ``repeat``."""
    k = repeat % len(names)
    return names[k:] + names[:k]


def measure_interleaved(
    models: list[TimedModel],
    cfg: MeasureConfig,
    device: torch.device,
    precision: str = "fp32",
    compile: bool = False,
) -> dict[str, dict[str, Any]]:
    """``{name: {"speed": ..., "memory": ..., "size": ...}}`` for every model, timed interleaved.

    ``speed`` holds the keys :func:`distillbench.measure.measure_model` returns, plus
    ``throughput_samples`` and ``latency_samples_ms`` (one per repeat, in repeat order, so the same
    index of two models comes from the same round). Models are left on the CPU in eval mode.
    """
    names = [m.name for m in models]
    if not models or len(set(names)) != len(names):
        raise DistillbenchError(f"measure_interleaved needs distinct model names, got {names}")
    device = torch.device(device)
    autocast(device, precision)  # validates the precision before any work
    by_name = {m.name: m for m in models}
    state: dict[str, _State] = {}
    rewarm = 1 if cfg.warmup_iters > 0 else 0
    meter, no_energy = open_meter(device)
    with fixed_threads(cfg.threads) as threads, torch.inference_mode():
        for m in models:
            state[m.name] = _prepare(m, cfg, device, precision, compile)
        peak = device_peak(device, precision)
        for r in range(max(1, cfg.repeats)):
            for name in rotation(names, r):
                m, st = by_name[name], state[name]
                with autocast(device, precision):
                    one = m.make_inputs(1)
                    st.latency.append(
                        time_loop(_call(m, st.runner, one), device, rewarm, cfg.min_iters, cfg.min_duration_s)
                    )
                    st.throughput.append(_metered(st, meter, device, rewarm, cfg))
        for st in state.values():
            st.batch_fn = lambda: None  # drop every model's batch inputs before the memory passes
        for m in models:
            move(m.model, "cpu")
        memory = {m.name: _memory_pass(m, state[m.name], cfg, device, precision) for m in models}
    out: dict[str, dict[str, Any]] = {}
    for m in models:
        st = state[m.name]
        lat = latency_figures(st.latency)
        thr = throughput_figures(st.samples, st.throughput)
        speed: dict[str, Any] = {
            **lat,
            "throughput": thr["throughput"],
            "throughput_batch_size": st.batch,
            "throughput_oom_batch_sizes": st.failed,
            **{k: v for k, v in thr.items() if k != "throughput"},
            "throughput_samples": thr["throughput_repeats"],
            "latency_samples_ms": lat["latency_repeat_p50_ms"],
            "device": str(device),
            "device_name": device_name(device),
            "precision": precision,
            "compiled": compile and st.compile_error is None,
            "threads": threads,
            "protocol": dataclasses.asdict(cfg),
            **utilisation(st.mflops, thr["throughput"], peak),
            "peak": peak,
            "energy": energy_record(st.joules if meter else None, st.energy_samples, meter, no_energy),
        }
        if st.compile_error is not None:
            speed["compile_error"] = st.compile_error
        size = {**count_parameters(m.model), "mflops_per_sample": st.mflops, "bytes_on_disk": bytes_on_disk(m.model)}
        out[m.name] = {"speed": speed, "memory": memory[m.name], "size": size}
    return out


def _metered(st: _State, meter: EnergyMeter | None, device: torch.device, rewarm: int, cfg: MeasureConfig) -> list:
    """One throughput pass; with a meter, its joules and samples (the untimed call too) are added to ``st``."""
    if meter is not None:
        synchronize(device)
        meter.start()
    times = time_loop(st.batch_fn, device, rewarm, cfg.min_iters, cfg.min_duration_s)
    if meter is not None:
        synchronize(device)
        st.joules += meter.joules_since_start()
        st.energy_samples += (len(times) + rewarm) * st.samples
    return times


def _call(m: TimedModel, runner: nn.Module, inputs: Any) -> Callable[[], Any]:
    return lambda: m.infer(runner, inputs)


def _samples(m: TimedModel, inputs: Any, batch: int) -> int:
    return int(m.samples_per_batch(inputs)) if m.samples_per_batch is not None else batch


def _prepare(m: TimedModel, cfg: MeasureConfig, device: torch.device, precision: str, compile: bool) -> _State:
    """FLOPs, compile, warm-up and the batch size of one model (step 1 of the module docstring)."""
    move(m.model.eval(), device)
    one = m.make_inputs(1)
    mflops = None
    if cfg.flops:
        counted, home = m.model, None
        if m.flops_model is not None:  # it may be another timed model (a quantised teacher's float teacher)
            home = next(m.flops_model.parameters()).device
            counted = move(m.flops_model.eval(), device)
        mflops = mflops_per_sample(_call(m, counted, one), _samples(m, one, 1))
        if home is not None:
            move(counted, home)
    current: dict[int, Any] = {}

    with autocast(device, precision):
        runner, compile_error = maybe_compile(m.model, lambda r: m.infer(r, one), compile)

        def make_fn(batch: int) -> Callable[[], Any]:
            current.clear()
            current[batch] = m.make_inputs(batch)
            return _call(m, runner, current[batch])

        def warm(fn: Callable[[], Any]) -> None:
            for _ in range(max(1, cfg.warmup_iters)):
                fn()
            synchronize(device)

        warm(_call(m, runner, one))
        batch, failed, batch_fn, _ = fit_batch(make_fn, device, cfg, warm)
    return _State(runner, batch, failed, batch_fn, _samples(m, current[batch], batch), mflops, compile_error)


def _memory_pass(m: TimedModel, st: _State, cfg: MeasureConfig, device: torch.device, precision: str) -> dict:
    """Peak memory of one model at its throughput batch, alone on the device (step 4)."""
    move(m.model, device)
    try:
        with autocast(device, precision):
            inputs = m.make_inputs(st.batch)
            return {**measure_memory(_call(m, st.runner, inputs), device), "memory_batch_size": st.batch}
    finally:
        move(m.model, "cpu")
