"""Shared statistics: golden values from textbook examples and from the formulas, worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from distillbench.errors import DistillbenchError
from distillbench.stats import (
    BETTER,
    NO_VERDICT,
    UNCLEAR,
    WORSE,
    bootstrap_ci,
    difference_verdict,
    format_p,
    log_ratio_ci,
    mann_whitney,
    summarize,
    welch_df,
    welch_difference,
    welch_from_stats,
)

# Wikipedia, "Welch's t-test", example 3 (unequal variances, n = 15 each): t = -2.46, df = 24.99, p = 0.021
A1 = [27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4]
A2 = [27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4]


def test_welch_textbook_example() -> None:
    d = welch_difference(A1, A2)
    assert d.delta == pytest.approx(2.1667, abs=1e-4)  # means 20.82 and 22.99
    assert d.df == pytest.approx(24.99, abs=0.01)
    assert d.p_value == pytest.approx(0.021, abs=0.001)
    assert d.n_base == d.n_new == 15 and d.test.startswith("Welch")


def test_welch_by_hand() -> None:
    """base 1,2,3 (var 1), new 4,6,8,10 (var 20/3): se^2 = 1/3 + 5/3 = 2, df = 4 / (1/18 + 25/27) = 4.0755."""
    d = welch_difference([1, 2, 3], [4, 6, 8, 10])
    assert d.delta == 5.0
    assert d.df == pytest.approx(4 / (1 / 18 + 25 / 27))
    assert welch_df(1.0, 3, math.sqrt(20 / 3), 4) == pytest.approx(4.0754717, rel=1e-6)
    # t = 5 / sqrt(2) = 3.5355 on 4.0755 df: two-sided p = 0.0234; t_0.975(4.0755) = 2.7559
    assert d.p_value == pytest.approx(0.02338, abs=1e-4)
    assert d.ci95 == pytest.approx((5 - 2.7559 * math.sqrt(2), 5 + 2.7559 * math.sqrt(2)), abs=1e-3)
    # the same p from summary statistics
    assert welch_from_stats(2.0, 1.0, 3, 7.0, math.sqrt(20 / 3), 4) == pytest.approx(d.p_value)


def test_committed_dkd_row_is_not_significant() -> None:
    """cnn-w8 accuracy on results/cpu-2core: no_kd 0.870/0.875/0.879, dkd 0.904/0.875/0.921 (issue 16: p ~ 0.20)."""
    d = welch_difference([0.870, 0.875, 0.879], [0.904, 0.875, 0.921])
    assert d.delta == pytest.approx(0.025333, abs=1e-6) and d.p_value == pytest.approx(0.196, abs=0.001)
    assert d.ci95 is not None and d.ci95[0] < 0 < d.ci95[1]
    assert difference_verdict(d, higher_is_better=True) == UNCLEAR
    assert difference_verdict(d, higher_is_better=True, alpha=0.25) == BETTER


def test_verdicts() -> None:
    d = welch_difference([1, 2, 3], [4, 6, 8, 10])  # p = 0.023
    assert difference_verdict(d, True) == BETTER and difference_verdict(d, False) == WORSE
    assert difference_verdict(d, True, alpha=0.01) == UNCLEAR
    one = welch_difference([0.87], [0.90, 0.91])
    assert one.p_value is None and one.ci95 is None and one.delta == pytest.approx(0.035)
    assert difference_verdict(one, True) == NO_VERDICT
    same = welch_difference([0.5, 0.5], [0.5, 0.5])
    assert same.p_value == 1.0 and difference_verdict(same, True) == UNCLEAR
    with pytest.raises(DistillbenchError, match="alpha"):
        difference_verdict(d, True, alpha=1.5)
    with pytest.raises(DistillbenchError, match="at least one value"):
        welch_difference([], [1.0])


def test_log_ratio_ci_by_hand() -> None:
    """ratios 2 and 4: geometric mean sqrt(8); logs 0.693, 1.386 -> se 0.3466, t_0.975(1) = 12.706."""
    r = log_ratio_ci([2.0, 4.0])
    assert r.mean == pytest.approx(math.sqrt(8)) and r.n == 2
    half = 12.7062 * (math.log(4) - math.log(2)) / math.sqrt(2) / math.sqrt(2)
    assert r.ci95 == pytest.approx((math.sqrt(8) * math.exp(-half), math.sqrt(8) * math.exp(half)), rel=1e-4)
    assert log_ratio_ci([4.0]).ci95 is None
    with pytest.raises(DistillbenchError, match="positive"):
        log_ratio_ci([1.0, -2.0])


def test_summarize_by_hand() -> None:
    """1..4: mean 2.5, std sqrt(5/3) = 1.2910, t_0.975(3) = 3.1824 -> half-width 2.0543."""
    s = summarize([1, 2, 3, 4])
    assert (s.n, s.mean, s.median) == (4, 2.5, 2.5) and s.std == pytest.approx(math.sqrt(5 / 3))
    assert s.ci95 == pytest.approx((2.5 - 2.0543, 2.5 + 2.0543), abs=1e-4)
    assert summarize([7.0, math.nan]) == summarize([7.0])
    assert summarize([7.0]).std is None and summarize([7.0]).ci95 is None


def test_mann_whitney_smallest_p() -> None:
    p, note = mann_whitney([1, 2, 3], [4, 5, 6])  # fully separated, 3 vs 3: p = 2 / C(6, 3) = 0.10
    assert p == pytest.approx(0.1) and "smallest possible p = 0.1" in note
    p, note = mann_whitney([1, 2, 3, 4, 5], [6, 7, 8, 9, 10])  # 2 / C(10, 5) = 0.0079
    assert p == pytest.approx(2 / 252) and note == ""
    assert mann_whitney([], [1.0]) == (None, "")


def test_format_p_and_bootstrap() -> None:
    assert (format_p(0.196), format_p(0.0234), format_p(0.004), format_p(0.0001), format_p(None)) == (
        "p=0.20", "p=0.02", "p=0.004", "p<0.001", "—",
    )  # fmt: skip
    lo, hi = bootstrap_ci(np.array([1, 0] * 50))
    assert lo < 0.5 < hi
