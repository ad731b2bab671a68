"""Plots per task, from the leaderboard model: quality vs throughput (Pareto front marked) and quality
vs parameters, as PNG and SVG (matplotlib, Agg backend — no display needed).

Each point is one row (teacher, or student x method), at its mean over seeds, with the sample std
as an error bar; every row of one architecture sits at that architecture's one throughput. A KD row
whose Δ vs ``no_kd`` is significant (Welch's t-test, p < alpha) is coloured (green better, orange
worse) and its label ends in ``*``; the legend says so. The Pareto front is the set of rows that no
other row beats on both quality and throughput (direction of the quality metric taken from ``higher_is_better``).
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from distillbench.errors import MissingDependencyError
from distillbench.report.rows import Leaderboard, Row
from distillbench.stats import BETTER, WORSE

PLOT_KINDS = ("quality-vs-throughput", "quality-vs-params")


def pareto_front(points: list[tuple[float, float]], higher_quality_is_better: bool = True) -> list[int]:
    """Indices of the (quality, throughput) points no other point dominates (better or equal on both, better on one)."""
    sign = 1.0 if higher_quality_is_better else -1.0
    front = []
    for i, (q, t) in enumerate(points):
        dominated = any(
            (sign * q2 >= sign * q and t2 >= t) and (sign * q2 > sign * q or t2 > t)
            for j, (q2, t2) in enumerate(points)
            if j != i
        )
        if not dominated:
            front.append(i)
    return front


def _pyplot():  # type: ignore[no-untyped-def]
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise MissingDependencyError("plots need matplotlib: pip install 'distillbench[plots]'") from None
    plt.rcParams["svg.hashsalt"] = "distillbench"  # deterministic SVG ids
    return plt


_COLOURS = {BETTER: "#2ca02c", WORSE: "#ff7f0e"}


def _label(row: Row) -> str:
    if row.role == "teacher":
        return row.model
    return f"{row.model} / {row.method_label}" + (" *" if row.verdict in _COLOURS else "")


def figure(board: Leaderboard, kind: str):  # type: ignore[no-untyped-def]
    """One matplotlib figure of ``kind`` (one of :data:`PLOT_KINDS`) for ``board``."""
    plt = _pyplot()
    xkey = "throughput" if kind == "quality-vs-throughput" else "params"
    rows = [r for r in board.rows if r.mean is not None and getattr(r, xkey)]
    scale = board.scale(board.primary_metric)
    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=100)
    xs = [float(getattr(r, xkey)) for r in rows]
    ys = [float(r.mean) * scale for r in rows]  # type: ignore[arg-type]
    errs = [float(r.std or 0.0) * scale for r in rows]
    for r, x, y, e in zip(rows, xs, ys, errs, strict=True):
        teacher = r.role == "teacher"
        colour = "#444" if teacher else _COLOURS.get(r.verdict or "", "#1f77b4")
        ax.errorbar(x, y, yerr=e or None, fmt="s" if teacher else "o", color=colour, ms=7, capsize=3)
        ax.annotate(_label(r), (x, y), textcoords="offset points", xytext=(5, 4), fontsize=7)
    if kind == "quality-vs-throughput" and rows:
        front = sorted(pareto_front(list(zip(ys, xs, strict=True)), board.higher_is_better), key=lambda i: xs[i])
        ax.plot([xs[i] for i in front], [ys[i] for i in front], "--", color="#d62728", lw=1.2, label="Pareto front")
        ax.scatter([xs[i] for i in front], [ys[i] for i in front], s=140, facecolors="none", edgecolors="#d62728")
        unit = "/".join(sorted({r.throughput_unit for r in rows if r.throughput_unit})) or "samples/s"
        ax.set_xlabel(f"throughput ({unit}, log scale)")
    else:
        ax.set_xlabel("parameters (log scale)")
    for verdict, colour in _COLOURS.items():
        if any(r.verdict == verdict for r in rows):
            ax.plot([], [], "o", color=colour, label=f"* {verdict} than no_kd (Welch p < {board.alpha:g})")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="best", fontsize=7)
    if xs:
        ax.set_xscale("log")
    ax.set_ylabel(board.metric_label(board.primary_metric))
    ax.set_title(f"{board.title}: {board.primary_metric} vs {xkey}", fontsize=10)
    ax.grid(True, alpha=0.3)
    if not rows:
        ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)
    fig.tight_layout()
    return fig


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "task"


def write_plots(
    boards: list[Leaderboard], out_dir: str | Path, formats: tuple[str, ...] = ("png", "svg")
) -> list[Path]:
    """``<out_dir>/<task>-<kind>.<png|svg>`` for every board and plot kind; returns the paths."""
    plt = _pyplot()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for board in boards:
        for kind in PLOT_KINDS:
            fig = figure(board, kind)
            try:
                for fmt in formats:
                    path = out / f"{slug(board.title)}-{kind}.{fmt}"
                    fig.savefig(path, format=fmt, metadata=_metadata(fmt))
                    paths.append(path)
            finally:
                plt.close(fig)
    return paths


def inline_svg(board: Leaderboard, kind: str) -> str:
    """The plot as an ``<svg>`` element for embedding in HTML: no XML prolog, DOCTYPE, metadata or URLs."""
    plt = _pyplot()
    fig = figure(board, kind)
    try:
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata=_metadata("svg"))
    finally:
        plt.close(fig)
    text = buf.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)
    text = re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", text)
    return text.replace("xlink:href", "href").strip()


def _metadata(fmt: str) -> dict[str, str | None]:
    if fmt == "svg":
        return {"Date": None, "Creator": "distillbench"}
    if fmt == "png":
        return {"Software": "distillbench"}
    return {}
