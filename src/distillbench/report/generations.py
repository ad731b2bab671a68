"""The born_again generations table (Furlanello et al. 2018): each generation against the one it learned from.

Built from a board's ``<method>/gen<k>`` and ``<method>/ensemble`` rows (methods/born_again.py), per student:
the primary metric per generation (mean ± std over seeds), and the difference to the previous generation
(the ensemble: to the last generation) with the 95% CI and p of Welch's t-test over seeds
(:func:`distillbench.stats.welch_difference`) and the verdict at the board's alpha. Boards without such rows
get no table, so every other leaderboard renders as before.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from distillbench.report.rows import Leaderboard, Row
from distillbench.stats import difference_verdict, format_p, welch_difference

_GEN = re.compile(r"^(?P<method>[^/]+)/gen(?P<k>\d+)$")
ENSEMBLE = "ensemble"


@dataclass
class GenerationLine:
    """One row of the table: a generation (or the ensemble) of one student, and its step from the previous one."""

    model: str
    label: str  # gen0, gen1, ..., ensemble
    row: Row
    previous: str | None = None
    delta: float | None = None
    ci95: tuple[float, float] | None = None
    p_value: float | None = None
    verdict: str | None = None


def generation_lines(board: Leaderboard) -> list[GenerationLine]:
    """The table's lines in order: per student, gen0..genN then the ensemble; empty without generations."""
    by_model: dict[tuple[str, str], dict[int, Row]] = {}
    ensembles: dict[tuple[str, str], Row] = {}
    for row in board.rows:
        if row.role != "student" or not row.method:
            continue
        m = _GEN.match(row.method)
        if m:
            by_model.setdefault((row.model, m["method"]), {})[int(m["k"])] = row
        elif row.method.endswith(f"/{ENSEMBLE}"):
            ensembles[(row.model, row.method.split("/")[0])] = row
    lines: list[GenerationLine] = []
    for key in sorted(by_model):
        gens = by_model[key]
        previous: GenerationLine | None = None
        chain = [(f"gen{k}", gens[k]) for k in sorted(gens)]
        if key in ensembles:
            chain.append((ENSEMBLE, ensembles[key]))
        for label, row in chain:
            line = GenerationLine(model=key[0], label=label, row=row)
            if previous is not None and row.values and previous.row.values:
                diff = welch_difference(previous.row.values, row.values)
                line.previous, line.delta, line.p_value = previous.label, diff.delta, diff.p_value
                line.ci95 = diff.ci95
                line.verdict = difference_verdict(diff, board.higher_is_better, board.alpha)
            lines.append(line)
            previous = line
    return lines


def generations_markdown(board: Leaderboard, quality: Callable[[Row], str], esc: Callable[[str], str]) -> list[str]:
    """Markdown lines of the table (a ``###`` heading, a pipe table, a note); none when the board has no generations.

    ``quality(row)`` formats a row's mean ± std (n); ``esc`` escapes cell text.
    """
    lines = generation_lines(board)
    if not lines:
        return []
    scale = board.scale(board.primary_metric)
    out = [
        "### born_again generations",
        "",
        f"| student | generation | {esc(board.primary_metric)} | vs | Δ | 95% CI | p | verdict |",
        "|:---|:---|---:|:---|---:|---:|---:|:---|",
    ]
    for g in lines:
        delta = f"{g.delta * scale:+.2f}" if g.delta is not None else "—"
        ci = f"[{g.ci95[0] * scale:+.2f}, {g.ci95[1] * scale:+.2f}]" if g.ci95 else "—"
        p = format_p(g.p_value) if g.p_value is not None else "—"
        cells = [g.model, g.label, quality(g.row), g.previous or "—", delta, ci, p, g.verdict or "—"]
        out.append("| " + " | ".join(esc(c) for c in cells) + " |")
    out += [
        "",
        f"- each generation against the one it learned from (the ensemble: against the last generation); Δ, CI and "
        f"p as in the table above (Welch's t-test over seeds, alpha {board.alpha:g}); generation 0 is the student "
        "trained alone. The ensemble averages the predicted distributions of generations 1..N: it runs N students, "
        "so its speed and latency columns above (one student's, from the speed job) understate its cost N-fold",
        "",
    ]
    return out
