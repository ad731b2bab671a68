"""The one measurement protocol: speed, memory and size of a model, the same way for every task.

The protocol follows the approach of Hugging Face's optimum-benchmark: warm up before timing,
time many iterations with the device's own clock, keep latency and throughput as separate passes,
reset and read peak memory counters around a dedicated pass, and report distributions rather
than single numbers. Concretely, for one model (:func:`measure_model`):

1. The model is put in eval mode under ``torch.inference_mode()``, optionally ``torch.compile``-d
   (recorded), with inference under :func:`autocast` for bf16/fp16 (none for fp32). On CPU the
   thread count is fixed to ``MeasureConfig.threads`` for the whole measurement and restored
   afterwards; the count used is recorded.
2. Timing (:func:`distillbench.timing.time_loop`): ``warmup_iters`` untimed calls (the first may
   compile), then timed calls until BOTH ``min_iters`` calls AND ``min_duration_s`` seconds are
   reached. CUDA is timed with CUDA events and synchronised; CPU with ``time.perf_counter``.
   Each pass is repeated ``repeats`` times and the spread across repeats is reported.
3. Latency pass at batch size 1: p50/p90/p99/mean/std over all timed calls, the p50 of each repeat
   and its spread ((max - min) / median, in %).
4. Throughput pass at the largest configured batch size that fits: samples per call / median
   seconds per call, per repeat, the median over repeats reported. On out-of-memory the batch is
   halved (never skipping a configured size) and retried; the size used and the sizes that failed
   are recorded. If batch 1 fails too, :class:`MeasureOOMError` is raised.
5. Memory pass at the throughput batch size: peak stats are reset first; on CUDA
   ``max_memory_allocated``, ``max_memory_reserved`` and NVML used memory (device-wide, only if
   ``pynvml`` is importable); everywhere the process RSS sampled by a background thread every
   2 ms (peak, and peak minus RSS at start of the pass).
6. Utilisation and energy: achieved FLOP/s (MFLOPs per sample x throughput) and its share of the device's
   peak (hardware.py); J per 1,000 samples over the throughput pass (energy.py), or why not measurable.
7. Size: parameters, MFLOPs per sample (``FlopCounterMode`` at batch 1, without autocast or
   compile) and the bytes of ``torch.save(state_dict)``.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import gc
import io
import logging
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch
from torch import nn

from distillbench.config import MeasureConfig
from distillbench.energy import energy_record, open_meter
from distillbench.errors import DistillbenchError
from distillbench.hardware import device_peak, utilisation
from distillbench.timing import PeakMemorySampler, nvml_handle, synchronize, time_loop

logger = logging.getLogger(__name__)

PRECISION_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}
_MB = float(2**20)


class MeasureOOMError(DistillbenchError):
    """The model runs out of memory even at batch size 1."""


def resolve_device(name: str | torch.device) -> torch.device:
    """``"auto"`` -> cuda if available else cpu; ``"cuda"``/``"cuda:N"`` only if that GPU exists."""
    name = str(name).strip().lower()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise DistillbenchError(f"unknown device {name!r}; use 'auto', 'cpu', 'cuda' or 'cuda:N'") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise DistillbenchError(
                f"device {name!r} asked for, but CUDA is not available here (torch {torch.__version__}, "
                f"CUDA build {torch.version.cuda}); use device 'cpu' or 'auto'"
            )
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise DistillbenchError(f"device {name!r} asked for, but {torch.cuda.device_count()} GPU(s) are visible")
    return device


def autocast(device: torch.device, precision: str) -> contextlib.AbstractContextManager:
    """The context to run inference in: ``torch.autocast`` for bf16/fp16, nothing for fp32."""
    if precision == "fp32":
        return contextlib.nullcontext()
    if precision not in PRECISION_DTYPES:
        raise DistillbenchError(f"unknown precision {precision!r}; use one of fp32, bf16, fp16")
    return torch.autocast(device_type=torch.device(device).type, dtype=PRECISION_DTYPES[precision])


@contextlib.contextmanager
def fixed_threads(threads: int | None) -> Iterator[int]:
    """Fix torch's intra-op CPU threads (None: leave as is) and restore them; yields the count in use."""
    if threads is not None and threads < 1:
        raise DistillbenchError(f"measure.threads must be at least 1, got {threads}")
    before = torch.get_num_threads()
    change = threads is not None and threads != before  # set_num_threads is not free: only when needed
    if change:
        torch.set_num_threads(threads)
    try:
        yield torch.get_num_threads()
    finally:
        if change:
            torch.set_num_threads(before)


def move(model: nn.Module, device: torch.device | str) -> nn.Module:
    """``model.to(device)``, also inside ``torch.inference_mode()``, where tensor subclasses (torchao's int8
    weights) cannot be swapped to another device."""
    with torch.inference_mode(False):
        return model.to(device)


def is_oom(exc: BaseException) -> bool:
    """Whether ``exc`` is an out-of-memory error (CUDA, CPU allocator or Python)."""
    if isinstance(exc, (torch.cuda.OutOfMemoryError, MemoryError)):
        return True
    msg = str(exc).lower()
    return isinstance(exc, RuntimeError) and ("out of memory" in msg or "can't allocate memory" in msg)


def _release_memory(device: torch.device) -> None:
    """Free what can be freed before a memory pass or an OOM retry (GC, CUDA cache, glibc heap)."""
    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _spread_pct(values: list[float]) -> float:
    med = float(np.median(values))
    return float((max(values) - min(values)) / med * 100.0) if med > 0 else 0.0


def measure_latency(fn: Callable[[], Any], device: torch.device, cfg: MeasureConfig) -> dict[str, Any]:
    """Latency of ``fn`` (one batch-1 call) over ``cfg.repeats`` timed loops; times in ms."""
    with fixed_threads(cfg.threads):
        repeats = [
            time_loop(fn, device, cfg.warmup_iters, cfg.min_iters, cfg.min_duration_s)
            for _ in range(max(1, cfg.repeats))
        ]
    return latency_figures(repeats)


def latency_figures(repeats: list[list[float]]) -> dict[str, Any]:
    """Latency percentiles (ms) over every timed call of every repeat, and each repeat's p50."""
    all_ms = np.asarray([t for r in repeats for t in r]) * 1e3
    p50, p90, p99 = (float(v) for v in np.percentile(all_ms, [50, 90, 99]))
    repeat_p50 = [float(np.median(r)) * 1e3 for r in repeats]
    return {
        "latency_p50_ms": p50,
        "latency_p90_ms": p90,
        "latency_p99_ms": p99,
        "latency_mean_ms": float(all_ms.mean()),
        "latency_std_ms": float(all_ms.std()),
        "latency_iters": int(all_ms.size),
        "latency_repeat_p50_ms": repeat_p50,
        "latency_spread_pct": _spread_pct(repeat_p50),
    }


def _next_batch(batch: int, sizes: list[int]) -> int:
    """Half of ``batch``, or the next smaller configured size if that is larger (none is skipped)."""
    smaller = [s for s in sizes if s < batch]
    return max(1, batch // 2, max(smaller, default=1))


def fit_batch(
    make_fn: Callable[[int], Callable[[], Any]],
    device: torch.device,
    cfg: MeasureConfig,
    attempt: Callable[[Callable[[], Any]], Any],
) -> tuple[int, list[int], Callable[[], Any], Any]:
    """The largest configured batch size at which ``attempt(make_fn(batch))`` fits (halving on out-of-memory).

    Returns the batch size, the sizes that failed, the call built for that size and what ``attempt`` returned.
    """
    device = torch.device(device)
    sizes = sorted({int(b) for b in cfg.batch_sizes if int(b) >= 1}, reverse=True)
    if not sizes:
        raise DistillbenchError(f"measure.batch_sizes must hold a size >= 1, got {cfg.batch_sizes}")
    batch, failed = sizes[0], []
    while True:
        fn = None
        try:
            with fixed_threads(cfg.threads):
                fn = make_fn(batch)
                return batch, failed, fn, attempt(fn)
        except Exception as exc:
            if not is_oom(exc):
                raise
            failed.append(batch)
            fn = None
            if batch == 1:
                raise MeasureOOMError(
                    f"out of memory even at batch size 1 on {device} (failed batch sizes: {failed}): {exc}"
                ) from exc
            logger.warning("out of memory at batch size %d on %s; retrying with a smaller batch", batch, device)
        # outside the except block, so the traceback (and the tensors its frames hold) is gone
        _release_memory(device)
        batch = _next_batch(batch, sizes)


def throughput_figures(samples_per_call: int, repeats: list[list[float]]) -> dict[str, Any]:
    """Samples/s per repeat (samples per call / median seconds per call) and their median."""
    per_repeat = [samples_per_call / float(np.median(r)) for r in repeats]
    return {
        "throughput": float(np.median(per_repeat)),
        "throughput_repeats": per_repeat,
        "throughput_spread_pct": _spread_pct(per_repeat),
        "throughput_iters": sum(len(r) for r in repeats),
    }


def measure_throughput(
    make_fn: Callable[[int], Callable[[], Any]],
    device: torch.device,
    cfg: MeasureConfig,
    samples_per_call: Callable[[int], int] | None = None,
) -> dict[str, Any]:
    """Samples/s at the largest configured batch size that fits (halving on out-of-memory).

    The device's energy counter (energy.py) is read around the timed loops of the size that fits; the
    result's ``energy`` holds J per 1,000 samples, or ``not measurable`` and why.
    """
    device = torch.device(device)
    meter, no_energy = open_meter(device)
    used = {"joules": 0.0, "calls": 0}

    def timed(fn: Callable[[], Any]) -> list[list[float]]:
        used.update(joules=0.0, calls=0)  # a size that ran out of memory leaves nothing behind
        out = []
        for _ in range(max(1, cfg.repeats)):
            if meter is not None:
                synchronize(device)
                meter.start()
            out.append(time_loop(fn, device, cfg.warmup_iters, cfg.min_iters, cfg.min_duration_s))
            if meter is not None:
                synchronize(device)
                used["joules"] += meter.joules_since_start()
                used["calls"] += len(out[-1]) + cfg.warmup_iters
        return out

    batch, failed, _, repeats = fit_batch(make_fn, device, cfg, timed)
    n = int(samples_per_call(batch)) if samples_per_call is not None else batch
    figures = throughput_figures(n, repeats)
    return {
        "throughput": figures["throughput"],
        "throughput_batch_size": batch,
        "throughput_oom_batch_sizes": failed,
        **{k: v for k, v in figures.items() if k != "throughput"},
        "energy": energy_record(used["joules"] if meter else None, int(used["calls"]) * n, meter, no_energy),
    }


def measure_memory(fn: Callable[[], Any], device: torch.device, iters: int = 3) -> dict[str, Any]:
    """Peak memory over ``iters`` calls of ``fn`` (MB = 2**20 bytes); see the module docstring."""
    device = torch.device(device)
    cuda = device.type == "cuda"
    _release_memory(device)
    if cuda:
        synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
    with PeakMemorySampler(nvml_handle(device) if cuda else None) as sampler:
        for _ in range(max(1, iters)):
            fn()
        synchronize(device)
    out: dict[str, Any] = {
        "peak_rss_mb": sampler.peak_rss / _MB,
        "rss_delta_mb": (sampler.peak_rss - sampler.start_rss) / _MB,
    }
    if cuda:
        out["peak_allocated_mb"] = torch.cuda.max_memory_allocated(device) / _MB
        out["peak_reserved_mb"] = torch.cuda.max_memory_reserved(device) / _MB
        if sampler.peak_nvml is not None:
            out["nvml_used_mb"] = sampler.peak_nvml / _MB
    return out


def count_parameters(model: nn.Module) -> dict[str, int]:
    """Parameter counts (shared parameters counted once)."""
    params = list(model.parameters())
    return {
        "params": sum(p.numel() for p in params),
        "trainable_params": sum(p.numel() for p in params if p.requires_grad),
    }


def mflops_per_sample(fn: Callable[[], Any], n_samples: int) -> float | None:
    """Millions of FLOPs per sample for one call of ``fn`` on ``n_samples`` samples (None on failure)."""
    try:
        from torch.utils.flop_counter import FlopCounterMode

        counter = FlopCounterMode(display=False)
        with counter:
            fn()
        total = counter.get_total_flops()
    except Exception as exc:
        logger.warning("FLOP counting failed (%s: %s); mflops_per_sample not recorded", type(exc).__name__, exc)
        return None
    return float(total) / max(1, n_samples) / 1e6


def bytes_on_disk(model: nn.Module) -> int:
    """Size in bytes of ``torch.save(model.state_dict())``."""
    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    return buf.getbuffer().nbytes


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    try:
        from distillbench.env import cpu_name

        return cpu_name()
    except ImportError:
        import platform

        return platform.processor() or platform.machine()


def maybe_compile(model: nn.Module, warm: Callable[[nn.Module], Any], compile: bool) -> tuple[nn.Module, str | None]:
    """``torch.compile(model)`` checked by one call; on failure the eager model and the error."""
    if not compile:
        return model, None
    try:
        compiled = torch.compile(model)
        warm(compiled)
        return compiled, None
    except Exception as exc:
        if is_oom(exc):
            raise
        logger.warning("torch.compile failed, measuring the eager model instead: %s: %s", type(exc).__name__, exc)
        return model, f"{type(exc).__name__}: {exc}"


def measure_model(
    model: nn.Module,
    make_inputs: Callable[[int], Any],
    infer: Callable[[nn.Module, Any], Any],
    cfg: MeasureConfig,
    device: torch.device,
    precision: str = "fp32",
    compile: bool = False,
    samples_per_batch: Callable[[Any], int] | None = None,
) -> dict[str, Any]:
    """The whole protocol for one model: ``{"speed": ..., "memory": ..., "size": ...}``.

    The model is moved to ``device`` and left there; its train/eval mode is restored afterwards.
    """
    device = torch.device(device)
    amp = autocast(device, precision)  # validates precision before any work
    was_training = model.training
    model.eval().to(device)
    current: dict[int, Any] = {}  # the inputs of the batch being measured (one size at a time)

    def make_fn(batch_size: int) -> Callable[[], Any]:
        current.clear()
        inputs = current[batch_size] = make_inputs(batch_size)
        return lambda: infer(runner, inputs)

    def samples(inputs: Any, batch_size: int) -> int:
        return int(samples_per_batch(inputs)) if samples_per_batch is not None else batch_size

    try:
        with fixed_threads(cfg.threads) as threads, torch.inference_mode():
            one = make_inputs(1)
            # FLOPs first, on the eager model and the first batch-1 input, so every model of a task is
            # counted on the same sample (adapters may cycle through several inputs in the latency pass)
            mflops = mflops_per_sample(lambda: infer(model, one), samples(one, 1)) if cfg.flops else None
            with amp:
                runner, compile_error = maybe_compile(model, lambda m: infer(m, one), compile)
                latency = measure_latency(lambda: infer(runner, one), device, cfg)
                throughput = measure_throughput(make_fn, device, cfg, lambda b: samples(current[b], b))
                batch = throughput["throughput_batch_size"]
                memory = {**measure_memory(make_fn(batch), device), "memory_batch_size": batch}
            current.clear()
            peak = device_peak(device, precision)
    finally:
        model.train(was_training)
    speed: dict[str, Any] = {
        **latency,
        **throughput,
        "device": str(device),
        "device_name": device_name(device),
        "precision": precision,
        "compiled": compile and compile_error is None,
        "threads": threads,
        "protocol": dataclasses.asdict(cfg),
        **utilisation(mflops, throughput["throughput"], peak),
        "peak": peak,
    }
    if compile_error is not None:
        speed["compile_error"] = compile_error
    size = {**count_parameters(model), "mflops_per_sample": mflops, "bytes_on_disk": bytes_on_disk(model)}
    return {"speed": speed, "memory": memory, "size": size}
