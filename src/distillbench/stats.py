"""Statistics shared by adapters, report and compare (one place, no task code).

``bootstrap_ci``: the percentile bootstrap (Efron & Tibshirani 1993, *An Introduction to the
Bootstrap*) of a per-sample mean, used for test-set accuracy intervals.
"""

from __future__ import annotations

import numpy as np

BOOTSTRAP_SAMPLES = 1000


def bootstrap_ci(correct: np.ndarray, samples: int = BOOTSTRAP_SAMPLES, seed: int = 0) -> tuple[float, float]:
    """Percentile-bootstrap 95% interval of the mean of a 0/1 vector."""
    if len(correct) == 0:
        return (float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    means = correct[rng.integers(0, len(correct), size=(samples, len(correct)))].mean(axis=1)
    lo, hi = np.percentile(means, [2.5, 97.5])
    return float(lo), float(hi)


def log_ratio_ci(samples: list[float]) -> dict[str, object]:
    """Mean and t-interval of paired ratios (e.g. student/teacher throughput per interleaved repeat).

    Ratios are averaged on the log scale (a 2x speed-up and a 0.5x slow-down are symmetric): the
    Student t-interval of the mean log ratio, exponentiated back, so ``mean`` is the geometric mean
    and always lies inside ``ci95``. With fewer than two samples there is no interval (``[None, None]``).
    """
    from scipy import stats as st

    values = np.asarray(samples, dtype=float)
    if values.size == 0 or not np.all(np.isfinite(values)) or np.any(values <= 0):
        raise ValueError(f"log_ratio_ci needs positive finite ratios, got {list(samples)}")
    logs = np.log(values)
    mean = float(logs.mean())
    ci: list[float | None] = [None, None]
    if values.size > 1:
        half = float(st.t.ppf(0.975, df=values.size - 1) * logs.std(ddof=1) / np.sqrt(values.size))
        ci = [float(np.exp(mean - half)), float(np.exp(mean + half))]
    return {
        "mean": float(np.exp(mean)),
        "ci95": ci,
        "n": int(values.size),
        "samples": [float(v) for v in values],
        "method": "t-interval of the mean log ratio over interleaved repeats",
    }
