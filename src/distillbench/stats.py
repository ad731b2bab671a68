"""Statistics shared by adapters, report and compare (one place, no task code).

- :func:`bootstrap_ci`: the percentile bootstrap (Efron & Tibshirani 1993, *An Introduction to the
  Bootstrap*) of a per-sample mean, used for test-set accuracy intervals.
- :func:`welch_difference`: the difference of two means over seeds with Welch's unequal-variance
  t-test (Welch 1947, *Biometrika* 34) and its 95% interval on the Welch–Satterthwaite degrees of
  freedom (Satterthwaite 1946); :func:`difference_verdict` turns it into "better" / "worse" /
  "no clear difference" / "n=1: no verdict".
- :func:`log_ratio_ci`: a t-interval of the mean log ratio (e.g. student/teacher throughput per
  interleaved repeat), reported back on the ratio scale (a geometric mean).
- :func:`mann_whitney`: the two-sided Mann–Whitney U test (Mann & Whitney 1947) with the smallest
  p-value the exact test can reach at the given sample sizes.
- :func:`summarize`: mean, sample std, n, median and the t-interval of the mean of a sample.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from distillbench.errors import DistillbenchError

BOOTSTRAP_SAMPLES = 1000
ALPHA = 0.05
WELCH_TEST = "Welch's t-test over seeds, two-sided"
#: verdicts of :func:`difference_verdict`
BETTER, WORSE, UNCLEAR, NO_VERDICT = "better", "worse", "no clear difference", "n=1: no verdict"


def bootstrap_ci(correct: np.ndarray, samples: int = BOOTSTRAP_SAMPLES, seed: int = 0) -> tuple[float, float]:
    """Percentile-bootstrap 95% interval of the mean of a 0/1 vector."""
    if len(correct) == 0:
        return (float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    means = correct[rng.integers(0, len(correct), size=(samples, len(correct)))].mean(axis=1)
    lo, hi = np.percentile(means, [2.5, 97.5])
    return float(lo), float(hi)


@dataclass(frozen=True)
class Summary:
    """A sample in a few numbers; ``std`` and ``ci95`` are None for fewer than two values."""

    n: int
    mean: float
    std: float | None
    median: float
    ci95: tuple[float, float] | None


def summarize(values: Sequence[float], confidence: float = 0.95) -> Summary:
    """Mean, sample std (ddof=1), median and the Student-t interval of the mean of ``values``."""
    x = _finite(values, "summarize")
    if x.size == 0:
        raise DistillbenchError("summarize: no finite values")
    mean, median = float(x.mean()), float(np.median(x))
    if x.size < 2:
        return Summary(1, mean, None, median, None)
    from scipy import stats

    std = float(x.std(ddof=1))
    half = float(stats.t.ppf(0.5 + confidence / 2, x.size - 1)) * std / math.sqrt(x.size)
    return Summary(int(x.size), mean, std, median, (mean - half, mean + half))


@dataclass(frozen=True)
class Difference:
    """``mean(new) - mean(base)`` with Welch's test; p, CI and df are None when a side has < 2 values."""

    delta: float
    ci95: tuple[float, float] | None
    p_value: float | None
    df: float | None
    n_base: int
    n_new: int
    test: str = WELCH_TEST


def welch_df(s1: float, n1: int, s2: float, n2: int) -> float:
    """Welch–Satterthwaite degrees of freedom for sample stds ``s1``, ``s2`` and sizes ``n1``, ``n2``."""
    a, b = s1**2 / n1, s2**2 / n2
    if a + b == 0:
        return float(n1 + n2 - 2)
    return (a + b) ** 2 / (a**2 / (n1 - 1) + b**2 / (n2 - 1))


def welch_difference(base: Sequence[float], new: Sequence[float], confidence: float = 0.95) -> Difference:
    """Mean difference ``new - base``, its CI on the Welch–Satterthwaite df and the two-sided Welch p-value.

    Both samples with zero variance: p = 1 when the means are equal, 0 otherwise, and a zero-width CI.
    """
    x, y = _finite(base, "base"), _finite(new, "new")
    if x.size == 0 or y.size == 0:
        raise DistillbenchError("welch_difference: each side needs at least one value")
    delta = float(y.mean() - x.mean())
    if x.size < 2 or y.size < 2:
        return Difference(delta, None, None, None, int(x.size), int(y.size))
    from scipy import stats

    s1, s2 = float(x.std(ddof=1)), float(y.std(ddof=1))
    df = welch_df(s1, x.size, s2, y.size)
    se = math.sqrt(s1**2 / x.size + s2**2 / y.size)
    if se == 0:
        p = 1.0 if delta == 0 else 0.0
        return Difference(delta, (delta, delta), p, df, int(x.size), int(y.size))
    p = float(stats.ttest_ind(y, x, equal_var=False).pvalue)
    half = float(stats.t.ppf(0.5 + confidence / 2, df)) * se
    return Difference(delta, (delta - half, delta + half), p, df, int(x.size), int(y.size))


def difference_verdict(diff: Difference, higher_is_better: bool, alpha: float = ALPHA) -> str:
    """ "better"/"worse" only when ``p < alpha``; else "no clear difference"; "n=1: no verdict" without a p-value."""
    if not 0 < alpha < 1:
        raise DistillbenchError(f"alpha must lie in (0, 1), got {alpha}")
    if diff.p_value is None or math.isnan(diff.p_value):
        return NO_VERDICT
    if diff.p_value >= alpha or diff.delta == 0:
        return UNCLEAR
    return BETTER if (diff.delta > 0) == higher_is_better else WORSE


@dataclass(frozen=True)
class RatioInterval:
    """A ratio as ``exp(mean log ratio)`` with the exponentiated t-interval (None for one sample)."""

    mean: float
    ci95: tuple[float, float] | None
    n: int
    method: str = "t-interval of the mean log ratio"


def log_ratio_ci(ratios: Sequence[float], confidence: float = 0.95) -> RatioInterval:
    """Geometric-mean ratio and its CI from per-repeat ratios (all must be positive)."""
    r = _finite(ratios, "log_ratio_ci")
    if r.size == 0 or (r <= 0).any():
        raise DistillbenchError("log_ratio_ci: needs at least one ratio, all positive")
    s = summarize(np.log(r).tolist(), confidence)
    ci = None if s.ci95 is None else (math.exp(s.ci95[0]), math.exp(s.ci95[1]))
    return RatioInterval(math.exp(s.mean), ci, s.n)


def mann_whitney(base: Sequence[float], new: Sequence[float], alpha: float = ALPHA) -> tuple[float | None, str]:
    """Two-sided Mann–Whitney U p-value (None without values) and a note when ``p < alpha`` is out of reach.

    The smallest two-sided p of the exact test is 2 / C(n1 + n2, n1) (3 vs 3: 0.10).
    """
    x, y = list(base), list(new)
    if not x or not y:
        return None, ""
    arrangements = math.comb(len(x) + len(y), len(x))  # exact, and far beyond a float for large samples
    smallest = 2.0 / arrangements if arrangements < 10**300 else 0.0
    note = ""
    if smallest >= alpha:
        note = (
            f"too few samples for the test (n={len(x)} vs {len(y)}: smallest possible p = {smallest:.2g} ≥ {alpha:g})"
        )
    if len(set(x) | set(y)) == 1:
        return 1.0, note
    from scipy import stats

    return float(stats.mannwhitneyu(x, y, alternative="two-sided").pvalue), note


def welch_from_stats(m1: float, s1: float, n1: int, m2: float, s2: float, n2: int) -> float:
    """Two-sided Welch p-value from summary statistics only (mean, std, n of each side)."""
    from scipy import stats

    return float(stats.ttest_ind_from_stats(m1, s1, n1, m2, s2, n2, equal_var=False).pvalue)


def format_p(p: float | None) -> str:
    """``p=0.20``, ``p=0.003``, ``p<0.001``; an em dash without a p-value."""
    if p is None or math.isnan(p):
        return "—"
    return "p<0.001" if p < 0.001 else f"p={p:.3f}" if p < 0.01 else f"p={p:.2f}"


def _finite(values: Sequence[float], what: str) -> np.ndarray:
    x = np.asarray(list(values), dtype=float)
    if x.ndim != 1:
        raise DistillbenchError(f"{what}: expected a flat list of numbers")
    return x[np.isfinite(x)]


def speedup_record(samples: Sequence[float]) -> dict[str, object]:
    """The speed record's form of :func:`log_ratio_ci` for paired per-repeat ratios (student/teacher throughput).

    Ratios are averaged on the log scale (a 2x speed-up and a 0.5x slow-down are symmetric), so ``mean``
    is the geometric mean and always lies inside ``ci95``; one sample has no interval (``[None, None]``).
    """
    values = [float(v) for v in samples]
    if not values or not all(math.isfinite(v) and v > 0 for v in values):
        raise ValueError(f"a speed-up needs positive finite ratios, got {values}")
    r = log_ratio_ci(values)
    return {
        "mean": r.mean,
        "ci95": list(r.ci95) if r.ci95 is not None else [None, None],
        "n": r.n,
        "samples": values,
        "method": f"{r.method} over interleaved repeats",
    }
