"""Cross-check: measure.py's throughput against a bare pytest-benchmark loop over the same forward.

Both time the same zero-argument callable (a small CNN at batch 64, one CPU thread, inference
mode) with ``time.perf_counter``, and their throughputs (batch / median seconds per call) must
agree within 3 %.

On a shared 2-core machine the speed of that forward drifts by several percent within seconds
(other processes, steal time), so two long back-to-back passes would compare the machine, not the
code. The asserted comparison therefore interleaves them: ``pedantic``'s untimed ``setup`` hook
runs a complete, short ``measure_throughput`` pass (warm-up, both minimums, three repeats, median)
before every 20th bare call, and the measure.py figure is the median of those passes. A
conventional full pass (warm-up, 1 s x 3 repeats) is run too and recorded beside it, not asserted.
Run it with::

    .venv/bin/pytest benchmarks/bench_measure.py -p no:cacheprovider --log-cli-level=INFO

(a file named on the command line is collected whatever ``python_files`` says). The figures are in
the benchmark's ``extra_info`` (``--benchmark-json=out.json`` keeps them) and in an INFO log line.
"""

from __future__ import annotations

import logging
import statistics

import pytest
import torch
from pytest_benchmark.fixture import BenchmarkFixture
from torch import nn

from distillbench.config import MeasureConfig
from distillbench.measure import fixed_threads, measure_throughput

logger = logging.getLogger(__name__)

BATCH = 64
THREADS = 1
TOLERANCE = 0.03
ROUNDS = 400


def small_cnn() -> nn.Module:
    """~9 MFLOPs per 3x32x32 sample: ~6-10 ms per batch of 64 on one idle CPU core."""
    return nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(32, 48, 3, stride=2, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(48, 10),
    ).eval()


def test_measure_throughput_matches_bare_loop(benchmark: BenchmarkFixture) -> None:
    torch.manual_seed(0)
    model = small_cnn()
    x = torch.randn(BATCH, 3, 32, 32)
    cpu = torch.device("cpu")

    def forward() -> torch.Tensor:
        return model(x)

    short = MeasureConfig(
        warmup_iters=2, min_iters=5, min_duration_s=0.05, repeats=3, batch_sizes=[BATCH], threads=THREADS
    )
    full = MeasureConfig(
        warmup_iters=10, min_iters=50, min_duration_s=1.0, repeats=3, batch_sizes=[BATCH], threads=THREADS
    )
    passes: list[dict] = []
    rounds = [0]

    def setup() -> None:  # untimed by pytest-benchmark: a whole measure.py pass before every 20th bare call
        rounds[0] += 1
        if rounds[0] > 10 and rounds[0] % 20 == 0:  # after the warm-up rounds
            passes.append(measure_throughput(lambda b: forward, cpu, short))

    with fixed_threads(THREADS), torch.inference_mode():
        benchmark.pedantic(forward, setup=setup, rounds=ROUNDS, iterations=1, warmup_rounds=10)
        conventional = measure_throughput(lambda b: forward, cpu, full)
    if not benchmark.stats:
        pytest.skip("benchmarks disabled (--benchmark-disable): nothing to compare")
    bare = BATCH / benchmark.stats.stats.median
    measured = statistics.median(p["throughput"] for p in passes)
    diff = measured / bare - 1.0
    conv_diff = conventional["throughput"] / bare - 1.0
    benchmark.extra_info.update(
        {
            "batch_size": BATCH,
            "threads": THREADS,
            "bare_throughput": bare,
            "measure_throughput_interleaved": measured,
            "relative_difference": diff,
            "measure_throughput_conventional": conventional["throughput"],
            "conventional_relative_difference": conv_diff,
            "conventional_spread_pct": conventional["throughput_spread_pct"],
        }
    )
    logger.info(
        "bare %.1f samples/s; measure.py interleaved %.1f (%+.2f%%), conventional %.1f (%+.2f%%, spread %.1f%%)",
        bare,
        measured,
        diff * 100,
        conventional["throughput"],
        conv_diff * 100,
        conventional["throughput_spread_pct"],
    )
    assert all(p["throughput_batch_size"] == BATCH and p["throughput_oom_batch_sizes"] == [] for p in passes)
    assert abs(diff) <= TOLERANCE, f"measure.py {measured:.1f} vs bare {bare:.1f} samples/s ({diff:+.2%})"
