"""Render a :class:`~distillbench.compare.CompareReport`: a terminal table, Markdown (for a pull-request
comment) and JSON (raw numbers, for tools)."""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

from distillbench.compare import CompareReport, Comparison
from distillbench.report.writers import json_safe

COMPARE_SCHEMA = "distillbench.compare/1"
_MARK = {"regression": "❌", "improvement": "✅", "unchanged": "·", "inconclusive": "?", "not compared": "≠"}


def _num(value: float | None, unit: str = "") -> str:
    if value is None or not math.isfinite(value):
        return "—"
    a = abs(value)
    text = f"{value:,.1f}" if a >= 100 else f"{value:.3g}" if a >= 1e-3 or a == 0 else f"{value:.3e}"
    return f"{text} {unit}".rstrip()


def _side(mean: float | None, std: float | None, n: int, unit: str) -> str:
    if mean is None:
        return "—"
    spread = f" ± {_num(std)}" if std is not None else ""
    return f"{_num(mean)}{spread} (n={n}) {unit}".rstrip()


def cells(row: Comparison) -> list[str]:
    """task, group, metric, base, new, change, p, verdict, reason."""
    rel = "—" if row.rel_change is None or not math.isfinite(row.rel_change) else f"{row.rel_change:+.1%}"
    change = "—" if row.change is None else f"{'+' if row.change >= 0 else ''}{_num(row.change)} ({rel})"
    direction = "↑" if row.higher_is_better else "↓"
    return [
        row.task,
        row.group,
        f"{row.metric} {direction}",
        _side(row.base_mean, row.base_std, row.base_n, row.unit),
        _side(row.new_mean, row.new_std, row.new_n, row.unit),
        change,
        "—" if row.p_value is None else f"{row.p_value:.2g}",
        row.verdict,
        row.reason,
    ]


HEADERS = ["task", "model", "metric", "base mean ± std (n)", "new mean ± std (n)", "change", "p", "verdict", "why"]


def summary_line(report: CompareReport) -> str:
    counts = {k: v for k, v in report.counts().items() if v}
    parts = ", ".join(f"{v} {k}" for k, v in counts.items())
    status = f"{len(report.regressions)} regression(s)" if report.regressions else "no regression"
    return f"{status} — {parts} (alpha {report.alpha:g}, min samples {report.min_samples})"


def render_text(report: CompareReport, show_all: bool = False) -> Any:
    """A rich renderable: the table (regressions and improvements first; everything with ``show_all``)."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"distillbench compare: {report.base} → {report.new}", show_lines=False)
    for h in HEADERS:
        table.add_column(h, overflow="fold")
    style = {"regression": "bold red", "improvement": "green", "inconclusive": "yellow", "not compared": "dim"}
    for row in _ordered(report, show_all):
        table.add_row(*cells(row), style=style.get(row.verdict, ""))
    parts: list[Any] = [table, Text(summary_line(report))]
    parts += [Text(f"note: {n}", style="dim") for n in report.notes]
    return Group(*parts)


def render_markdown(report: CompareReport, show_all: bool = True) -> str:
    """A pull-request comment: summary, the table, thresholds and notes (every text escaped)."""

    def esc(text: str) -> str:
        text = text.replace("\\", "\\\\").replace("|", "\\|").replace("`", "\\`").replace("*", "\\*")
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", " ")

    head = "❌" if report.regressions else "✅"
    out = [f"### {head} distillbench: {esc(summary_line(report))}", ""]
    out += [f"Base `{esc(report.base)}` → new `{esc(report.new)}`.", ""]
    out.append("| " + " | ".join(["", *HEADERS]) + " |")
    out.append("|" + "|".join([":-:", ":--", ":--", ":--", "--:", "--:", "--:", "--:", ":--", ":--"]) + "|")
    for row in _ordered(report, show_all):
        out.append("| " + " | ".join([_MARK.get(row.verdict, ""), *(esc(c) for c in cells(row))]) + " |")
    limits = ", ".join(f"{k} {v:.0%}" for k, v in report.thresholds.items())
    out += [
        "",
        f"A regression is a change beyond the relative threshold ({limits}) in the worse direction with "
        f"p < {report.alpha:g} (two-sided Mann–Whitney U, one sample per job: quality over seeds, speed and memory "
        "over every job of the model); fewer than "
        f"{report.min_samples} samples a side, or too few for the test to reach p < {report.alpha:g}, "
        "is inconclusive. speed.speedup_vs_teacher is the student/teacher throughput ratio measured inside each run "
        "(it cancels the hardware); on different hardware absolute speed and memory are not compared"
        + (f" ({esc(report.hardware_differs)})." if report.hardware_differs else "."),
    ]
    out += [f"- {esc(n)}" for n in report.notes]
    return "\n".join(out) + "\n"


def render_json(report: CompareReport) -> str:
    """Raw numbers (NaN and infinities as null), verdict counts and notes."""
    data = {
        "schema": COMPARE_SCHEMA,
        "base": report.base,
        "new": report.new,
        "alpha": report.alpha,
        "min_samples": report.min_samples,
        "thresholds": report.thresholds,
        "hardware_differs": report.hardware_differs,
        "regression": bool(report.regressions),
        "counts": report.counts(),
        "rows": [json_safe(dataclasses.asdict(r)) for r in report.rows],
        "notes": report.notes,
    }
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _ordered(report: CompareReport, show_all: bool) -> list[Comparison]:
    order = {
        "regression": 0,
        "improvement": 1,
        "inconclusive": 2,
        "not compared": 3,
        "only in base": 4,
        "only in new": 4,
    }
    rows = report.rows if show_all else [r for r in report.rows if r.verdict != "unchanged"] or report.rows
    return sorted(rows, key=lambda r: order.get(r.verdict, 4))
