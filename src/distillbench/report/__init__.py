"""Reports: result records -> one leaderboard per task -> Markdown, CSV, LaTeX, HTML or JSON.

::

    from distillbench.report import build_leaderboards, write_reports
    from distillbench.results import read_results

    boards = build_leaderboards(read_results("runs/default").records)
    write_reports(boards, "runs/default/report", ["md", "csv", "html"])
"""

from __future__ import annotations

from distillbench.report.rows import Column, Leaderboard, Row, is_fraction_metric
from distillbench.report.speed import architecture_speeds
from distillbench.report.table import build_leaderboards
from distillbench.report.writers import format_cell, latex_escape, parse_json, render, write_reports

__all__ = [
    "Column",
    "Leaderboard",
    "Row",
    "architecture_speeds",
    "build_leaderboards",
    "format_cell",
    "is_fraction_metric",
    "latex_escape",
    "parse_json",
    "render",
    "write_reports",
]
