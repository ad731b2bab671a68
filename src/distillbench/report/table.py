"""Result records -> one :class:`~distillbench.report.rows.Leaderboard` per task.

The steps, one module each: rows aggregated over seeds (here), the architecture's one speed
(:mod:`.speed`), Δ with its CI, p-value and verdict and the board's summary (:mod:`.verdicts`),
the notes (:mod:`.notes`). The table model itself lives in :mod:`.rows` and is re-exported here.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from typing import Any

from distillbench.errors import ResultsError
from distillbench.report.notes import (
    environment_notes,
    method_caveat,
    method_notes,
    run_environments,
    sanity_notes,
    speed_notes,
)
from distillbench.report.rows import BASELINE_METHOD, ROLE_ORDER, Column, Leaderboard, Row, is_fraction_metric
from distillbench.report.speed import TaskSpeeds, is_speed_record, model_memory_mb, task_speeds
from distillbench.report.verdicts import board_summary, fill_deltas
from distillbench.stats import ALPHA

__all__ = [
    "BASELINE_METHOD",
    "Column",
    "Leaderboard",
    "Row",
    "build_leaderboards",
    "is_fraction_metric",
    "model_memory_mb",
    "run_environments",
]


def build_leaderboards(records: list[dict[str, Any]], alpha: float = ALPHA) -> list[Leaderboard]:
    """One leaderboard per task (and task version), tasks sorted by name; failed jobs counted, not shown.

    ``alpha``: the significance level of the Δ verdicts (Welch's t-test over seeds).
    """
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
        boards.append(_build_board(task, version, title, recs, alpha))
    return boards


def _build_board(task: str, version: int | None, title: str, recs: list[dict[str, Any]], alpha: float) -> Leaderboard:
    ok = [r for r in recs if r.get("status", "ok") == "ok"]
    failed = [r for r in recs if r.get("status", "ok") != "ok"]
    trained = [r for r in ok if not is_speed_record(r)]
    primaries = sorted({str(r.get("primary_metric", "")) for r in (trained or failed) if not is_speed_record(r)})
    if len(primaries) > 1:
        raise ResultsError(f"task {task!r}: records disagree on the primary metric ({', '.join(primaries)})")
    primary = primaries[0] if primaries else ""
    directions: dict[str, bool] = {}
    for r in trained:
        for metric, hib in (r.get("higher_is_better") or {}).items():
            directions.setdefault(metric, bool(hib))
    hib = directions.setdefault(primary, True)
    # only declared metrics (those with a direction) are columns; counts such as n_test are not
    secondary = sorted(
        {m for r in trained for m, v in (r.get("quality") or {}).items() if _is_number(v) and m in directions}
        - {primary}
    )

    groups: dict[tuple[str, str, str | None], list[dict[str, Any]]] = defaultdict(list)
    for r in trained:
        role = str(r.get("role", ""))
        groups[(role, str(r.get("model_name", "")), None if role == "teacher" else r.get("method"))].append(r)
    rows = [_build_row(task, key, grp, primary, secondary) for key, grp in groups.items()]
    rows += _reference_rows(trained, primary, secondary)
    rows.sort(key=lambda r: (ROLE_ORDER.get(r.role, 3), r.model, r.method != BASELINE_METHOD, r.method or ""))

    notes: list[str] = []
    fill_deltas(rows, hib, alpha, notes)
    speeds = task_speeds(ok)
    _fill_speeds(rows, speeds, notes)
    board = Leaderboard(task, version, primary, hib, rows, secondary, directions, len(failed), title=title, alpha=alpha)
    board.failures = [_failure_text(r) for r in failed]
    board.notes = (
        sanity_notes(board) + environment_notes(ok, speeds) + speed_notes(board, speeds) + notes + method_notes(board)
    )
    board.environments = run_environments(ok)
    board.summary = board_summary(board)
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
    values = [v for v in (_num((r.get("quality") or {}).get(primary)) for r in grp) if v is not None]
    counts = [c for c in ((r.get("quality") or {}).get("output_count") for r in grp) if isinstance(c, dict)]
    selections = sorted({str(s) for r in grp if (s := (r.get("quality") or {}).get("selection"))})
    return Row(
        role=role,
        model=model,
        method=method,
        model_spec=specs[0],
        n=len(values),
        seeds=sorted(int(r.get("seed", 0)) for r in grp),
        mean=_mean(values),
        std=statistics.stdev(values) if len(values) > 1 else None,
        values=values,
        params=_mean(_field(grp, "size", "params")),
        mflops=_mean(_field(grp, "size", "mflops_per_sample")),
        outputs_per_sample=_mean([v for c in counts if (v := _num(c.get("per_sample"))) is not None]),
        output_unit="/".join(sorted({str(c.get("unit")) for c in counts if c.get("unit")})),
        selection=(selections[0] if len(selections) == 1 else "mixed") if selections else None,
        compression=compression_text(grp) if role == "compression" else None,
        secondary={m: _mean(_field(grp, "quality", m)) for m in secondary},
        job_ids=[str(r.get("job_id", "")) for r in grp],
        method_tag=method_caveat(method)[0] if method else "",
    )


def compression_text(grp: list[dict[str, Any]]) -> str:
    """What a compression row is: kind, backend and fine-tuning, or ``not run: <why>``."""
    info = ((grp[-1].get("config") or {}).get("compression")) or {}
    if info.get("unsupported"):
        return f"not run: {info['unsupported']}"
    parts = [str(info.get("kind", "?")).replace("_", " ")]
    if info.get("kind") == "pruned":
        parts = [
            f"pruned {info.get('fraction', 0) * 100:.0f}% of {info.get('channels_before', '?')} channels by L1 norm"
        ]
        if info.get("fine_tune"):
            parts.append(f"fine-tuned: {info['fine_tune']}")
    if info.get("base") == "student":
        parts.append(f"of {info.get('base_model')}/{info.get('base_method')} seed {info.get('base_seed')}")
    if info.get("backend"):
        parts.append(str(info["backend"]))
    if info.get("why"):
        parts.append(f"because {info['why']}")
    return "; ".join(parts)


def _fill_speeds(rows: list[Row], speeds: TaskSpeeds, notes: list[str]) -> None:
    """Every row of one architecture gets that architecture's one speed, memory, MFLOPs and speed-up."""
    for row in rows:
        arch = speeds.models.get(row.model) if row.role in ("teacher", "student", "compression") else None
        if arch is None:
            continue
        row.throughput, row.throughput_unit = arch.throughput, arch.throughput_unit
        row.latency_p50_ms = arch.latency_p50_ms
        row.peak_memory_mb, row.peak_memory_source = arch.memory_mb, arch.memory_source
        row.mflops = arch.mflops if arch.mflops is not None else row.mflops
        row.weights_mb = arch.weights_mb
        row.params = row.params if row.params is not None else arch.params
        row.speedup, row.speedup_ci95 = arch.speedup, arch.speedup_ci95
        row.speed_source = arch.source
        row.achieved_flops_per_s, row.peak_share = arch.achieved_flops_per_s, arch.peak_share
        row.energy_j_per_1000 = arch.energy_j_per_1000
        row.hardware_status = {
            "achieved_flops_per_s": "not recorded",
            "peak_share": "not recorded" if arch.peak_share is None and arch.achieved_flops_per_s is None else "n/a",
            "energy_j_per_1000": arch.energy_status,
        }
        if row.output_unit:
            row.output_rate = arch.output_rates.get(f"{row.output_unit}_per_s")
    teachers = {r.model for r in rows if r.role == "teacher"}
    if rows and len(teachers) != 1:
        notes.append(f"{len(teachers) or 'no'} teacher results: speed-up not shown")
        for row in rows:
            row.speedup = row.speedup_ci95 = None


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
                values=values,
                secondary={m: _mean([v for f in figs if (v := _num(f.get(m))) is not None]) for m in secondary},
            )
        )
    return rows


def _failure_text(rec: dict[str, Any]) -> str:
    who = f"{rec.get('model_name', '?')}/{rec.get('method') or rec.get('role', '?')} seed {rec.get('seed', '?')}"
    error = str(rec.get("error") or "no error message").strip().splitlines()
    return f"{who}: {error[-1] if error else ''}"[:200]


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _num(v: Any) -> float | None:
    return float(v) if _is_number(v) else None


def _field(grp: list[dict[str, Any]], section: str, key: str) -> list[float]:
    values = (_num((r.get(section) or {}).get(key)) for r in grp)
    return [v for v in values if v is not None]


def _mean(values: list[float] | list[float | None]) -> float | None:
    finite = [v for v in values if v is not None and math.isfinite(v)]
    return math.fsum(finite) / len(finite) if finite else None
