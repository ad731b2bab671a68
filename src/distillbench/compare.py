"""Regression tracking: compare two result sets metric by metric, as asv does.

A *sample* holds one value per job (each job runs in its own process) for one group and one metric:

- quality metrics are grouped per (task, role, model name, method): one value per seed;
- speed (``speed.throughput``, ``speed.latency_p50_ms``) and memory (``memory.peak_*``) are grouped per
  (task, role, model name), one architecture, read by :func:`distillbench.report.speed.architecture_speeds`
  (the one reader of speed figures). Old records (schema 1): every job of the architecture is one
  sample (its own figure, the median over its timing repeats, not the repeats themselves: repeats
  taken back to back in one process are pseudo-replicates). A run's speed record (schema 2): one
  sample per interleaved repeat;
- ``speed.speedup_vs_teacher``: the student/teacher throughput ratio measured inside each run (per
  interleaved repeat, or per job over the teacher's pooled median for old records). It cancels the
  hardware, so it is judged even when the two runs ran on different machines.

**Different hardware** (device, CPU or GPU model, threads or precision differ between the two sides'
environments): absolute speed and memory are ``not compared`` (the reason names both sides), quality
and within-run ratios still are; ``absolute_speed=True`` (``--absolute-speed``) forces the comparison.

pytest-benchmark JSON files are read too (one group per benchmark, metric ``time_s``: the per-round
times when saved with ``--benchmark-save-data``, otherwise only summary statistics).

A change is a **regression** only when both hold:

1. it is larger than the metric kind's relative threshold (``|new - base| / |base|``, default 1%
   for quality, 5% for speed, memory and benchmark times), in the worse direction; and
2. it is unlikely to be noise: a two-sided Mann–Whitney U test (:func:`distillbench.stats.mann_whitney`:
   rank-based, no normality assumed for timings) over the two samples gives ``p < alpha`` (default
   0.05). pytest-benchmark files without per-round data use Welch's t-test from their mean, std and
   rounds instead (:func:`distillbench.stats.welch_from_stats`).

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
from distillbench.stats import mann_whitney, welch_from_stats

#: metric kind -> default relative threshold
DEFAULT_THRESHOLDS = {"quality": 0.01, "speed": 0.05, "memory": 0.05, "bench": 0.05}
VERDICTS = ("regression", "improvement", "unchanged", "inconclusive", "not compared", "only in base", "only in new")
#: what must match for absolute speed and memory to compare: the measurement's hardware and settings
HARDWARE_FIELDS = ("device", "cpu", "gpu", "threads", "precision")
ENVIRONMENT_FIELDS = (*HARDWARE_FIELDS, "torch")


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
    #: device, cpu, gpu, threads, precision, torch -> the values seen on this side
    environment: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

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
    #: why absolute speed and memory were not compared ("" when they were)
    hardware_differs: str = ""

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
    if not loaded.records:
        why = "; ".join(loaded.problems[:3]) or "the file is empty"
        raise CompareError(f"{p}: no valid results to compare ({why})")
    return result_set(loaded.records, str(p), list(loaded.problems))


def result_set(records: list[dict[str, Any]], source: str, problems: list[str] | None = None) -> ResultSet:
    """Samples from result records: quality per job, speed and memory per architecture, within-run ratios."""
    from distillbench.report.speed import architecture_speeds

    rs = ResultSet(source, problems=list(problems or []))
    ok = [r for r in records if r.get("status", "ok") == "ok"]
    for rec in ok:
        _add_record(rs, rec)
    for task, speeds in architecture_speeds(ok).items():
        _add_speeds(rs, task, speeds)
    if not rs.samples:
        raise CompareError(f"{source}: no successful results with metrics to compare")
    return rs


def _add_speeds(rs: ResultSet, task: str, speeds: Any) -> None:
    for arch in speeds.models.values():
        group = f"{arch.role} {arch.model}"
        for metric, values, hib, kind, unit in (
            ("speed.throughput", arch.throughput_samples, True, "speed", arch.throughput_unit),
            ("speed.latency_p50_ms", arch.latency_samples_ms, False, "speed", "ms"),
            ("speed.speedup_vs_teacher", arch.speedup_samples, True, "ratio", "x"),
            *(
                (f"memory.{k}", v, False, "memory", "MB" if k.endswith("_mb") else "")
                for k, v in sorted(arch.memory_samples.items())
            ),
        ):
            if values:
                rs.samples[(task, group, metric)] = Sample(list(values), hib, kind, unit)


def _add_record(rs: ResultSet, rec: dict[str, Any]) -> None:
    task = str(rec["task"])
    env, speed = rec.get("env") or {}, rec.get("speed") or {}
    if isinstance(speed.get("models"), dict):  # a speed record: any model's figures name the settings
        speed = next(iter(speed["models"].values()), None) or {}
    described = _environment(env, speed)
    for key, value in described.items():
        rs.environment[key].add(value)
    rs.environments.add(
        ", ".join(described[k] for k in ("device", "cpu", "gpu", "torch", "precision") if k in described)
    )
    if rec.get("role") == "speed":
        return
    method = rec.get("method") if rec.get("role") != "teacher" else None
    group = f"{rec['role']} {rec['model_name']}" + (f" / {method}" if method else "")
    where = f"{rs.source}: job {rec.get('job_id', '?')} ({group})"
    rs.task_versions[task].add(rec.get("task_version"))
    if rec.get("schema_version", 1) == 1 and _num(speed.get("throughput")) is None:
        rs.problems.append(f"{where}: speed.throughput missing, skipped")

    def add(metric: str, values: list[float], hib: bool, kind: str, unit: str = "") -> None:
        sample = rs.samples.setdefault((task, group, metric), Sample([], hib, kind, unit))
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


def _environment(env: dict[str, Any], speed: dict[str, Any]) -> dict[str, str]:
    """The measurement settings of one record: device, CPU and GPU model, threads, precision, torch."""
    gpu = env.get("gpu_name") or env.get("gpu") or (env.get("device_name") if env.get("cuda_available") else None)
    values = {
        "device": speed.get("device") or env.get("device"),
        "cpu": env.get("cpu") or (None if env.get("cuda_available") else env.get("device_name")),
        "gpu": gpu,
        "threads": speed.get("threads") or env.get("torch_threads"),
        "precision": speed.get("precision"),
        "torch": env.get("torch"),
    }
    return {k: str(v) for k, v in values.items() if v not in (None, "")}


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
    absolute_speed: bool = False,
) -> CompareReport:
    """Compare every (task, group, metric) present in either set; tasks must overlap.

    ``absolute_speed``: compare throughput, latency and memory even when the hardware differs.
    """
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
    differs = hardware_difference(base, new)
    if differs and absolute_speed:
        notes.append(f"different hardware ({differs}): absolute speed and memory compared anyway (--absolute-speed)")
    elif differs:
        notes.append(
            f"different hardware ({differs}): absolute speed and memory not compared; quality and the "
            "student/teacher speed-up measured inside each run (speed.speedup_vs_teacher) are"
        )
    keys = sorted(k for k in base.samples.keys() | new.samples.keys() if k[0] in common)
    rows = []
    for k in keys:
        row = _compare_one(k, base.samples.get(k), new.samples.get(k), limits, alpha, min_samples)
        if differs and not absolute_speed and row.kind in ("speed", "memory") and row.change is not None:
            row.p_value, row.verdict, row.reason = None, "not compared", f"different hardware ({differs})"
        rows.append(row)
    return CompareReport(base.source, new.source, alpha, min_samples, limits, rows, notes, differs)


def hardware_difference(base: ResultSet, new: ResultSet) -> str:
    """``"cpu AMD EPYC vs Intel Xeon"``: the settings that differ between the two sides ("" when none do)."""
    parts = []
    for key in HARDWARE_FIELDS:
        b, n = base.environment.get(key, set()), new.environment.get(key, set())
        if b and n and b != n:
            parts.append(f"{key} {'/'.join(sorted(b))} vs {'/'.join(sorted(n))}")
    return "; ".join(parts)


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
    threshold = limits.get("speed" if ref.kind == "ratio" else ref.kind, DEFAULT_THRESHOLDS["speed"])
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
    if b.summary is not None or n.summary is not None:
        (m1, s1, n1), (m2, s2, n2) = _stats(b), _stats(n)
        if n1 < 2 or n2 < 2 or s1 is None or s2 is None or m1 is None or m2 is None:
            return None, "welch-t", ""
        return welch_from_stats(m1, s1, n1, m2, s2, n2), "welch-t (summary stats only)", ""
    p, note = mann_whitney(b.values, n.values, alpha)
    return p, "mann-whitney-u", note


def _num(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    return float(v) if math.isfinite(v) else None
