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
