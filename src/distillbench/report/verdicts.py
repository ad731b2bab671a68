"""Verdicts with statistics, and the summary at the top of every leaderboard.

For each student x method, against the same student trained alone (``no_kd``): the mean Δ of the
primary metric over seeds, its 95% CI (Welch–Satterthwaite df) and the p-value of Welch's t-test
(:func:`distillbench.stats.welch_difference`). "better"/"worse" only when p < alpha; otherwise "no
clear difference"; fewer than two seeds on a side: "n=1: no verdict".
"""

from __future__ import annotations

from typing import Any

from distillbench.report.rows import BASELINE_METHOD, Leaderboard, Row
from distillbench.stats import BETTER, WELCH_TEST, difference_verdict, format_p, welch_difference


def fill_deltas(rows: list[Row], higher_is_better: bool, alpha: float, notes: list[str]) -> None:
    """Δ, its CI, p and verdict on every student row that has a ``no_kd`` sibling with values."""
    baselines = {r.model: r for r in rows if r.role == "student" and r.method == BASELINE_METHOD}
    missing = set()
    for row in rows:
        if row.role != "student" or row.method == BASELINE_METHOD:
            continue
        base = baselines.get(row.model)
        if base is None:
            missing.add(row.model)
        elif row.values and base.values:
            diff = welch_difference(base.values, row.values)
            row.delta, row.p_value = diff.delta, diff.p_value
            row.delta_ci95 = list(diff.ci95) if diff.ci95 is not None else None
            row.verdict = difference_verdict(diff, higher_is_better, alpha)
    if missing:
        notes.append(f"no {BASELINE_METHOD} result for {', '.join(sorted(missing))}: Δ not shown")


def verdict_note(board: Leaderboard) -> str:
    """The note naming the test behind every verdict."""
    return (
        f"Δ: mean {board.primary_metric} minus that of the same student trained alone ({BASELINE_METHOD}), "
        f"{'higher' if board.higher_is_better else 'lower'} is better; 95% CI on the Welch–Satterthwaite df; "
        f"p: {WELCH_TEST}, alpha {board.alpha:g}: 'better'/'worse' only when p < {board.alpha:g}, otherwise "
        "'no clear difference'; fewer than 2 seeds on a side: 'n=1: no verdict'"
    )


def board_summary(board: Leaderboard) -> dict[str, Any]:
    """Teacher quality, the best student by mean, quality kept (% of teacher), its speed-up, KD that helped."""
    scale = board.scale(board.primary_metric)
    teachers, best = board.teachers(), board.best_row()
    teacher = teachers[0] if len(teachers) == 1 else None
    helped = [r for r in board.students() if r.verdict == BETTER]
    out: dict[str, Any] = {
        "teacher": teacher.model if teacher else None,
        "teacher_quality": teacher.mean if teacher else None,
        "best_student": best.model if best else None,
        "best_method": best.method if best else None,
        "best_quality": best.mean if best else None,
        "quality_kept_pct": None,
        "speedup": best.speedup if best else None,
        "speedup_ci95": best.speedup_ci95 if best else None,
        "kd_helped": [{"model": r.model, "method": r.method, "delta": r.delta, "p_value": r.p_value} for r in helped],
    }
    if teacher and best and teacher.mean and best.mean is not None:
        kept = best.mean / teacher.mean if board.higher_is_better else teacher.mean / best.mean if best.mean else None
        out["quality_kept_pct"] = None if kept is None else 100.0 * kept
    parts = []
    if teacher and teacher.mean is not None:
        parts.append(f"teacher {teacher.model} {_fmt(teacher.mean, scale)}")
    if best and best.mean is not None:
        text = f"best student {best.model}/{best.method_label} {_fmt(best.mean, scale)}"
        if out["quality_kept_pct"] is not None:
            text += f" ({out['quality_kept_pct']:.1f}% of the teacher's quality)"
        if best.speedup is not None:
            text += f", {format_speedup(best.speedup, best.speedup_ci95)} the teacher's speed"
        parts.append(text)
    if helped:
        unit = " pp" if scale == 100.0 else ""
        parts.append(
            "KD helped significantly: "
            + ", ".join(
                f"{r.model}/{r.method_label} ({r.delta * scale:+.2f}{unit}, {format_p(r.p_value)})"  # type: ignore[operator]
                for r in helped
            )
        )
    elif board.students():
        parts.append(f"no KD method helped significantly (p < {board.alpha:g})")
    out["text"] = "; ".join(parts)
    return out


def format_speedup(value: float, ci95: list[float] | None) -> str:
    """``4.44x (95% CI 4.20-4.70)``, or ``4.44x`` without an interval."""
    return f"{value:.2f}x" + (f" (95% CI {ci95[0]:.2f}-{ci95[1]:.2f})" if ci95 else "")


def _fmt(value: float, scale: float) -> str:
    v = value * scale
    return f"{v:.2f}" + ("%" if scale == 100.0 else "") if scale != 1.0 or abs(v) >= 1 else f"{v:.4f}"
