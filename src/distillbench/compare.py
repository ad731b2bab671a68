"""Regression tracking: compare two result sets metric by metric, as asv does.

A *sample* holds one value per job (each job runs in its own process) for one group and one metric:

- quality metrics are grouped per (task, role, model name, method): one value per seed;
- speed (``speed.throughput``, ``speed.latency_p50_ms``) and memory (``memory.peak_*``) are grouped per
  (task, role, model name), pooled over methods: inference runs the same architecture whatever the
  training method, so every job of that model is one more independent measurement of it. Each job
  gives its own figure (the median over its timing repeats), not the repeats themselves: repeats taken
  back to back in one process share that process's state (memory layout, thread placement, the
  neighbours of the moment) and are pseudo-replicates — counting them as independent samples made the
  test flag run-to-run differences of a process as significant.

pytest-benchmark JSON files are read too (one group per benchmark, metric ``time_s``: the per-round
times when saved with ``--benchmark-save-data``, otherwise only summary statistics).

A change is a **regression** only when both hold:

1. it is larger than the metric kind's relative threshold (``|new - base| / |base|``, default 1%
   for quality, 5% for speed, memory and benchmark times), in the worse direction; and
2. it is unlikely to be noise: a two-sided Mann–Whitney U test (:func:`scipy.stats.mannwhitneyu`)
   over the two samples gives ``p < alpha`` (default 0.05). pytest-benchmark files without
   per-round data use Welch's t-test from their mean, std and rounds instead.

**Too few samples** gives ``inconclusive``, never a false alarm: fewer than ``min_samples``
(default 3) values on either side, or sample sizes for which the exact test cannot reach
``p < alpha`` at all (3 vs 3: the smallest two-sided p is 2/C(6,3) = 0.10), when the change is
beyond the threshold; so is a change beyond the threshold with ``p >= alpha`` (it may be noise).
``unchanged`` means: enough samples, and the change is within the threshold. The same rules flag
an **improvement** in the better direction.
"""

from __future__ import annotations

import json
import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from distillbench.errors import ResultsError

#: metric kind -> default relative threshold
DEFAULT_THRESHOLDS = {"quality": 0.01, "speed": 0.05, "memory": 0.05, "bench": 0.05}
VERDICTS = ("regression", "improvement", "unchanged", "inconclusive", "only in base", "only in new")


class CompareError(ResultsError):
    """Two result sets that cannot be compared (no common task, nothing readable)."""


@dataclass
class Sample:
    """All values of one metric of one group, with the metric's direction."""

    values: list[float]
    higher_is_better: bool
    kind: str  # quality | speed | memory | bench
    unit: str = ""
    summary: tuple[float, float, int] | None = None  # (mean, std, n) when only summary statistics exist


@dataclass
class ResultSet:
    """One side of a comparison: samples keyed by (task, group label, metric), plus what was skipped."""

    source: str
    samples: dict[tuple[str, str, str], Sample] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    environments: set[str] = field(default_factory=set)
    task_versions: dict[str, set[Any]] = field(default_factory=lambda: defaultdict(set))

    @property
    def tasks(self) -> set[str]:
        return {k[0] for k in self.samples}


@dataclass
class Comparison:
    """One metric of one group on both sides, the change and the verdict."""

    task: str
    group: str
    metric: str
    kind: str
    higher_is_better: bool
    base_mean: float | None
    base_std: float | None
    base_n: int
    new_mean: float | None
    new_std: float | None
    new_n: int
    change: float | None  # new - base
    rel_change: float | None  # (new - base) / |base|
    threshold: float
    p_value: float | None
    test: str
    verdict: str
    reason: str
    unit: str = ""


@dataclass
class CompareReport:
    """Every comparison plus the notes a reader needs (skipped records, environments, tasks)."""

    base: str
    new: str
    alpha: float
    min_samples: int
    thresholds: dict[str, float]
    rows: list[Comparison]
    notes: list[str] = field(default_factory=list)

    @property
    def regressions(self) -> list[Comparison]:
        return [r for r in self.rows if r.verdict == "regression"]

    def counts(self) -> dict[str, int]:
        return {v: sum(r.verdict == v for r in self.rows) for v in VERDICTS}


# ----------------------------------------------------------------------------- loading


def load_result_set(path: str | Path) -> ResultSet:
    """A run directory, a results .jsonl file, or a pytest-benchmark .json file -> samples."""
    p = Path(path)
    if p.suffix == ".json" and p.is_file():
        return _load_pytest_benchmark(p)
    from distillbench.results import read_results

    loaded = read_results(p, warn=False)
    rs = ResultSet(str(p), problems=list(loaded.problems))
    if not loaded.records:
        why = "; ".join(loaded.problems[:3]) or "the file is empty"
        raise CompareError(f"{p}: no valid results to compare ({why})")
    for rec in loaded.records:
        if rec.get("status", "ok") != "ok":
            continue
        _add_record(rs, rec)
    if not rs.samples:
        raise CompareError(f"{p}: no successful results with metrics to compare")
    return rs


def _add_record(rs: ResultSet, rec: dict[str, Any]) -> None:
    task = str(rec["task"])
    method = rec.get("method") if rec.get("role") != "teacher" else None
    group = f"{rec['role']} {rec['model_name']}" + (f" / {method}" if method else "")
    where = f"{rs.source}: job {rec.get('job_id', '?')} ({group})"
    rs.task_versions[task].add(rec.get("task_version"))
    env, speed = rec.get("env") or {}, rec.get("speed") or {}
    rs.environments.add(
        ", ".join(
            str(x)
            for x in (speed.get("device"), env.get("device_name"), env.get("torch"), speed.get("precision"))
            if x not in (None, "")
        )
    )

    model_group = f"{rec['role']} {rec['model_name']}"  # speed and memory: pooled over methods

    def add(metric: str, values: list[float], hib: bool, kind: str, unit: str = "") -> None:
        key = (task, group if kind == "quality" else model_group, metric)
        sample = rs.samples.setdefault(key, Sample([], hib, kind, unit))
        sample.values.extend(values)

    quality, directions = rec.get("quality"), rec.get("higher_is_better")
    if not isinstance(quality, dict) or not isinstance(directions, dict):
        rs.problems.append(f"{where}: no quality metrics or no higher_is_better, quality skipped")
    else:
        for metric, hib in directions.items():
            value = _num(quality.get(metric))
            if value is None:
                rs.problems.append(f"{where}: quality.{metric} missing or not a number, skipped")
            else:
                add(f"quality.{metric}", [value], bool(hib), "quality")
    for key, hib, unit in (
        ("throughput", True, str(speed.get("throughput_unit", ""))),
        ("latency_p50_ms", False, "ms"),
    ):
        value = _num(speed.get(key))
        if value is not None:
            add(f"speed.{key}", [value], hib, "speed", unit)
        else:
            rs.problems.append(f"{where}: speed.{key} missing, skipped")
    for key, value in (rec.get("memory") or {}).items():
        if key.startswith("peak_") and _num(value) is not None:
            add(f"memory.{key}", [float(value)], False, "memory", "MB" if key.endswith("_mb") else "")


def _load_pytest_benchmark(p: Path) -> ResultSet:
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CompareError(f"{p}: not a readable JSON file ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("benchmarks"), list):
        raise CompareError(f"{p}: not a pytest-benchmark JSON file (no 'benchmarks' list)")
    rs = ResultSet(str(p))
    machine = data.get("machine_info") or {}
    rs.environments.add(", ".join(str(machine.get(k, "")) for k in ("node", "cpu", "python_version") if k in machine))
    for bench in data["benchmarks"]:
        name, stats = bench.get("fullname") or bench.get("name"), bench.get("stats") or {}
        if not name or not isinstance(stats, dict):
            rs.problems.append(f"{p}: a benchmark without a name or stats, skipped")
            continue
        rounds = [v for v in map(_num, stats.get("data") or []) if v is not None]
        mean, std, n = _num(stats.get("mean")), _num(stats.get("stddev")), _num(stats.get("rounds"))
        if rounds:
            rs.samples[("pytest-benchmark", str(name), "time_s")] = Sample(rounds, False, "bench", "s")
        elif mean is not None and std is not None and n:
            rs.samples[("pytest-benchmark", str(name), "time_s")] = Sample(
                [mean], False, "bench", "s", summary=(mean, std, int(n))
            )
        else:
            rs.problems.append(f"{p}: benchmark {name}: no stats.data and no mean/stddev/rounds, skipped")
    if not rs.samples:
        raise CompareError(f"{p}: no benchmarks with timings")
    return rs


# ----------------------------------------------------------------------------- comparing


def compare_sets(
    base: ResultSet,
    new: ResultSet,
    thresholds: dict[str, float] | None = None,
    alpha: float = 0.05,
    min_samples: int = 3,
) -> CompareReport:
    """Compare every (task, group, metric) present in either set; tasks must overlap."""
    limits = {**DEFAULT_THRESHOLDS, **(thresholds or {})}
    common = base.tasks & new.tasks
    if not common:
        raise CompareError(
            f"no common task: {base.source} has {', '.join(sorted(base.tasks))}; "
            f"{new.source} has {', '.join(sorted(new.tasks))} — compare results of the same task(s)"
        )
    notes = [f"base: {msg}" for msg in base.problems] + [f"new: {msg}" for msg in new.problems]
    for side, rs, other in (("base", base, new), ("new", new, base)):
        only = sorted(rs.tasks - other.tasks)
        if only:
            notes.append(f"task(s) only in {side}, not compared: {', '.join(only)}")
    for task in sorted(common):
        bv, nv = base.task_versions.get(task, set()), new.task_versions.get(task, set())
        if bv and nv and bv != nv:
            notes.append(f"task {task}: card versions differ (base {sorted(map(str, bv))}, new {sorted(map(str, nv))})")
    envs = (base.environments - {""}, new.environments - {""})
    if envs[0] and envs[1] and envs[0] != envs[1]:
        notes.append(f"environments differ: base {'; '.join(sorted(envs[0]))} / new {'; '.join(sorted(envs[1]))}")
    keys = sorted(k for k in base.samples.keys() | new.samples.keys() if k[0] in common)
    rows = [_compare_one(k, base.samples.get(k), new.samples.get(k), limits, alpha, min_samples) for k in keys]
    return CompareReport(base.source, new.source, alpha, min_samples, limits, rows, notes)


def compare_paths(base: str | Path, new: str | Path, **kwargs: Any) -> CompareReport:
    """Load both sides and compare them (see :func:`compare_sets` for the options)."""
    return compare_sets(load_result_set(base), load_result_set(new), **kwargs)


def _compare_one(
    key: tuple[str, str, str],
    b: Sample | None,
    n: Sample | None,
    limits: dict[str, float],
    alpha: float,
    min_samples: int,
) -> Comparison:
    task, group, metric = key
    ref = b or n
    assert ref is not None
    bm, bs, bn = _stats(b)
    nm, ns, nn = _stats(n)
    threshold = limits.get(ref.kind, DEFAULT_THRESHOLDS["speed"])
    row = Comparison(task, group, metric, ref.kind, ref.higher_is_better, bm, bs, bn, nm, ns, nn, None, None,
                     threshold, None, "", "", "", ref.unit)  # fmt: skip
    if b is None or n is None:
        row.verdict, row.reason = ("only in new", "no base value") if b is None else ("only in base", "no new value")
        return row
    assert bm is not None and nm is not None
    row.change = nm - bm
    row.rel_change = row.change / abs(bm) if bm else (0.0 if row.change == 0 else math.copysign(math.inf, row.change))
    worse = (row.change < 0) if ref.higher_is_better else (row.change > 0)
    beyond = abs(row.rel_change) > threshold
    row.p_value, row.test, power_note = _test(b, n, alpha)
    if min(bn, nn) < min_samples:
        row.verdict, row.reason = "inconclusive", f"too few samples (n={bn} vs {nn}, need {min_samples} each)"
    elif not beyond:
        row.verdict, row.reason = "unchanged", f"|change| {abs(row.rel_change):.1%} within {threshold:.0%}"
    elif power_note:
        row.verdict, row.reason = "inconclusive", power_note
    elif row.p_value is None or math.isnan(row.p_value) or row.p_value >= alpha:
        row.verdict, row.reason = "inconclusive", f"{row.rel_change:+.1%} but not significant (p ≥ {alpha:g}): noise?"
    else:
        row.verdict = "regression" if worse else "improvement"
        row.reason = f"{row.rel_change:+.1%} beyond {threshold:.0%}, p={row.p_value:.2g} < {alpha:g}"
    return row


def _stats(s: Sample | None) -> tuple[float | None, float | None, int]:
    if s is None:
        return None, None, 0
    if s.summary is not None:
        return s.summary
    values = s.values
    return statistics.fmean(values), (statistics.stdev(values) if len(values) > 1 else None), len(values)


def _test(b: Sample, n: Sample, alpha: float) -> tuple[float | None, str, str]:
    """(p-value, test name, a note when the test cannot reach ``alpha`` at these sample sizes)."""
    from scipy import stats

    if b.summary is not None or n.summary is not None:
        (m1, s1, n1), (m2, s2, n2) = _stats(b), _stats(n)
        if n1 < 2 or n2 < 2 or s1 is None or s2 is None:
            return None, "welch-t", ""
        res = stats.ttest_ind_from_stats(m1, s1, n1, m2, s2, n2, equal_var=False)  # type: ignore[arg-type]
        return float(res.pvalue), "welch-t (summary stats only)", ""
    x, y = b.values, n.values
    if len(x) < 1 or len(y) < 1:
        return None, "mann-whitney-u", ""
    arrangements = math.comb(len(x) + len(y), len(x))  # exact, and far beyond a float for large samples
    smallest = 2.0 / arrangements if arrangements < 10**300 else 0.0
    note = ""
    if smallest >= alpha:
        note = (
            f"too few samples for the test (n={len(x)} vs {len(y)}: smallest possible p = {smallest:.2g} ≥ {alpha:g})"
        )
    if len(set(x) | set(y)) == 1:
        return 1.0, "mann-whitney-u", note
    res = stats.mannwhitneyu(x, y, alternative="two-sided")
    return float(res.pvalue), "mann-whitney-u", note


def _num(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    return float(v) if math.isfinite(v) else None
