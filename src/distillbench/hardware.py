"""Hardware utilisation: the device's peak FLOP/s and each model's achieved share of it.

A speed-up says how much faster a student runs, not whether the hardware is used well: a student with
8x fewer FLOPs that runs 1.3x faster spends most of its time outside dense arithmetic (kernel launches,
small matrices, memory traffic, pre/post-processing). The utilisation figures make that visible:

- **achieved FLOP/s** = FLOPs per sample (``FlopCounterMode`` at batch 1, measure.py) x samples/s at the
  model's throughput batch. FLOPs are counted once, on the first example, so for inputs of varying length
  the figure is approximate in the same way ``MFLOPs/sample`` is.
- **peak FLOP/s**: on a GPU the datasheet's dense peak for the precision, looked up by device name
  (:data:`GPU_PEAK_TFLOPS`; fp32 is the non-tensor-core FP32 figure, because torch's default fp32 matmul
  precision is "highest", i.e. no TF32; bf16/fp16 are the dense tensor-core figures, without sparsity). On a
  CPU there is no dependable datasheet figure (turbo, SMT, shared cores), so the same job measures it:
  :func:`cpu_matmul_peak` times square matrix multiplies of a few sizes with the protocol's timer, under the
  job's thread setting, and keeps the best (a matmul microbenchmark, the same idea as LINPACK's).
- **share of peak** = achieved / peak.
"""

from __future__ import annotations

import contextlib
import functools
import re
from typing import Any

import torch

from distillbench.timing import time_loop

#: Dense peak TFLOP/s from NVIDIA's datasheets, per precision (no sparsity); the first pattern that matches
#: the device name (case-insensitive) wins, so more specific names come first.
GPU_PEAK_TFLOPS: tuple[tuple[str, dict[str, float]], ...] = (
    (r"H200", {"fp32": 67.0, "bf16": 989.5, "fp16": 989.5}),  # H200 SXM
    (r"H100.*PCIe", {"fp32": 51.0, "bf16": 756.0, "fp16": 756.0}),
    (r"H100", {"fp32": 67.0, "bf16": 989.5, "fp16": 989.5}),  # H100 SXM
    (r"A100", {"fp32": 19.5, "bf16": 312.0, "fp16": 312.0}),
    (r"L40S", {"fp32": 91.6, "bf16": 362.0, "fp16": 362.0}),
    (r"\bL4\b", {"fp32": 30.3, "bf16": 121.0, "fp16": 121.0}),
    (r"\bA10\b", {"fp32": 31.2, "bf16": 125.0, "fp16": 125.0}),
    (r"RTX 4090", {"fp32": 82.6, "bf16": 165.2, "fp16": 165.2}),
    (r"V100", {"fp32": 15.7, "fp16": 125.0}),
    (r"\bT4\b", {"fp32": 8.1, "fp16": 65.0}),
)
#: square matrix sizes of the CPU microbenchmark (the best of them is the peak)
CPU_MATMUL_SIZES = (256, 512, 1024)
_DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


def gpu_datasheet_peak(name: str, precision: str) -> dict[str, Any]:
    """``{"flops_per_s", "source", ...}`` for a GPU name, or ``{"flops_per_s": None, "reason": ...}``."""
    for pattern, table in GPU_PEAK_TFLOPS:
        if re.search(pattern, name, flags=re.IGNORECASE):
            if precision not in table:
                return {"flops_per_s": None, "reason": f"the datasheet table has no {precision} peak for {name}"}
            return {
                "flops_per_s": table[precision] * 1e12,
                "source": f"datasheet dense {precision} peak of {name} ({table[precision]} TFLOP/s)",
                "precision": precision,
            }
    return {"flops_per_s": None, "reason": f"no datasheet peak known for GPU {name!r} (hardware.GPU_PEAK_TFLOPS)"}


def cpu_matmul_peak(
    precision: str = "fp32", sizes: tuple[int, ...] = CPU_MATMUL_SIZES, min_duration_s: float = 0.2
) -> dict[str, Any]:
    """The best FLOP/s of ``n x n @ n x n`` matmuls (2 n^3 FLOPs each) over ``sizes``, under the current threads."""
    dtype = _DTYPES.get(precision, torch.float32)
    per_size = {}
    gen = torch.Generator().manual_seed(0)
    with torch.inference_mode():
        for n in sizes:
            a = torch.randn(n, n, generator=gen).to(dtype)
            b = torch.randn(n, n, generator=gen).to(dtype)
            times = time_loop(lambda a=a, b=b: torch.mm(a, b), torch.device("cpu"), 2, 5, min_duration_s)
            per_size[n] = 2.0 * n**3 / min(times)
    best = max(per_size, key=per_size.__getitem__)
    return {
        "flops_per_s": per_size[best],
        "source": f"matmul microbenchmark ({precision}, best of n={', '.join(map(str, sizes))}: n={best})",
        "precision": precision,
        "threads": torch.get_num_threads(),
        "per_size_flops_per_s": {str(n): v for n, v in per_size.items()},
    }


def device_peak(device: torch.device, precision: str) -> dict[str, Any]:
    """The peak FLOP/s the achieved figures are divided by: datasheet on GPU, measured on CPU."""
    device = torch.device(device)
    if device.type == "cuda":
        return gpu_datasheet_peak(torch.cuda.get_device_name(device), precision)
    if device.type != "cpu":
        return {"flops_per_s": None, "reason": f"no peak known for device type {device.type!r}"}
    return dict(_cpu_peak(precision, torch.get_num_threads()))


@functools.cache
def _cpu_peak(precision: str, threads: int) -> dict[str, Any]:
    """Measured once per process, precision and thread count (a speed job times all its models under one)."""
    with contextlib.suppress(RuntimeError):  # an exotic dtype without a CPU matmul: fall back to fp32
        return cpu_matmul_peak(precision)
    return cpu_matmul_peak("fp32")


def utilisation(mflops_per_sample: float | None, throughput: float | None, peak: dict[str, Any]) -> dict[str, Any]:
    """``achieved_flops_per_s`` and ``peak_share`` of one model (None where a factor is missing)."""
    achieved = None
    if mflops_per_sample is not None and throughput is not None:
        achieved = float(mflops_per_sample) * 1e6 * float(throughput)
    peak_value = peak.get("flops_per_s")
    share = achieved / peak_value if achieved is not None and peak_value else None
    return {"achieved_flops_per_s": achieved, "peak_flops_per_s": peak_value, "peak_share": share}
