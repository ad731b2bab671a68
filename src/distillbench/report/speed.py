"""One speed per architecture: reading speed records for the report and for ``compare``.

Inference cost does not depend on how the weights were trained, so every row of one architecture
shows one throughput, latency, memory and MFLOPs figure:

- schema 2: the run's per-card speed record (role ``"speed"``) timed the teacher and every student
  architecture interleaved in one process; its per-model figures are used as they are, and the
  speed-up carries the record's CI (t-interval of the mean log student/teacher throughput ratio
  over interleaved repeats, :func:`distillbench.stats.log_ratio_ci`).
- schema 1: every training job timed its own model; the figures of one architecture are pooled as
  the median over its jobs, the speed-up is the ratio of the pooled medians (no CI: jobs were timed
  separately, not interleaved).

:func:`architecture_speeds` is the only reader of speed figures; the report and compare use it.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from distillbench.stats import log_ratio_ci

INTERLEAVED, POOLED = "interleaved", "pooled"


@dataclass
class ArchSpeed:
    """The speed, latency, memory and cost of one architecture of one task."""

    model: str
    role: str  # teacher | student
    source: str  # interleaved | pooled
    jobs: int  # how many records the figures come from (1 for a speed record)
    throughput: float | None = None
    throughput_unit: str = ""
    #: per interleaved repeat (speed record) or per job (pooled): what compare tests
    throughput_samples: list[float] = field(default_factory=list)
    latency_p50_ms: float | None = None
    latency_samples_ms: list[float] = field(default_factory=list)
    memory_mb: float | None = None
    memory_source: str | None = None
    memory_samples: dict[str, list[float]] = field(default_factory=dict)  # memory.peak_* -> values
    params: float | None = None
    mflops: float | None = None
    weights_mb: float | None = None  # bytes of the saved state dict (int8 weights: about a quarter of fp32)
    output_rates: dict[str, float] = field(default_factory=dict)  # "tokens_per_s" -> value
    #: hardware utilisation (hardware.py): achieved FLOP/s at the throughput batch, the device's peak, the share
    achieved_flops_per_s: float | None = None
    peak_flops_per_s: float | None = None
    peak_share: float | None = None
    peak_source: str | None = None
    #: energy (energy.py): J per 1,000 samples, or None with ``energy_status`` "not measurable" / "not recorded"
    energy_j_per_1000: float | None = None
    energy_status: str = "not recorded"
    energy_note: str | None = None
    speedup: float | None = None
    speedup_ci95: list[float] | None = None
    speedup_samples: list[float] = field(default_factory=list)
    speedup_method: str = ""
    #: (speed dict, env dict) of every measurement: device, precision, batch size, inputs for the notes
    measurements: list[tuple[dict[str, Any], dict[str, Any]]] = field(default_factory=list)


@dataclass
class TaskSpeeds:
    """Every architecture of one task, and which of them the speed-ups divide by."""

    teacher: str | None
    models: dict[str, ArchSpeed]
    repeats: int | None = None  # interleaved repeats of the speed record
    failed: dict[str, str] = field(default_factory=dict)  # models the speed job could not time -> why

    @property
    def sources(self) -> set[str]:
        return {a.source for a in self.models.values()}


def is_speed_record(rec: dict[str, Any]) -> bool:
    return rec.get("role") == "speed"


def architecture_speeds(records: list[dict[str, Any]]) -> dict[str, TaskSpeeds]:
    """Task -> its architectures' speeds, from ok records (speed records first, else pooled per-job figures)."""
    by_task: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        if r.get("status", "ok") == "ok":
            by_task[str(r.get("task", ""))].append(r)
    return {task: task_speeds(recs) for task, recs in by_task.items()}


def task_speeds(records: list[dict[str, Any]]) -> TaskSpeeds:
    """The architectures of one task's ok records."""
    speed_recs = sorted((r for r in records if is_speed_record(r)), key=lambda r: str(r.get("created") or ""))
    models: dict[str, ArchSpeed] = {}
    teacher, repeats, failed = None, None, {}
    if speed_recs:
        latest = speed_recs[-1]
        failed = {str(k): str(v) for k, v in ((latest.get("speed") or {}).get("failed") or {}).items()}
        teacher = (latest.get("speed") or {}).get("teacher")
        models.update(_from_speed_record(latest))
        repeats = max((len(a.throughput_samples) for a in models.values()), default=None)
    teachers = [r for r in records if r.get("role") == "teacher"]
    if teacher is None and len({r.get("model_name") for r in teachers}) == 1:
        teacher = str(teachers[0].get("model_name"))
    jobs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        if r.get("role") in ("teacher", "student") and _num((r.get("speed") or {}).get("throughput")) is not None:
            jobs[str(r.get("model_name", ""))].append(r)
    for model, grp in jobs.items():
        if model not in models:  # a speed record's figures win over per-job ones
            models[model] = _pooled(model, "teacher" if model == teacher else "student", grp)
    _fill_pooled_speedups(models, teacher)
    return TaskSpeeds(teacher, models, repeats, failed)


def _from_speed_record(rec: dict[str, Any]) -> dict[str, ArchSpeed]:
    speed, env = rec.get("speed") or {}, rec.get("env") or {}
    memory, size = (rec.get("memory") or {}).get("models") or {}, (rec.get("size") or {}).get("models") or {}
    teacher, speedups = speed.get("teacher"), speed.get("speedup") or {}
    out = {}
    for model, fig in (speed.get("models") or {}).items():
        fig = fig or {}
        mem, sz = memory.get(model) or {}, size.get(model) or {}
        mem_mb, mem_source = model_memory_mb({"memory": mem, "size": sz})
        arch = ArchSpeed(
            model=str(model),
            role="teacher" if model == teacher else "student",
            source=INTERLEAVED,
            jobs=1,
            throughput=_num(fig.get("throughput")),
            throughput_unit=str(fig.get("throughput_unit") or ""),
            throughput_samples=_nums(fig.get("throughput_samples")) or _nums([fig.get("throughput")]),
            latency_p50_ms=_num(fig.get("latency_p50_ms")),
            latency_samples_ms=_nums(fig.get("latency_samples_ms")) or _nums([fig.get("latency_p50_ms")]),
            memory_mb=mem_mb,
            memory_source=mem_source,
            memory_samples={k: [float(v)] for k, v in mem.items() if k.startswith("peak_") and _num(v) is not None},
            params=_num(sz.get("params")),
            mflops=_num(sz.get("mflops_per_sample")),
            weights_mb=_mb(sz.get("bytes_on_disk")),
            output_rates={
                k: float(v)
                for k, v in fig.items()
                if k.endswith("_per_s") and _num(v) is not None and k not in _NOT_OUTPUT_RATES
            },
            measurements=[(fig, env)],
        )
        fill_hardware(arch, fig)
        if model == teacher:
            arch.speedup, arch.speedup_ci95 = 1.0, None
        elif isinstance(speedups.get(model), dict):
            s = speedups[model]
            arch.speedup = _num(s.get("mean"))
            ci = _nums(s.get("ci95"))
            arch.speedup_samples = _nums(s.get("samples"))
            arch.speedup_ci95 = ci if len(ci) == 2 else ratio_interval(arch.speedup_samples)
            arch.speedup_method = str(s.get("method") or "interleaved repeats")
        out[str(model)] = arch
    return out


def _pooled(model: str, role: str, grp: list[dict[str, Any]]) -> ArchSpeed:
    speeds = [r.get("speed") or {} for r in grp]
    units = sorted({str(s.get("throughput_unit") or "") for s in speeds} - {""})
    mems = [model_memory_mb(r) for r in grp]
    mem_values = [v for v, _ in mems if v is not None]
    sources = {s for v, s in mems if v is not None}
    mem_samples: dict[str, list[float]] = defaultdict(list)
    rates: dict[str, list[float]] = defaultdict(list)
    for r in grp:
        for k, v in (r.get("memory") or {}).items():
            if k.startswith("peak_") and _num(v) is not None:
                mem_samples[k].append(float(v))
        for k, v in (r.get("speed") or {}).items():
            if k.endswith("_per_s") and _num(v) is not None and k not in _NOT_OUTPUT_RATES:
                rates[k].append(float(v))
    throughputs = _nums([s.get("throughput") for s in speeds])
    latencies = _nums([s.get("latency_p50_ms") for s in speeds])
    return ArchSpeed(
        model=model,
        role=role,
        source=POOLED,
        jobs=len(grp),
        throughput=_median(throughputs),
        throughput_unit="/".join(units),
        throughput_samples=throughputs,
        latency_p50_ms=_median(latencies),
        latency_samples_ms=latencies,
        memory_mb=_median(mem_values),
        memory_source=(sources.pop() if len(sources) == 1 else "mixed") if sources else None,
        memory_samples=dict(mem_samples),
        params=_median(_nums([(r.get("size") or {}).get("params") for r in grp])),
        mflops=_median(_nums([(r.get("size") or {}).get("mflops_per_sample") for r in grp])),
        weights_mb=_mb(_median(_nums([(r.get("size") or {}).get("bytes_on_disk") for r in grp]))),
        output_rates={k: statistics.median(v) for k, v in rates.items()},
        measurements=[(r.get("speed") or {}, r.get("env") or {}) for r in grp],
    )


#: ``*_per_s`` speed keys that are not output rates (tokens/s, boxes/s)
_NOT_OUTPUT_RATES = {"achieved_flops_per_s", "peak_flops_per_s"}


def fill_hardware(arch: ArchSpeed, fig: dict[str, Any]) -> None:
    """Utilisation and energy of one measurement (``speed.models.<name>``); old records leave them unset."""
    arch.achieved_flops_per_s = _num(fig.get("achieved_flops_per_s"))
    arch.peak_flops_per_s = _num(fig.get("peak_flops_per_s"))
    arch.peak_share = _num(fig.get("peak_share"))
    peak = fig.get("peak") if isinstance(fig.get("peak"), dict) else {}
    arch.peak_source = peak.get("source") or peak.get("reason")
    energy = fig.get("energy")
    if isinstance(energy, dict):
        arch.energy_j_per_1000 = _num(energy.get("j_per_1000_samples"))
        arch.energy_status = str(energy.get("status") or "not recorded")
        arch.energy_note = energy.get("reason") or energy.get("source")


def _fill_pooled_speedups(models: dict[str, ArchSpeed], teacher: str | None) -> None:
    """Pooled architectures: ratio of medians; per-job ratios over the teacher's median as samples."""
    base = models.get(teacher) if teacher else None
    if base is None or not base.throughput:
        return
    for arch in models.values():
        if arch.source != POOLED or arch.throughput is None or arch.throughput_unit != base.throughput_unit:
            continue
        if arch.model == base.model:
            arch.speedup = 1.0
            continue
        arch.speedup = arch.throughput / base.throughput
        arch.speedup_samples = [t / base.throughput for t in arch.throughput_samples]
        arch.speedup_method = f"ratio of pooled medians ({arch.jobs} vs {base.jobs} jobs, timed separately)"
        if base.source == INTERLEAVED:
            arch.speedup_method += "; the teacher from the speed job"


def ratio_interval(samples: list[float]) -> list[float] | None:
    """The 95% CI of a speed-up from per-repeat ratios (None for fewer than two)."""
    positive = [s for s in samples if s > 0]
    ci = log_ratio_ci(positive).ci95 if len(positive) >= 2 else None
    return list(ci) if ci else None


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


def _num(v: Any) -> float | None:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def _nums(values: Any) -> list[float]:
    if not isinstance(values, (list, tuple)):
        return []
    return [x for x in map(_num, values) if x is not None]


def _mb(value: Any) -> float | None:
    v = _num(value)
    return v / 2**20 if v is not None else None


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None
