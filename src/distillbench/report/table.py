"""The one table model behind every report: result records -> one :class:`Leaderboard` per task.

A leaderboard has one :class:`Row` per (role, model name, method), aggregated over seeds: the
primary metric's mean, sample standard deviation (ddof=1) and seed count, the difference to the
same student trained alone (method ``no_kd``), size, speed and memory. Values stay raw floats here
(fractions, not percent); :mod:`distillbench.report.writers` does all formatting. ``None`` means
"not available" (a std over one seed, a Δ without a baseline, a speed-up without a teacher).
"""

from __future__ import annotations

import dataclasses
import math
import re
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from distillbench.errors import ResultsError

BASELINE_METHOD = "no_kd"
#: name tokens of metrics that are fractions in [0, 1] and read better as percent
_FRACTION_TOKENS = {"acc", "accuracy", "top1", "top5", "f1", "precision", "recall", "wer", "cer", "map", "iou", "miou"}
#: COCO-style average precision / recall: ap, ap50, ap75, aps/apm/apl, ar100 (values in [0, 1])
_AP_TOKEN = re.compile(r"^(ap|ar)(\d+|s|m|l)?$")
_NUMERIC_KINDS = {"quality", "delta", "params", "mflops", "throughput", "speedup", "ms", "mb", "metric"}


@dataclass(frozen=True)
class Column:
    """One displayed column: ``key`` names a :class:`Row` attribute (or ``secondary:<metric>``)."""

    key: str
    header: str
    kind: str  # text | quality | delta | params | mflops | throughput | speedup | ms | mb | metric
    metric: str | None = None

    @property
    def numeric(self) -> bool:
        return self.kind in _NUMERIC_KINDS


@dataclass
class Row:
    """One model (and method) of one task, aggregated over its seeds."""

    role: str
    model: str
    method: str | None
    model_spec: str
    n: int
    seeds: list[int]
    mean: float | None
    std: float | None
    delta: float | None = None
    verdict: str | None = None  # "better" | "worse" | "same", from the sign of delta and the metric's direction
    params: float | None = None
    mflops: float | None = None
    throughput: float | None = None
    throughput_unit: str = ""
    speedup: float | None = None
    latency_p50_ms: float | None = None
    peak_memory_mb: float | None = None
    peak_memory_source: str | None = None  # "gpu_allocated" | "cpu_model" | "rss" (old records) | "mixed"
    secondary: dict[str, float | None] = field(default_factory=dict)
    job_ids: list[str] = field(default_factory=list)

    @property
    def method_label(self) -> str:
        return self.method if self.method is not None else "—"

    def value(self, column: Column) -> Any:
        """The raw value behind ``column`` (None when not available)."""
        if column.key.startswith("secondary:"):
            return self.secondary.get(column.key.split(":", 1)[1])
        if column.key == "method":
            return self.method_label
        return getattr(self, column.key)


@dataclass
class Leaderboard:
    """All rows of one task (one task version), teacher first, plus notes for the reader."""

    task: str
    task_version: int | None
    primary_metric: str
    higher_is_better: bool
    rows: list[Row]
    secondary: list[str] = field(default_factory=list)
    directions: dict[str, bool] = field(default_factory=dict)  # metric -> higher is better, where known
    failed: int = 0
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    title: str = ""
    #: one entry per distinct run environment (git sha, torch, device, CPU/GPU, precision, ...) with its job count
    environments: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.title = self.title or self.task

    def scale(self, metric: str) -> float:
        """100 for fraction-like metrics (accuracy, F1, ...) whose values all lie in [0, 1], else 1."""
        if not is_fraction_metric(metric):
            return 1.0
        values = [r.mean if metric == self.primary_metric else r.secondary.get(metric) for r in self.rows]
        finite = [v for v in values if v is not None and math.isfinite(v)]
        return 100.0 if finite and all(0.0 <= v <= 1.0 for v in finite) else 1.0

    def metric_label(self, metric: str) -> str:
        """``accuracy (%) ↑``: the metric, its unit when shown in percent, and its direction."""
        label = f"{metric} (%)" if self.scale(metric) == 100.0 else metric
        direction = self.directions.get(metric)
        return label if direction is None else f"{label} {'↑' if direction else '↓'}"

    def columns(self) -> list[Column]:
        """The displayed columns, in order (writers iterate these)."""
        m = self.primary_metric
        unit = " (pp)" if self.scale(m) == 100.0 else ""
        cols = [
            Column("model", "model", "text"),
            Column("role", "role", "text"),
            Column("method", "method", "text"),
            Column("mean", self.metric_label(m), "quality", m),
            Column("delta", f"Δ {m} vs {BASELINE_METHOD}{unit}", "delta", m),
        ]
        cols += [Column(f"secondary:{s}", self.metric_label(s), "metric", s) for s in self.secondary]
        return [
            *cols,
            Column("params", "params", "params"),
            Column("mflops", "MFLOPs/sample", "mflops"),
            Column("throughput", "throughput", "throughput"),
            Column("speedup", "speed-up vs teacher", "speedup"),
            Column("latency_p50_ms", "latency p50 (ms)", "ms"),
            Column("peak_memory_mb", "peak memory (MB)", "mb"),
        ]

    def best(self, metric: str) -> float | None:
        """The best student mean of ``metric`` (None when the direction or the values are unknown)."""
        direction = self.directions.get(metric)
        values = [r.mean if metric == self.primary_metric else r.secondary.get(metric) for r in self.students()]
        finite = [v for v in values if v is not None and math.isfinite(v)]
        if direction is None or not finite:
            return None
        return max(finite) if direction else min(finite)

    def teachers(self) -> list[Row]:
        return [r for r in self.rows if r.role == "teacher"]

    def students(self) -> list[Row]:
        return [r for r in self.rows if r.role == "student"]

    def references(self) -> list[Row]:
        return [r for r in self.rows if r.role == "reference"]

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Leaderboard:
        fields = dict(data)
        fields["rows"] = [Row(**r) for r in data.get("rows", [])]
        return cls(**fields)


def is_fraction_metric(metric: str) -> bool:
    """Whether a metric name looks like a fraction (accuracy, top1, macro_f1, wer, ...)."""
    tokens = re.split(r"[^a-z0-9]+", metric.lower())
    return any(tok in _FRACTION_TOKENS or _AP_TOKEN.match(tok) for tok in tokens)


def build_leaderboards(records: list[dict[str, Any]]) -> list[Leaderboard]:
    """One leaderboard per task (and task version), tasks sorted by name; failed jobs counted, not shown."""
    by_job: dict[Any, dict[str, Any]] = {}
    for i, rec in enumerate(records):
        key = rec.get("job_id") or ("#", i)
        # a re-run's record replaces the earlier one, but a failure never hides a success
        if key not in by_job or rec.get("status", "ok") == "ok" or by_job[key].get("status", "ok") != "ok":
            by_job[key] = rec
    by_task: dict[tuple[str, int | None], list[dict[str, Any]]] = defaultdict(list)
    for rec in by_job.values():
        by_task[(str(rec.get("task", "")), rec.get("task_version"))].append(rec)
    versions: dict[str, int] = defaultdict(int)
    for task, _ in by_task:
        versions[task] += 1
    boards = []
    for (task, version), recs in sorted(by_task.items(), key=lambda kv: (kv[0][0], str(kv[0][1]))):
        title = f"{task} (v{version})" if versions[task] > 1 else task
        boards.append(_build_board(task, version, title, recs))
    return boards


def _build_board(task: str, version: int | None, title: str, recs: list[dict[str, Any]]) -> Leaderboard:
    ok = [r for r in recs if r.get("status", "ok") == "ok"]
    failed = [r for r in recs if r.get("status", "ok") != "ok"]
    primaries = sorted({str(r.get("primary_metric", "")) for r in (ok or failed)})
    if len(primaries) > 1:
        raise ResultsError(f"task {task!r}: records disagree on the primary metric ({', '.join(primaries)})")
    primary = primaries[0] if primaries else ""
    directions: dict[str, bool] = {}
    for r in ok:
        for metric, hib in (r.get("higher_is_better") or {}).items():
            directions.setdefault(metric, bool(hib))
    hib = directions.setdefault(primary, True)
    # only declared metrics (those with a direction) are columns; counts such as n_test are not
    secondary = sorted(
        {m for r in ok for m, v in (r.get("quality") or {}).items() if _is_number(v) and m in directions} - {primary}
    )

    groups: dict[tuple[str, str, str | None], list[dict[str, Any]]] = defaultdict(list)
    for r in ok:
        role = str(r.get("role", ""))
        groups[(role, str(r.get("model_name", "")), None if role == "teacher" else r.get("method"))].append(r)
    rows = [_build_row(task, key, grp, primary, secondary) for key, grp in groups.items()]
    rows += _reference_rows(ok, primary, secondary)
    rows.sort(key=lambda r: (ROLE_ORDER.get(r.role, 3), r.model, r.method != BASELINE_METHOD, r.method or ""))

    notes: list[str] = []
    _fill_deltas(rows, hib, notes)
    _fill_speedups(rows, notes)
    board = Leaderboard(task, version, primary, hib, rows, secondary, directions, len(failed), title=title)
    board.failures = [_failure_text(r) for r in failed]
    board.notes = _environment_notes(ok) + notes + _method_notes(board)
    board.environments = run_environments(ok)
    return board


def _build_row(
    task: str, key: tuple[str, str, str | None], grp: list[dict[str, Any]], primary: str, secondary: list[str]
) -> Row:
    role, model, method = key
    specs = sorted({str(r.get("model_spec", "")) for r in grp})
    if len(specs) > 1:
        jobs = "; ".join(f"{r.get('job_id', '?')}: {r.get('model_spec', '')}" for r in grp)
        raise ResultsError(
            f"task {task!r}: {role} {model!r} (method {method or '—'}) has records with different model specs "
            f"({jobs}); results of different runs are mixed in one file"
        )
    values = [_num((r.get("quality") or {}).get(primary)) for r in grp]
    values = [v for v in values if v is not None]
    mem: list[float] = []
    sources: set[str] = set()
    for r in grp:
        value, source = model_memory_mb(r)
        if value is not None:
            mem.append(value)
            sources.add(source)  # type: ignore[arg-type]
    units = sorted({str((r.get("speed") or {}).get("throughput_unit", "")) for r in grp} - {""})
    return Row(
        role=role,
        model=model,
        method=method,
        model_spec=specs[0],
        n=len(values),
        seeds=sorted(int(r.get("seed", 0)) for r in grp),
        mean=_mean(values),
        std=statistics.stdev(values) if len(values) > 1 else None,
        params=_mean(_field(grp, "size", "params")),
        mflops=_mean(_field(grp, "size", "mflops_per_sample")),
        throughput=_mean(_field(grp, "speed", "throughput")),
        throughput_unit="/".join(units),
        latency_p50_ms=_mean(_field(grp, "speed", "latency_p50_ms")),
        peak_memory_mb=_mean(mem),
        peak_memory_source=(sources.pop() if len(sources) == 1 else "mixed") if sources else None,
        secondary={m: _mean(_field(grp, "quality", m)) for m in secondary},
        job_ids=[str(r.get("job_id", "")) for r in grp],
    )


#: row order in a board: the teacher, then reference baselines (sanity floors), then the students
ROLE_ORDER = {"teacher": 0, "reference": 1, "student": 2}


def _reference_rows(ok: list[dict[str, Any]], primary: str, secondary: list[str]) -> list[Row]:
    """Reference baselines an adapter recorded with the teacher's test result (``quality.reference``).

    Each is a non-neural sanity floor on the same split (e.g. TF-IDF + logistic regression for
    sentiment): a row with its quality and nothing else, never counted as a student (no Δ, no bold).
    """
    refs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in ok:
        if r.get("role") == "teacher":
            for name, figures in ((r.get("quality") or {}).get("reference") or {}).items():
                if isinstance(figures, dict) and _num(figures.get(primary)) is not None:
                    refs[str(name)].append(figures)
    rows = []
    for name, figs in refs.items():
        values = [v for v in (_num(f.get(primary)) for f in figs) if v is not None]
        rows.append(
            Row(
                role="reference",
                model=name,
                method=None,
                model_spec="reference",
                n=len(values),
                seeds=[],
                mean=_mean(values),
                std=statistics.stdev(values) if len(values) > 1 else None,
                secondary={m: _mean([v for f in figs if (v := _num(f.get(m))) is not None]) for m in secondary},
            )
        )
    return rows


def _fill_deltas(rows: list[Row], higher_is_better: bool, notes: list[str]) -> None:
    baselines = {r.model: r for r in rows if r.role == "student" and r.method == BASELINE_METHOD}
    missing = set()
    for row in rows:
        if row.role != "student" or row.method == BASELINE_METHOD:
            continue
        base = baselines.get(row.model)
        if base is None:
            missing.add(row.model)
        elif row.mean is not None and base.mean is not None:
            row.delta = row.mean - base.mean
            row.verdict = delta_verdict(row.delta, higher_is_better)
    if missing:
        notes.append(f"no {BASELINE_METHOD} result for {', '.join(sorted(missing))}: Δ not shown")


def _fill_speedups(rows: list[Row], notes: list[str]) -> None:
    teachers = [r for r in rows if r.role == "teacher"]
    if len(teachers) != 1:
        if rows:
            notes.append(f"{len(teachers) or 'no'} teacher results: speed-up not shown")
        return
    teacher = teachers[0]
    if not teacher.throughput:
        return
    for row in rows:
        if row.throughput is not None and row.throughput_unit == teacher.throughput_unit:
            row.speedup = row.throughput / teacher.throughput


def delta_verdict(delta: float, higher_is_better: bool) -> str | None:
    """ "better", "worse" or "same" for a difference in a metric with the given direction."""
    if math.isnan(delta):
        return None
    if delta == 0:
        return "same"
    return "better" if (delta > 0) == higher_is_better else "worse"


def _environment_notes(ok: list[dict[str, Any]]) -> list[str]:
    def distinct(fn: Any) -> list[str]:
        return sorted({str(v) for v in map(fn, ok) if v not in (None, "")})

    notes = []
    devices = distinct(lambda r: _join((r.get("speed") or {}).get("device"), (r.get("env") or {}).get("device_name")))
    if devices:
        extra = " (rows measured on different devices do not compare)" if len(devices) > 1 else ""
        notes.append(f"device: {'; '.join(devices)}{extra}")
    for label, key in (("precision", "precision"), ("throughput batch size", "throughput_batch_size")):
        values = distinct(lambda r, k=key: (r.get("speed") or {}).get(k))
        if values:
            notes.append(f"{label}: {', '.join(values)}")
    inputs = distinct(lambda r: (r.get("speed") or {}).get("inputs"))
    if inputs:
        notes.append(f"speed inputs: {'; '.join(inputs)}")
    notes += _token_rate_notes(ok)
    for label, key in (("torch", "torch"), ("git", "git_sha")):
        values = distinct(lambda r, k=key: (r.get("env") or {}).get(k))
        if values:
            notes.append(f"{label}: {', '.join(values)}")
    return notes


def _token_rate_notes(ok: list[dict[str, Any]]) -> list[str]:
    """Tokens/s of text models (real, non-padding tokens), averaged per model and method over seeds."""
    rates: dict[str, list[float]] = defaultdict(list)
    for r in ok:
        value = _num((r.get("speed") or {}).get("tokens_per_s"))
        if value is not None:
            who = str(r.get("model_name", "")) + ("" if r.get("role") == "teacher" else f" + {r.get('method')}")
            rates[who].append(value)
    if not rates:
        return []
    shown = ", ".join(f"{who} {statistics.fmean(v):,.0f}" for who, v in rates.items())
    return [f"throughput in tokens/s (real tokens, padding excluded): {shown}"]


ENV_FIELDS = ("git_sha", "torch", "device", "device_name", "cpu", "gpu", "precision", "threads", "python", "platform")


def run_environments(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Distinct environments among ``records`` (what each number was measured on), with job counts and dates."""
    envs: dict[tuple[Any, ...], dict[str, Any]] = {}
    for r in records:
        env, speed = r.get("env") or {}, r.get("speed") or {}
        gpu = env.get("gpu_name") or env.get("gpu") or (env.get("device_name") if env.get("cuda_available") else None)
        entry = {
            "git_sha": str(env.get("git_sha") or "")[:12] or None,
            "torch": env.get("torch"),
            "device": speed.get("device") or env.get("device"),
            "device_name": speed.get("device_name") or env.get("device_name"),
            "cpu": env.get("cpu"),
            "gpu": gpu,
            "precision": speed.get("precision"),
            "threads": speed.get("threads") or env.get("torch_threads"),
            "python": env.get("python"),
            "platform": env.get("platform"),
        }
        key = tuple(str(entry[k]) for k in ENV_FIELDS)
        seen = envs.setdefault(key, {**entry, "jobs": 0, "first": None, "last": None})
        seen["jobs"] += 1
        created = r.get("created")
        if isinstance(created, str):
            seen["first"] = min(filter(None, (seen["first"], created)))
            seen["last"] = max(filter(None, (seen["last"], created)))
    return list(envs.values())


def model_memory_mb(record: dict[str, Any]) -> tuple[float | None, str | None]:
    """The memory a model needs, comparable between models measured on the same kind of device.

    GPU: ``peak_allocated_mb`` (weights, activations and workspace, as torch's allocator saw them).
    CPU: weights (state-dict bytes) + RSS growth during the memory pass (activations and workspace).
    The process's own peak RSS counts the framework (~1 GB of torch, the same for every model), so it
    ranks nothing; it stays in the record. Older records without the delta fall back to it.
    """
    memory, size = record.get("memory") or {}, record.get("size") or {}
    gpu = _num(memory.get("peak_allocated_mb"))
    if gpu is not None:
        return gpu, "gpu_allocated"
    delta, weights = _num(memory.get("rss_delta_mb")), _num(size.get("bytes_on_disk"))
    if delta is not None and weights is not None:
        return weights / 2**20 + max(delta, 0.0), "cpu_model"
    rss = _num(memory.get("peak_rss_mb"))
    return (rss, "rss") if rss is not None else (None, None)


def _method_notes(board: Leaderboard) -> list[str]:
    notes = [
        f"{board.primary_metric}: mean ± sample std (ddof=1) over seeds, n = number of seeds",
        f"Δ: mean {board.primary_metric} minus that of the same student trained alone ({BASELINE_METHOD}); "
        f"{'higher' if board.higher_is_better else 'lower'} is better",
    ]
    if board.references():
        names = ", ".join(r.model for r in board.references())
        notes.append(
            f"reference rows ({names}): non-neural sanity floors fitted on the same train/val split and scored on the "
            "same test split; no speed or size figures, never counted as students"
        )
    sources = {r.peak_memory_source for r in board.rows} - {None}
    if sources:
        notes.append(
            "peak memory: on GPU, peak allocated (torch.cuda.max_memory_allocated); on CPU, the weights "
            "(state-dict bytes) plus the process RSS growth during the memory pass at the throughput batch — the "
            "process's own peak RSS, dominated by the framework, is in the JSON records (memory.peak_rss_mb)"
        )
    if board.failed:
        shown = "; ".join(board.failures[:5]) + ("; ..." if board.failed > 5 else "")
        notes.append(f"failed jobs (not shown): {board.failed} — {shown}")
    return notes


def _failure_text(rec: dict[str, Any]) -> str:
    who = f"{rec.get('model_name', '?')}/{rec.get('method') or rec.get('role', '?')} seed {rec.get('seed', '?')}"
    error = str(rec.get("error") or "no error message").strip().splitlines()
    return f"{who}: {error[-1] if error else ''}"[:200]


def _join(*parts: Any) -> str:
    a, b = (str(p) if p not in (None, "") else "" for p in parts)
    return f"{a} ({b})" if a and b else a or b


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _num(v: Any) -> float | None:
    return float(v) if _is_number(v) else None


def _field(grp: list[dict[str, Any]], section: str, key: str) -> list[float]:
    values = (_num((r.get(section) or {}).get(key)) for r in grp)
    return [v for v in values if v is not None]


def _mean(values: list[float] | list[float | None]) -> float | None:
    finite = [v for v in values if v is not None]
    return math.fsum(finite) / len(finite) if finite else None
