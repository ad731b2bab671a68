"""The timer loop and memory sampler behind :mod:`distillbench.measure` (no protocol decisions here).

Every speed figure in distillbench comes from :func:`time_loop`. It calls ``fn`` ``warmup_iters``
times untimed (the first call may compile, autotune or fill caches), then times one call at a time
until at least ``min_iters`` calls have been timed AND their times add up to at least
``min_duration_s``. On CUDA each call is bracketed by CUDA events (GPU time, no host clock) and the
end event is synchronised before the next call; elsewhere ``time.perf_counter`` brackets the call
and the device is synchronised before the clock is read.

:class:`PeakMemorySampler` reads the process RSS (and, given an NVML handle, the GPU's used memory)
from a background thread every few milliseconds and keeps the peaks.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import psutil
import torch

logger = logging.getLogger(__name__)


def synchronize(device: torch.device) -> None:
    """Wait until all work queued on ``device`` is done (a no-op on CPU)."""
    device = torch.device(device)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()
    elif device.type == "xpu":
        torch.xpu.synchronize(device)


def time_loop(
    fn: Callable[[], Any],
    device: torch.device,
    warmup_iters: int,
    min_iters: int,
    min_duration_s: float,
) -> list[float]:
    """Seconds per call of ``fn``, one entry per timed call (warm-up calls are not returned).

    Times until both ``min_iters`` calls and ``min_duration_s`` seconds of timed calls are reached
    (at least one call is always timed).
    """
    device = torch.device(device)
    if warmup_iters < 0 or min_iters < 0 or min_duration_s < 0:
        raise ValueError("warmup_iters, min_iters and min_duration_s must not be negative")
    min_iters = max(1, min_iters)
    synchronize(device)
    for i in range(warmup_iters):
        t0 = time.perf_counter()
        fn()
        synchronize(device)
        if i == 0:
            logger.debug("first warm-up call took %.1f ms", (time.perf_counter() - t0) * 1e3)
    times: list[float] = []
    total = 0.0
    if device.type == "cuda":
        with torch.cuda.device(device):  # events go on the current stream of the measured device
            start = torch.cuda.Event(enable_timing=True)
            end = torch.cuda.Event(enable_timing=True)
            while len(times) < min_iters or total < min_duration_s:
                start.record()
                fn()
                end.record()
                end.synchronize()
                dt = start.elapsed_time(end) / 1e3  # ms -> s
                times.append(dt)
                total += dt
    else:
        while len(times) < min_iters or total < min_duration_s:
            t0 = time.perf_counter()
            fn()
            synchronize(device)
            dt = time.perf_counter() - t0
            times.append(dt)
            total += dt
    return times


def nvml_handle(device: torch.device) -> Any:
    """An NVML handle for ``device``, or None when pynvml is missing or NVML fails."""
    try:
        import pynvml
    except ImportError:
        return None
    try:
        pynvml.nvmlInit()
        index = device.index if device.index is not None else torch.cuda.current_device()
        uuid = getattr(torch.cuda.get_device_properties(index), "uuid", None)
        if uuid is not None:  # robust to CUDA_VISIBLE_DEVICES reordering
            with contextlib.suppress(Exception):
                return pynvml.nvmlDeviceGetHandleByUUID(f"GPU-{uuid}")
        return pynvml.nvmlDeviceGetHandleByIndex(index)
    except Exception as exc:
        logger.warning("NVML unavailable (%s); nvml_used_mb not recorded", exc)
        return None


class PeakMemorySampler:
    """Samples process RSS (and NVML used memory) from a background thread; keeps the peaks."""

    def __init__(self, nvml: Any = None, interval_s: float = 0.002) -> None:
        self._proc = psutil.Process()
        self._nvml = nvml
        self._interval_s = interval_s
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="distillbench-rss", daemon=True)
        self.start_rss = self.peak_rss = self._proc.memory_info().rss
        self.peak_nvml: int | None = None

    def _sample(self) -> None:
        self.peak_rss = max(self.peak_rss, self._proc.memory_info().rss)
        if self._nvml is not None:
            try:
                import pynvml

                used = int(pynvml.nvmlDeviceGetMemoryInfo(self._nvml).used)
            except Exception as exc:
                logger.warning("NVML read failed (%s); nvml_used_mb not recorded", exc)
                self._nvml = self.peak_nvml = None
                return
            self.peak_nvml = used if self.peak_nvml is None else max(self.peak_nvml, used)

    def _run(self) -> None:
        while not self._done.wait(self._interval_s):
            self._sample()

    def __enter__(self) -> PeakMemorySampler:
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()
        self._sample()
