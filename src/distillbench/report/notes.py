"""The notes under every leaderboard: where numbers were measured, how they were computed, what looks wrong.

- environment notes: device, precision, batch size, speed inputs, torch and git of the run;
- speed notes: where the one speed per architecture comes from (speed job or pooled jobs), output-dependent cost;
- method notes: mean ± std, the test behind Δ, which epoch quality comes from, reference rows, memory, failures,
  and the caveat of a method that is not the paper its name suggests (``DistillMethod.caveat``);
- sanity notes (issue 16, item 9): a teacher below its student alone, a row at or below a reference floor,
  a metric at its floor (WER/CER >= 100%: no better than an empty transcript).
"""

from __future__ import annotations

import functools
import importlib
from typing import Any

from distillbench.report.rows import BASELINE_METHOD, Leaderboard, Row
from distillbench.report.speed import INTERLEAVED, POOLED, TaskSpeeds
from distillbench.report.verdicts import verdict_note

ENV_FIELDS = ("git_sha", "torch", "device", "device_name", "cpu", "gpu", "precision", "threads", "python", "platform")
#: lower-is-better error rates whose floor is 100% (an empty output scores WER = 1)
_ERROR_RATES = {"wer", "cer"}


def environment_notes(ok: list[dict[str, Any]], speeds: TaskSpeeds) -> list[str]:
    """Device, precision, throughput batch size and inputs of the speed figures; torch and git of the jobs."""
    measured = [m for a in speeds.models.values() for m in a.measurements]

    def distinct(values: Any) -> list[str]:
        return sorted({str(v) for v in values if v not in (None, "")})

    notes = []
    devices = distinct(_join(s.get("device"), e.get("device_name")) for s, e in measured)
    if devices:
        extra = " (rows measured on different devices do not compare)" if len(devices) > 1 else ""
        notes.append(f"device: {'; '.join(devices)}{extra}")
    for label, key in (("precision", "precision"), ("throughput batch size", "throughput_batch_size")):
        values = distinct(s.get(key) for s, _ in measured)
        if values:
            notes.append(f"{label}: {', '.join(values)}")
    inputs = distinct(s.get("inputs") for s, _ in measured)
    if inputs:
        notes.append(f"speed inputs: {'; '.join(inputs)}")
    for label, key in (("torch", "torch"), ("git", "git_sha")):
        values = distinct((r.get("env") or {}).get(key) for r in ok)
        if values:
            notes.append(f"{label}: {', '.join(values)}")
    return notes


def speed_notes(board: Leaderboard, speeds: TaskSpeeds) -> list[str]:
    """Where the one speed per architecture comes from, and per-output rates where cost depends on the output."""
    notes = []
    pooled = {m: a for m, a in speeds.models.items() if a.source == POOLED}
    if any(a.source == INTERLEAVED for a in speeds.models.values()):
        notes.append(
            f"speed, latency, memory, MFLOPs: one figure per architecture from the run's speed job (teacher and "
            f"students timed interleaved in one process, {speeds.repeats or '?'} repeats); speed-up: geometric mean "
            "of the per-repeat student/teacher throughput ratios, 95% CI = t-interval of the mean log ratio"
        )
    if pooled:
        jobs = ", ".join(f"{m} {a.jobs}" for m, a in sorted(pooled.items()))
        notes.append(
            "speed, latency, memory, MFLOPs: one figure per architecture, the median over its jobs "
            f"({jobs} jobs; old records, each job timed separately, not interleaved); speed-up: ratio of the "
            "medians, no CI"
        )
    rates = {m: a.output_rates for m, a in speeds.models.items() if a.output_rates}
    if rates and not any(r.outputs_per_sample is not None for r in board.rows):
        shown = ", ".join(f"{m} {v:,.0f}" for m, r in rates.items() for k, v in r.items() if k == "tokens_per_s")
        if shown:
            notes.append(f"throughput in tokens/s (real tokens, padding excluded), per architecture: {shown}")
    notes += hardware_notes(speeds)
    if speeds.failed:
        shown = "; ".join(f"{m}: {why[:200]}" for m, why in sorted(speeds.failed.items()))
        notes.append(f"not timed by the speed job (no speed figures): {shown}")
    units = sorted({r.output_unit for r in board.rows if r.outputs_per_sample is not None})
    if units:
        noun = board.sample_noun()
        notes.append(
            f"cost depends on the output: {'/'.join(units)}/{noun} is each row's mean output count on the test set "
            f"(its own predictions), {'/'.join(units)}/s the architecture's output rate in the speed measurement; "
            f"compare cost per output, not only per {noun}"
        )
    return notes


def hardware_notes(speeds: TaskSpeeds) -> list[str]:
    """The device peak behind '% of device peak', and where energy comes from (or why it cannot be measured)."""
    archs = list(speeds.models.values())
    notes = []
    peaks = sorted({(a.peak_flops_per_s, a.peak_source) for a in archs if a.peak_source}, key=str)
    if peaks:
        shown = "; ".join(f"{p / 1e9:,.1f} GFLOP/s, {src}" if p else str(src) for p, src in peaks)
        notes.append(
            "utilisation: achieved GFLOP/s = MFLOPs/sample (counted at batch 1) x throughput at the throughput batch; "
            f"% of device peak divides it by the device's peak ({shown})"
        )
    if any(a.energy_status == "not recorded" for a in archs):
        notes.append("utilisation and energy 'not recorded': speed records made before these fields existed")
    measured = sorted({str(a.energy_note) for a in archs if a.energy_j_per_1000 is not None})
    if measured:
        notes.append(
            f"energy: joules per 1,000 samples over the throughput passes, from the {', '.join(measured)} energy "
            "counter (the whole device or package, idle power and other processes included)"
        )
    reasons = sorted({str(a.energy_note) for a in archs if a.energy_status == "not measurable"})
    if reasons:
        notes.append(f"energy not measurable: {'; '.join(reasons)}; no estimate is shown in its place")
    return notes


def method_notes(board: Leaderboard) -> list[str]:
    """How each figure was computed, in the order of the columns."""
    notes = [
        f"{board.primary_metric}: mean ± sample std (ddof=1) over seeds, n = number of seeds",
        verdict_note(board),
    ]
    notes += selection_notes(board)
    for method in sorted({r.method for r in board.students() if r.method_tag}):  # type: ignore[type-var]
        tag, caveat = method_caveat(method)
        notes.append(f"{method} ({tag}): {caveat}")
    if board.references():
        names = ", ".join(r.model for r in board.references())
        notes.append(
            f"reference rows ({names}): non-neural sanity floors fitted on the same train/val split and scored on the "
            "same test split; no speed or size figures, never counted as students"
        )
    if board.compressions():
        names = ", ".join(r.model for r in board.compressions())
        notes.append(
            f"compression rows ({names}): the teacher and one student (the card's compression.student/method, by "
            "default its first student with its first KD method, seed 0: fixed before the run) quantised to int8 "
            "(torchao) or the teacher structurally pruned and fine-tuned; evaluated on the same test split and timed "
            "in the same speed job, never counted as students (no Δ, not in the summary)"
        )
    if {r.peak_memory_source for r in board.rows} - {None}:
        notes.append(
            "peak memory: on GPU, peak allocated (torch.cuda.max_memory_allocated); on CPU, the weights "
            "(state-dict bytes) plus the process RSS growth during the memory pass at the throughput batch — the "
            "process's own peak RSS, dominated by the framework, is in the JSON records (memory.peak_rss_mb)"
        )
    if board.failed:
        shown = "; ".join(board.failures[:5]) + ("; ..." if board.failed > 5 else "")
        notes.append(f"failed jobs (not shown): {board.failed} — {shown}")
    return notes


@functools.cache
def method_caveat(method: str) -> tuple[str, str]:
    """A built-in method's ``(caveat_tag, caveat)``; empty for methods as published and for unknown names.

    Imports the built-in method modules only (not every component), the first time it is asked.
    """
    from distillbench.registry import BUILTIN_MODULES, METHODS

    for module in BUILTIN_MODULES:
        if module.startswith("distillbench.methods."):
            importlib.import_module(module)
    if method not in METHODS.names():
        return "", ""
    cls = METHODS.get(method)
    return cls.caveat_tag, cls.caveat


def selection_notes(board: Leaderboard) -> list[str]:
    """Which epoch the quality comes from (``quality.selection``), when the records say."""
    label = {"best_val": "validation-selected epoch", "last": "last epoch"}
    trained = [r for r in board.rows if r.role in ("teacher", "student") and r.selection]
    kinds = {r.selection for r in trained}
    if not kinds:
        return []
    if len(kinds) == 1:
        kind = kinds.pop()
        return [f"quality: {label.get(kind, kind)} (quality.selection = {kind})"]  # type: ignore[arg-type]
    shown = "; ".join(f"{_who(r)}: {label.get(r.selection, r.selection)}" for r in trained)  # type: ignore[arg-type]
    return [f"quality comes from different epochs: {shown}"]


def sanity_notes(board: Leaderboard) -> list[str]:
    """Warnings a sceptical reader would raise: a teacher below its student, rows at a floor."""
    hib, metric, scale = board.higher_is_better, board.primary_metric, board.scale(board.primary_metric)

    def worse_or_equal(a: float, b: float) -> bool:
        return a <= b if hib else a >= b

    def fmt(v: float) -> str:
        return f"{v * scale:.2f}" if scale != 1.0 or abs(v) >= 1 else f"{v:.4f}"

    notes = []
    alone = [r for r in board.students() if r.method == BASELINE_METHOD and r.mean is not None]
    for t in board.teachers():
        below = [s for s in alone if t.mean is not None and not worse_or_equal(s.mean, t.mean)]  # type: ignore[arg-type]
        if below:
            shown = ", ".join(f"{s.model} {fmt(s.mean)}" for s in below)  # type: ignore[arg-type]
            notes.append(
                f"sanity: the teacher {t.model} ({fmt(t.mean)}) scores below its student trained alone ({shown}): "  # type: ignore[arg-type]
                "distilling from it cannot be expected to help"
            )
    for ref in board.references():
        if ref.mean is None:
            continue
        at_floor = [r for r in board.rows if r.role != "reference" and r.mean is not None and
                    worse_or_equal(r.mean, ref.mean)]  # fmt: skip
        if at_floor:
            shown = ", ".join(f"{_who(r)} {fmt(r.mean)}" for r in at_floor)  # type: ignore[arg-type]
            notes.append(f"sanity: at or below the reference floor {ref.model} ({fmt(ref.mean)}): {shown}")
    if metric.lower() in _ERROR_RATES and not hib:
        floor = [r for r in board.rows if r.role != "reference" and r.mean is not None and r.mean >= 1.0]
        if floor:
            shown = ", ".join(f"{_who(r)} {r.mean * 100:.1f}%" for r in floor)  # type: ignore[operator]
            notes.append(f"sanity: {metric} at its floor (>= 100%, no better than an empty output): {shown}")
    return notes


def run_environments(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Distinct environments among ``records`` (what each number was measured on), with job counts and dates."""
    envs: dict[tuple[Any, ...], dict[str, Any]] = {}
    for r in records:
        env, speed = r.get("env") or {}, r.get("speed") or {}
        if isinstance(speed.get("models"), dict):  # a speed record: any model's figures name the device
            speed = next(iter(speed["models"].values()), None) or {}
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


def _who(row: Row) -> str:
    return row.model if row.role in ("teacher", "compression") else f"{row.model}/{row.method_label}"


def _join(*parts: Any) -> str:
    a, b = (str(p) if p not in (None, "") else "" for p in parts)
    return f"{a} ({b})" if a and b else a or b
