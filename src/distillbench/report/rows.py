"""The table model behind every report: :class:`Column`, :class:`Row` and :class:`Leaderboard`.

A leaderboard has one :class:`Row` per (role, model name, method), aggregated over seeds: the
primary metric's mean, sample standard deviation (ddof=1) and seed count; for a student with a
``no_kd`` sibling, the difference Δ with its 95% CI, p-value and verdict (:mod:`.verdicts`); the
architecture's one speed, latency, memory and FLOPs (:mod:`.speed`). Values stay raw floats here
(fractions, not percent); :mod:`distillbench.report.writers` does all formatting. ``None`` means
"not available" (a std over one seed, a Δ without a baseline, a speed-up without a teacher).
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, field
from typing import Any

from distillbench.stats import ALPHA

BASELINE_METHOD = "no_kd"
#: row order in a board: the teacher, reference baselines (sanity floors), compression baselines, then the students
ROLE_ORDER = {"teacher": 0, "reference": 1, "compression": 2, "student": 3}
#: edit-distance rates: fractions that exceed 1 when a hypothesis inserts more words than the reference has
_ERROR_RATE_TOKENS = {"wer", "cer"}
#: name tokens of metrics that are fractions in [0, 1] and read better as percent
_FRACTION_TOKENS = {"acc", "accuracy", "top1", "top5", "f1", "precision", "recall", "wer", "cer", "map", "iou", "miou"}
#: COCO-style average precision / recall: ap, ap50, ap75, aps/apm/apl, ar100 (values in [0, 1])
_AP_TOKEN = re.compile(r"^(ap|ar)(\d+|s|m|l)?$")
_NUMERIC_KINDS = {"quality", "delta", "p", "params", "mflops", "throughput", "speedup", "ms", "mb", "metric", "rate",
                  "outputs", "flops", "share", "energy"}  # fmt: skip


@dataclass(frozen=True)
class Column:
    """One displayed column: ``key`` names a :class:`Row` attribute (or ``secondary:<metric>``)."""

    key: str
    header: str
    kind: str  # text | quality | delta | interval | p | params | mflops | throughput | speedup | ms | mb | metric ...
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
    values: list[float] = field(default_factory=list)  # the primary metric per seed
    delta: float | None = None
    delta_ci95: list[float] | None = None  # 95% CI of Δ (Welch–Satterthwaite df)
    p_value: float | None = None  # Welch's t-test over seeds, two-sided
    verdict: str | None = None  # better | worse | no clear difference | n=1: no verdict
    params: float | None = None
    mflops: float | None = None
    weights_mb: float | None = None  # the saved state dict's size (MB): what int8 shrinks
    throughput: float | None = None
    throughput_unit: str = ""
    speedup: float | None = None
    speedup_ci95: list[float] | None = None
    latency_p50_ms: float | None = None
    peak_memory_mb: float | None = None
    peak_memory_source: str | None = None  # "gpu_allocated" | "cpu_model" | "rss" (old records) | "mixed"
    speed_source: str | None = None  # "interleaved" (the run's speed job) | "pooled" (median over jobs)
    outputs_per_sample: float | None = None  # generated tokens per sentence, boxes per image (quality.output_count)
    output_unit: str = ""  # "tokens" | "boxes"
    output_rate: float | None = None  # the architecture's outputs per second (tokens/s, boxes/s)
    achieved_flops_per_s: float | None = None  # MFLOPs/sample x throughput (hardware.py)
    peak_share: float | None = None  # achieved / the device's peak FLOP/s
    energy_j_per_1000: float | None = None  # joules per 1,000 samples (energy.py)
    #: why a hardware cell is empty: "not recorded" (a record from before the field), "not measurable" (energy)
    hardware_status: dict[str, str] = field(default_factory=dict)
    selection: str | None = None  # which epoch the quality comes from: "best_val" | "last" | "mixed"
    compression: str | None = None  # a compression row: what was done and by which backend, or why it did not run
    secondary: dict[str, float | None] = field(default_factory=dict)
    job_ids: list[str] = field(default_factory=list)
    #: the method's caveat tag (``DistillMethod.caveat_tag``), shown after its name
    method_tag: str = ""

    @property
    def method_label(self) -> str:
        if self.method is None:
            return "—"
        return f"{self.method} ({self.method_tag})" if self.method_tag else self.method

    def value(self, column: Column) -> Any:
        """The raw value behind ``column`` (None when not available)."""
        if column.key.startswith("secondary:"):
            return self.secondary.get(column.key.split(":", 1)[1])
        if column.key == "method":
            return self.method_label
        return getattr(self, column.key)


@dataclass
class Leaderboard:
    """All rows of one task (one task version), teacher first, plus a summary and notes for the reader."""

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
    alpha: float = ALPHA
    #: teacher, best student, quality kept, speed-up, KD methods that helped (see :func:`.verdicts.board_summary`)
    summary: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.title = self.title or self.task

    def scale(self, metric: str) -> float:
        """100 for fraction-like metrics (accuracy, F1, ...) whose values all lie in [0, 1], else 1."""
        if not is_fraction_metric(metric):
            return 1.0
        values = [r.mean if metric == self.primary_metric else r.secondary.get(metric) for r in self.rows]
        finite = [v for v in values if v is not None and math.isfinite(v)]
        unbounded = bool(set(re.split(r"[^a-z0-9]+", metric.lower())) & _ERROR_RATE_TOKENS)  # WER can pass 100%
        return 100.0 if finite and all(v >= 0.0 and (unbounded or v <= 1.0) for v in finite) else 1.0

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
            Column("delta_ci95", "95% CI of Δ", "interval", m),
            Column("p_value", "p", "p"),
            Column("verdict", "verdict", "text"),
        ]
        cols += [Column(f"secondary:{s}", self.metric_label(s), "metric", s) for s in self.secondary]
        cols += [
            Column("params", "params", "params"),
            Column("mflops", "MFLOPs/sample", "mflops"),
            Column("weights_mb", "weights (MB)", "mb"),
            Column("throughput", "throughput", "throughput"),
            Column("speedup", "speed-up vs teacher (95% CI)", "speedup"),
            Column("latency_p50_ms", "latency p50 (ms)", "ms"),
            Column("peak_memory_mb", "peak memory (MB)", "mb"),
            Column("achieved_flops_per_s", "achieved GFLOP/s", "flops"),
            Column("peak_share", "% of device peak", "share"),
            Column("energy_j_per_1000", f"energy (J/1k {self.sample_noun()}s)", "energy"),
        ]
        if self.compressions():
            cols.append(Column("compression", "compression", "text"))
        units = sorted({r.output_unit for r in self.rows if r.outputs_per_sample is not None and r.output_unit})
        if units:
            label = "/".join(units)
            cols.append(Column("outputs_per_sample", f"{label}/{self.sample_noun()}", "outputs"))
            if any(r.output_rate is not None for r in self.rows):
                cols.append(Column("output_rate", f"{label}/s", "rate"))
        return cols

    def sample_noun(self) -> str:
        """``sentence`` for ``sentences/s``: what one sample is, from the throughput unit."""
        units = {r.throughput_unit for r in self.rows if r.throughput_unit}
        unit = units.pop().split("/")[0] if len(units) == 1 else "sample"
        return unit[:-1] if unit.endswith("s") else unit

    def best_row(self) -> Row | None:
        """The student row with the best mean of the primary metric (None without students)."""
        rows = [r for r in self.students() if r.mean is not None and math.isfinite(r.mean)]
        if not rows:
            return None
        return (max if self.higher_is_better else min)(rows, key=lambda r: r.mean)  # type: ignore[arg-type, return-value]

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

    def compressions(self) -> list[Row]:
        return [r for r in self.rows if r.role == "compression"]

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
