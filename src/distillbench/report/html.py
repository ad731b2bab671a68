"""The HTML leaderboard: one static, self-contained page (no external assets, no network).

Per task: the leaderboard table (click a header to sort; numeric columns sort by the raw number in
each cell's ``data-value``), the plots as inline SVG (when matplotlib is installed), the
environment of each run (git sha, torch, device, CPU/GPU, precision, threads) and the notes.
Every text that comes from results (model names included) is HTML-escaped.
"""

from __future__ import annotations

import html
import logging
import math

from distillbench.report.rows import Column, Leaderboard, Row

log = logging.getLogger(__name__)

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.92em; }
th, td { padding: 0.3em 0.7em; border-bottom: 1px solid #ddd; text-align: left; white-space: nowrap; }
th { border-bottom: 2px solid #444; }
section.board > table th { cursor: pointer; user-select: none; }
section.board > table th[aria-sort="ascending"]::after { content: " ▲"; }
section.board > table th[aria-sort="descending"]::after { content: " ▼"; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.teacher { background: #f4f4f4; }
tr.reference { color: #666; font-style: italic; }
tr.compression { color: #355; background: #f3f8f7; }
p.summary { background: #eef4fb; padding: 0.5em 0.8em; border-left: 3px solid #1f77b4; }
ul.notes { color: #555; font-size: 0.88em; }
table.env { font-size: 0.8em; color: #444; }
div.plots { display: flex; flex-wrap: wrap; gap: 1em; }
div.plots figure { margin: 0; max-width: 640px; }
div.plots svg { width: 100%; height: auto; }
""".strip()

# Click a header: sort that table's rows by the column (numbers by data-value; missing values, shown
# as an em dash, last);
# a second click reverses the order.
_SCRIPT = """
document.querySelectorAll("section.board > table").forEach(function (table) {
  table.querySelectorAll("thead th").forEach(function (th, col) {
    th.addEventListener("click", function () {
      var asc = th.getAttribute("aria-sort") !== "ascending";
      table.querySelectorAll("thead th").forEach(function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", asc ? "ascending" : "descending");
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      var numeric = th.classList.contains("num");
      function key(tr) {
        var td = tr.cells[col];
        if (!numeric) { return td.textContent === "\u2014" ? null : td.textContent; }
        var v = td.getAttribute("data-value");
        return v === null || v === "" ? null : parseFloat(v);
      }
      rows.sort(function (a, b) {
        var x = key(a), y = key(b);
        if (x === null || y === null) { return (x === null) - (y === null); }
        var c = numeric ? x - y : String(x).localeCompare(String(y));
        return asc ? c : -c;
      });
      rows.forEach(function (tr) { body.appendChild(tr); });
    });
  });
});
""".strip()

_ENV_HEADERS = (
    ("git_sha", "git"),
    ("torch", "torch"),
    ("device", "device"),
    ("device_name", "device name"),
    ("cpu", "CPU"),
    ("gpu", "GPU"),
    ("precision", "precision"),
    ("threads", "threads"),
    ("python", "python"),
    ("jobs", "jobs"),
    ("first", "first result"),
    ("last", "last result"),
)


def _data_value(row: Row, col: Column) -> str:
    value = row.value(col)
    if not col.numeric or value is None or isinstance(value, (str, list)):
        return ""
    return f' data-value="{float(value)!r}"' if math.isfinite(float(value)) else ""


def _plots(board: Leaderboard) -> list[str]:
    try:
        from distillbench.report.plots import PLOT_KINDS, inline_svg

        svgs = [(kind, inline_svg(board, kind)) for kind in PLOT_KINDS]
    except ImportError as exc:  # matplotlib missing: the page still works, without plots
        log.info("no plots in the HTML page: %s", exc)
        return []
    out = ['<div class="plots">']
    for kind, svg in svgs:
        caption = html.escape(f"{board.title}: {kind.replace('-', ' ')}")
        out.append(f'<figure data-plot="{html.escape(kind)}">{svg}<figcaption>{caption}</figcaption></figure>')
    return [*out, "</div>"]


def _environments(board: Leaderboard) -> list[str]:
    if not board.environments:
        return []
    esc = html.escape
    cols = [(k, h) for k, h in _ENV_HEADERS if any(e.get(k) not in (None, "") for e in board.environments)]
    out = ["<h3>Environment of each run</h3>", '<table class="env">', "<thead><tr>"]
    out += [f"<th>{esc(h)}</th>" for _, h in cols]
    out += ["</tr></thead>", "<tbody>"]
    for env in board.environments:
        out.append("<tr>" + "".join(f"<td>{esc(str(env.get(k) or '—'))}</td>" for k, _ in cols) + "</tr>")
    return [*out, "</tbody>", "</table>"]


def write_html(boards: list[Leaderboard], plots: bool = True) -> str:
    """One self-contained page: sortable tables, inline SVG plots, environments and notes; all text escaped."""
    from distillbench.report.writers import format_cell

    esc = html.escape
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        '<head><meta charset="utf-8"><title>distillbench leaderboard</title>',
        f"<style>\n{_STYLE}\n</style></head>",
        "<body>",
        "<h1>distillbench leaderboard</h1>",
    ]
    for board in boards:
        cols = board.columns()

        def cls(col: Column) -> str:
            return ' class="num"' if col.numeric else ""

        out += [f'<section class="board" data-task="{esc(board.task)}">\n<h2>{esc(board.title)}</h2>']
        if board.summary.get("text"):
            out.append(f'<p class="summary"><strong>Summary:</strong> {esc(board.summary["text"])}</p>')
        out.append("<table>")
        out += ["<thead><tr>", *(f'<th{cls(c)} data-key="{esc(c.key)}">{esc(c.header)}</th>' for c in cols)]
        out += ["</tr></thead>", "<tbody>"]
        for row in board.rows:
            cells = "".join(f"<td{cls(c)}{_data_value(row, c)}>{esc(format_cell(board, row, c))}</td>" for c in cols)
            out.append(f'<tr class="{esc(row.role)}">{cells}</tr>')
        out += ["</tbody>", "</table>"]
        if plots:
            out += _plots(board)
        out += _environments(board)
        if board.notes:
            out += ['<ul class="notes">', *(f"<li>{esc(n)}</li>" for n in board.notes), "</ul>"]
        out.append("</section>")
    if not boards:
        out.append("<p>No results.</p>")
    out += [f'<script type="text/javascript">\n{_SCRIPT}\n</script>', "</body>", "</html>", ""]
    return "\n".join(out)
