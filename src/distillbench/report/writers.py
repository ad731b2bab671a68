"""Report writers: leaderboards -> Markdown, CSV, LaTeX (booktabs), HTML or JSON text.

Each writer is a function ``(boards) -> str`` registered in :data:`~distillbench.registry.WRITERS`
under its format name, which is also the file extension that :func:`write_reports` uses (a writer
may set an ``extension`` attribute to differ). All number formatting lives here; CSV and JSON keep
raw numbers (fractions, not percent) for further analysis.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from distillbench.registry import WRITERS
from distillbench.report.generations import generations_markdown
from distillbench.report.html import write_html
from distillbench.report.rows import Column, Leaderboard, Row
from distillbench.report.verdicts import format_speedup
from distillbench.stats import format_p

MISSING = "—"
REPORT_STEM = "leaderboard"
Writer = Callable[[list[Leaderboard]], str]


# ----------------------------------------------------------------------------- number formatting


def format_cell(board: Leaderboard, row: Row, column: Column) -> str:
    """The display text of one cell (``MISSING`` when the value is not available)."""
    value = row.value(column)
    if column.kind == "text":
        return str(value) if value not in (None, "") else MISSING
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return row.hardware_status.get(column.key) or MISSING  # "not recorded" / "not measurable" beat a dash
    if column.kind == "quality":
        return format_quality(value, row.std, row.n, board.scale(column.metric or ""))
    if column.kind == "metric":
        scale = board.scale(column.metric or "")
        return f"{value * scale:.{_decimals(value * scale, scale)}f}"
    if column.kind == "delta":
        scale = board.scale(column.metric or "")
        return f"{value * scale:+.{_decimals(row.mean, scale)}f}"
    if column.kind == "interval":
        scale = board.scale(column.metric or "")
        digits = _decimals(row.mean, scale)
        return f"[{value[0] * scale:+.{digits}f}, {value[1] * scale:+.{digits}f}]"
    formatter = _FORMATTERS.get(column.kind, lambda v, _row: f"{v:g}")
    return formatter(value, row)


def _row_quality(board: Leaderboard, row: Row) -> str:
    return MISSING if row.mean is None else format_quality(row.mean, row.std, row.n, board.scale(board.primary_metric))


def format_quality(mean: float, std: float | None, n: int, scale: float = 1.0) -> str:
    """``98.12 ± 0.21 (n=3)``; no ± for a single seed."""
    digits = _decimals(mean * scale, scale)
    text = f"{mean * scale:.{digits}f}"
    if std is not None and n > 1:
        text += f" ± {std * scale:.{digits}f}"
    return f"{text} (n={n})"


def format_count(value: float) -> str:
    """Parameter counts: ``1.23M``, ``45.6K``, ``2.10B``, ``512``."""
    for limit, suffix, digits in ((1e9, "B", 2), (1e6, "M", 2), (1e3, "K", 1)):
        if abs(value) >= limit:
            return f"{value / limit:.{digits}f}{suffix}"
    return f"{value:.0f}"


def _decimals(value: float | None, scale: float) -> int:
    return 2 if scale != 1.0 or value is None or not math.isfinite(value) or abs(value) >= 1 else 4


def _mflops(value: float) -> str:
    return f"{value:,.0f}" if value >= 1000 else f"{value:.1f}" if value >= 10 else f"{value:.3g}"


_FORMATTERS: dict[str, Callable[[float, Row], str]] = {
    "params": lambda v, _row: format_count(v),
    "mflops": lambda v, _row: _mflops(v),
    "throughput": lambda v, row: f"{v:,.1f} {row.throughput_unit}".rstrip(),
    "speedup": lambda v, row: format_speedup(v, row.speedup_ci95),
    "p": lambda v, _row: format_p(v).removeprefix("p=").removeprefix("p"),
    "outputs": lambda v, _row: f"{v:,.1f}",
    "rate": lambda v, _row: f"{v:,.0f}",
    "ms": lambda v, _row: f"{v:,.2f}",
    "mb": lambda v, _row: f"{v:,.1f}",
    "flops": lambda v, _row: f"{v / 1e9:,.2f}",
    "share": lambda v, _row: f"{v * 100:.1f}%" if v >= 0.001 else f"{v * 100:.2g}%",
    "energy": lambda v, _row: f"{v:,.2f}",
}


def _cells(board: Leaderboard, row: Row) -> list[str]:
    return [format_cell(board, row, c) for c in board.columns()]


# ----------------------------------------------------------------------------- writers


@WRITERS.register("md")
def write_markdown(boards: list[Leaderboard]) -> str:
    """A ``## <task>`` heading per task, a pipe table, then the notes as a bullet list."""

    def esc(text: str) -> str:
        text = re.sub(r"([\\|*`])", r"\\\1", text.replace("\n", " "))
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    out = ["# distillbench leaderboard", ""]
    for board in boards:
        cols = board.columns()
        out += [f"## {esc(board.title)}", ""]
        if board.summary.get("text"):
            out += [f"**Summary:** {esc(board.summary['text'])}", ""]
        out.append("| " + " | ".join(esc(c.header) for c in cols) + " |")
        out.append("|" + "|".join("---:" if c.numeric else ":---" for c in cols) + "|")
        out += ["| " + " | ".join(esc(cell) for cell in _cells(board, row)) + " |" for row in board.rows]
        out += ["", *(f"- {esc(note)}" for note in board.notes), ""]
        out += generations_markdown(board, lambda r, b=board: _row_quality(b, r), esc)
    if not boards:
        out += ["No results.", ""]
    return "\n".join(out)


CSV_FIELDS = (
    "task",
    "task_version",
    "role",
    "model",
    "method",
    "model_spec",
    "metric",
    "higher_is_better",
    "mean",
    "std",
    "n",
    "seeds",
    "delta",
    "delta_ci95_lo",
    "delta_ci95_hi",
    "p_value",
    "verdict",
    "params",
    "mflops_per_sample",
    "weights_mb",
    "throughput",
    "throughput_unit",
    "speedup",
    "speedup_ci95_lo",
    "speedup_ci95_hi",
    "speed_source",
    "latency_p50_ms",
    "peak_memory_mb",
    "peak_memory_source",
    "outputs_per_sample",
    "output_unit",
    "output_rate",
    "achieved_flops_per_s",
    "peak_share",
    "energy_j_per_1000_samples",
    "energy_status",
    "selection",
    "quality_kept_pct",
    "summary",
)


@WRITERS.register("csv")
def write_csv(boards: list[Leaderboard]) -> str:
    """All tasks in one table of raw numbers (fractions, not percent); secondary metrics as ``quality.<m>``.

    Each task starts with a ``role = summary`` row: the best student (model, method, mean, speed-up with
    its CI), ``quality_kept_pct`` and the whole summary sentence in ``summary``.
    """
    secondary = sorted({m for b in boards for m in b.secondary})
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=[*CSV_FIELDS, *(f"quality.{m}" for m in secondary)], lineterminator="\n")
    writer.writeheader()
    for board in boards:
        s = board.summary
        if s:
            summary: dict[str, Any] = {
                "task": board.task,
                "task_version": board.task_version,
                "role": "summary",
                "model": s.get("best_student"),
                "method": s.get("best_method"),
                "metric": board.primary_metric,
                "higher_is_better": board.higher_is_better,
                "mean": s.get("best_quality"),
                "speedup": s.get("speedup"),
                **_pair("speedup_ci95", s.get("speedup_ci95")),
                "quality_kept_pct": s.get("quality_kept_pct"),
                "summary": s.get("text"),
            }
            writer.writerow({k: "" if v is None else v for k, v in summary.items()})
        for row in board.rows:
            raw: dict[str, Any] = {
                "task": board.task,
                "task_version": board.task_version,
                "role": row.role,
                "model": row.model,
                "method": row.method,
                "model_spec": row.model_spec,
                "metric": board.primary_metric,
                "higher_is_better": board.higher_is_better,
                "mean": row.mean,
                "std": row.std,
                "n": row.n,
                "seeds": " ".join(map(str, row.seeds)),
                "delta": row.delta,
                **_pair("delta_ci95", row.delta_ci95),
                "p_value": row.p_value,
                "verdict": row.verdict,
                "params": row.params,
                "mflops_per_sample": row.mflops,
                "weights_mb": row.weights_mb,
                "throughput": row.throughput,
                "throughput_unit": row.throughput_unit,
                "speedup": row.speedup,
                **_pair("speedup_ci95", row.speedup_ci95),
                "speed_source": row.speed_source,
                "latency_p50_ms": row.latency_p50_ms,
                "peak_memory_mb": row.peak_memory_mb,
                "peak_memory_source": row.peak_memory_source,
                "outputs_per_sample": row.outputs_per_sample,
                "output_unit": row.output_unit,
                "output_rate": row.output_rate,
                "achieved_flops_per_s": row.achieved_flops_per_s,
                "peak_share": row.peak_share,
                "energy_j_per_1000_samples": row.energy_j_per_1000,
                "energy_status": row.hardware_status.get("energy_j_per_1000"),
                "selection": row.selection,
                **{f"quality.{m}": v for m, v in row.secondary.items()},
            }
            writer.writerow({k: "" if v is None else v for k, v in raw.items()})
    return buf.getvalue()


def _pair(name: str, interval: list[float] | None) -> dict[str, float | None]:
    lo, hi = interval if interval else (None, None)
    return {f"{name}_lo": lo, f"{name}_hi": hi}


_LATEX = {
    "\\": r"\textbackslash{}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    **{c: "\\" + c for c in "_%&#${}"},
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
    "±": r"$\pm$",
    "Δ": r"$\Delta$",
    "↑": r"$\uparrow$",
    "↓": r"$\downarrow$",
    "—": "---",
    "†": r"\textdagger{}",
    "\n": " ",
}


def latex_escape(text: str) -> str:
    """Escape LaTeX specials (``_ % & # $ { } ~ ^ \\``) and map the few symbols the reports use."""
    return "".join(_LATEX.get(ch, ch) for ch in text)


def _latex_summary(board: Leaderboard) -> list[str]:
    text = board.summary.get("text")
    return [rf"\emph{{Summary: {latex_escape(text)}.}}\par\smallskip"] if text else []


@WRITERS.register("tex")
def write_latex(boards: list[Leaderboard]) -> str:
    """One booktabs table per task; the best student value per quality column in bold."""
    out = ["% distillbench leaderboard; needs \\usepackage{booktabs}", ""]
    for board in boards:
        cols = board.columns()
        best = {c.key: board.best(c.metric) for c in cols if c.kind in ("quality", "metric") and c.metric}
        slug = re.sub(r"[^A-Za-z0-9]+", "-", board.title).strip("-").lower()
        out += [
            r"\begin{table}[ht]",
            r"\centering",
            rf"\caption{{distillbench leaderboard: {latex_escape(board.title)}}}",
            rf"\label{{tab:distillbench-{slug}}}",
            *_latex_summary(board),
            r"\begin{tabular}{" + "".join("r" if c.numeric else "l" for c in cols) + "}",
            r"\toprule",
            " & ".join(latex_escape(c.header) for c in cols) + r" \\",
            r"\midrule",
        ]
        for i, row in enumerate(board.rows):
            if i and row.role != "teacher" and board.rows[i - 1].role == "teacher":
                out.append(r"\midrule")
            cells = []
            for col, text in zip(cols, _cells(board, row), strict=True):
                cell = latex_escape(text)
                value = row.value(col)
                if row.role == "student" and best.get(col.key) is not None and value == best[col.key]:
                    cell = rf"\textbf{{{cell}}}"
                cells.append(cell)
            out.append(" & ".join(cells) + r" \\")
        out += [r"\bottomrule", r"\end{tabular}"]
        if board.notes:
            out.append(r"\par\smallskip\footnotesize " + "; ".join(latex_escape(n) for n in board.notes) + ".")
        out += [r"\end{table}", ""]
    return "\n".join(out)


# the HTML page (sortable tables, inline plots, environments) lives in report/html.py
WRITERS.register("html")(write_html)


JSON_SCHEMA = "distillbench.leaderboard/2"


@WRITERS.register("json")
def write_json(boards: list[Leaderboard]) -> str:
    """The table model as JSON (raw numbers; NaN and infinities written as null)."""
    data = {"schema": JSON_SCHEMA, "leaderboards": [json_safe(b.to_dict()) for b in boards]}
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def parse_json(text: str) -> list[Leaderboard]:
    """Read leaderboards back from :func:`write_json` output."""
    return [Leaderboard.from_dict(b) for b in json.loads(text)["leaderboards"]]


def json_safe(obj: Any) -> Any:
    """``obj`` with every non-finite float replaced by None (JSON has no NaN or infinity)."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    return obj


# ----------------------------------------------------------------------------- entry points


def render(boards: list[Leaderboard], fmt: str) -> str:
    """The report in format ``fmt`` (a WRITERS name; unknown names raise UnknownNameError)."""
    writer: Writer = WRITERS.get(fmt)
    return writer(boards)


def write_reports(boards: list[Leaderboard], out_dir: str | Path, formats: Iterable[str]) -> list[Path]:
    """Write ``leaderboard.<ext>`` per format into ``out_dir`` (atomically); returns the paths written.

    Every format name is checked before anything is written.
    """
    writers = {fmt: WRITERS.get(fmt) for fmt in dict.fromkeys(formats)}
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt, writer in writers.items():
        path = out / f"{REPORT_STEM}.{getattr(writer, 'extension', fmt)}"
        _write_atomic(path, writer(boards))
        paths.append(path)
    return paths


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o644)  # mkstemp creates 0600; reports are meant to be shared
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
