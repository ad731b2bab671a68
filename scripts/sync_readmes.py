"""Regenerate every generated block of the READMEs and the docs, or check them.

Every figure a README or a docs page shows about a committed run comes from that run's ``results.jsonl``
through distillbench's own report code (:func:`distillbench.report.build_leaderboards`), never from a copy:

- ``results/<run>/README.md``: the leaderboard tables between ``<!-- generated:leaderboard -->`` and
  ``<!-- /generated:leaderboard -->`` (the Markdown leaderboard of the run's records; the records are in the
  README's folder or in its one subfolder that holds a ``results.jsonl``);
- ``README.md``: between ``<!-- generated:results -->`` and ``<!-- /generated:results -->``, per task of each
  committed run its summary line and a link to the run;
- ``docs/results.md``: between the same markers, per committed run its folder, and per task its summary line
  and every KD method's Δ, Welch p-value and verdict against the same student trained alone.

- ``results/<run>/README.md``, where it has ``<!-- generated:job-times -->`` and its end marker: each method's
  job wall times (``scripts/job_wall_times.py``);
- ``README.md`` and ``docs/results.md``: between ``<!-- generated:default-time -->`` and its end marker, the
  default suite's end-to-end wall time, read from the committed timed run (``results/cpu-2core-default/``: GNU
  ``time``'s "Elapsed" line in its ``stderr.log`` and the setup time in its ``times.txt``) and each task's share
  from the ``wall_s`` of its jobs in that run's records.

The reference blocks of ``docs/cli.md`` and ``docs/methods.md`` are written from the code (the command tree
and the method registry) by ``scripts/docs_reference.py``, and kept here with the others.

Rendering the records (not copying ``leaderboard.md``) is the choice that cannot drift: ``--check`` also
renders every committed ``leaderboard.{md,csv,tex,html,json}`` under ``results/`` from its records and fails
when one differs, so READMEs, docs, leaderboard files and records agree with each other and with the code.

::

    python scripts/sync_readmes.py           # rewrite the generated blocks in place
    python scripts/sync_readmes.py --check   # exit 1 with a unified diff when anything is out of date
"""

from __future__ import annotations

import argparse
import difflib
import importlib.util
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType

from distillbench.report import Leaderboard, build_leaderboards, format_cell, render
from distillbench.report.rows import BASELINE_METHOD, Column
from distillbench.results import read_results
from distillbench.stats import ALPHA, format_p

ROOT = Path(__file__).resolve().parents[1]
#: the docs page with the full results block (the project README has the brief one)
DOCS_RESULTS = Path("docs/results.md")
RESULTS_FILE = "results.jsonl"
#: the leaderboard formats whose committed files must equal what the report code makes of the records
FORMATS = ("md", "csv", "tex", "html", "json")
#: at most this many diff lines per out-of-date file
MAX_DIFF_LINES = 120


class SyncError(Exception):
    """A README cannot be synchronised (missing or duplicated markers, ambiguous records)."""


@dataclass(frozen=True)
class Markers:
    """The opening and closing HTML comments around one generated block."""

    start: str
    end: str


LEADERBOARD = Markers("<!-- generated:leaderboard -->", "<!-- /generated:leaderboard -->")
RESULTS = Markers("<!-- generated:results -->", "<!-- /generated:results -->")
JOB_TIMES = Markers("<!-- generated:job-times -->", "<!-- /generated:job-times -->")
DEFAULT_TIME = Markers("<!-- generated:default-time -->", "<!-- /generated:default-time -->")
#: the committed end-to-end run of the default suite from a fresh clone with an empty cache
DEFAULT_RUN = Path("results/cpu-2core-default")


@dataclass(frozen=True)
class Problem:
    """One out-of-date file: its path, what is wrong and how to fix it, and a unified diff."""

    path: Path
    message: str
    diff: str = ""

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" + (f"\n{self.diff}" if self.diff else "")


def _sibling(name: str) -> ModuleType:
    """A module of this scripts/ folder, imported by path (the folder is not a package)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


docs_reference = _sibling("docs_reference")
job_wall_times = _sibling("job_wall_times")
_esc = docs_reference.esc  # Markdown-safe text, escaped as the Markdown leaderboard escapes it


# ----------------------------------------------------------------------------- records -> boards


def load_boards(run_dir: Path) -> tuple[Leaderboard, ...]:
    """The leaderboards distillbench's report code builds from ``run_dir/results.jsonl`` (built once per file)."""
    stat = (run_dir / RESULTS_FILE).stat()
    return _boards(run_dir.resolve(), stat.st_mtime_ns, stat.st_size)


@cache
def _boards(run_dir: Path, mtime_ns: int, size: int) -> tuple[Leaderboard, ...]:
    del mtime_ns, size  # cache keys only: a rewritten file is read again
    return tuple(build_leaderboards(read_results(run_dir, warn=False).records))


def readme_run_dir(readme_dir: Path) -> Path | None:
    """The run a results README describes: its own folder, or its one subfolder, holding ``results.jsonl``."""
    if (readme_dir / RESULTS_FILE).is_file():
        return readme_dir
    found = sorted(p.parent for p in readme_dir.glob(f"*/{RESULTS_FILE}"))
    if len(found) > 1:
        names = ", ".join(str(p.relative_to(readme_dir)) for p in found)
        raise SyncError(f"{readme_dir / 'README.md'}: several runs below it ({names}); keep one per results folder")
    return found[0] if found else None


def results_readmes(root: Path) -> list[tuple[Path, Path]]:
    """``(README, run folder)`` for every ``results/*/README.md`` that describes a run with records."""
    pairs = []
    for readme in sorted((root / "results").glob("*/README.md")):
        run_dir = readme_run_dir(readme.parent)
        if run_dir is not None:
            pairs.append((readme, run_dir))
    return pairs


# ----------------------------------------------------------------------------- block bodies


def leaderboard_block(readme: Path, run_dir: Path) -> str:
    """The tables of a results README: the run's Markdown leaderboard, one ``###`` section per task."""
    rel = run_dir.relative_to(readme.parent).as_posix()
    prefix = "" if rel == "." else f"{rel}/"
    md = render(list(load_boards(run_dir)), "md")
    lines = md.splitlines()
    if lines and lines[0].startswith("# "):  # the page title: the README has its own
        lines = lines[1:]
    lines = [f"#{line}" if line.startswith(("## ", "### ")) else line for line in lines]  # under the README's own ##
    header = (
        f"*Generated by `scripts/sync_readmes.py` from [`{prefix}{RESULTS_FILE}`]({prefix}{RESULTS_FILE}) with "
        f"distillbench's report code — the same tables as [`{prefix}leaderboard.md`]({prefix}leaderboard.md). "
        "Do not edit by hand.*"
    )
    return "\n".join([header, *lines]).strip()


def verdict_lines(board: Leaderboard) -> list[str]:
    """Per student, every KD method's ``Δ unit, p, verdict`` against the same student trained alone."""
    unit = " pp" if board.scale(board.primary_metric) == 100.0 else ""
    delta_col = Column("delta", "", "delta", board.primary_metric)
    per_model: dict[str, list[str]] = {}
    for row in board.students():
        if row.method == BASELINE_METHOD:
            continue
        if row.delta is None:
            text = f"{row.method_label} (no {BASELINE_METHOD} baseline)"
        else:
            parts = [f"{format_cell(board, row, delta_col)}{unit}"]
            if row.p_value is not None:
                parts.append(format_p(row.p_value))
            parts.append(row.verdict or "no verdict")
            text = f"{row.method_label} " + ", ".join(parts)
        per_model.setdefault(row.model, []).append(_esc(text))
    what = f"Δ {board.primary_metric}, {'higher' if board.higher_is_better else 'lower'} is better"
    return [f"{_esc(model)} vs {BASELINE_METHOD} ({what}): " + "; ".join(items) for model, items in per_model.items()]


def _title(readme: Path) -> str:
    for line in readme.read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return readme.parent.name


def _header() -> list[str]:
    return [
        "*Generated by `scripts/sync_readmes.py` from each run's `results.jsonl` (Welch's t-test over seeds, "
        f'two-sided; "better"/"worse" only when p < {ALPHA:g}). Do not edit by hand.*',
        "",
    ]


def results_block(root: Path) -> str:
    """The project README's brief list: per task of each committed run its summary line and a link to the run."""
    out = _header()
    for readme, run_dir in results_readmes(root):
        folder = readme.parent.relative_to(root).as_posix()
        for board in load_boards(run_dir):
            summary = _esc(board.summary.get("text") or "no summary")
            out.append(f"- **{_esc(board.title)}** ([`{folder}/`]({folder}/)): {summary}")
    return "\n".join(out).strip()


def docs_results_block(root: Path) -> str:
    """docs/results.md's full list: per run its folder and title, per task its summary and every KD verdict.

    Folders outside ``docs/`` are named in code spans, not linked: the docs build (mkdocs, strict) accepts
    links only to pages inside ``docs/``.
    """
    out = _header()
    for readme, run_dir in results_readmes(root):
        folder = readme.parent.relative_to(root).as_posix()
        board_md = (run_dir / "leaderboard.md").relative_to(root).as_posix()
        out.append(f"- `{folder}/`: {_esc(_title(readme))} (leaderboard: `{board_md}`)")
        for board in load_boards(run_dir):
            out.append(f"  - **{_esc(board.title)}**: {_esc(board.summary.get('text') or 'no summary')}")
            out += [f"    - {line}" for line in verdict_lines(board)]
    return "\n".join(out).strip()


def _clock(text: str) -> float:
    """Seconds of GNU time's ``h:mm:ss`` or ``m:ss.ss``."""
    seconds = 0.0
    for part in text.split(":"):
        seconds = seconds * 60 + float(part)
    return seconds


def _minutes(seconds: float) -> str:
    return f"{int(seconds // 60)} min {round(seconds % 60):d} s"


def default_time_block(root: Path) -> str:
    """The default suite's measured end-to-end time (the committed timed run) and each task's share of it."""
    import re

    folder = root / DEFAULT_RUN
    stderr = folder / "stderr.log"
    if not stderr.is_file():
        return "*No end-to-end run of the default suite is committed yet (`results/cpu-2core-default/`).*"
    log = stderr.read_text(encoding="utf-8")
    elapsed = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", log)
    ran = re.search(r"(\d+) job\(s\) run, (\d+) already recorded, (\d+) failed", log)
    setup = re.search(r"setup: (\d+) s", (folder / "times.txt").read_text(encoding="utf-8"))
    if not (elapsed and ran and setup):
        raise SyncError(f"{stderr}: no GNU time 'Elapsed' line, run summary or setup time to read")
    records = read_results(folder / "run" / RESULTS_FILE).records
    tasks: dict[str, float] = {}
    for r in records:
        tasks[r["task"]] = tasks.get(r["task"], 0.0) + float(r.get("wall_s") or 0.0)
    env = records[0]["env"]
    shares = ", ".join(f"{task} {_minutes(s)}" for task, s in tasks.items())
    return (
        "*Generated by `scripts/sync_readmes.py` from {where}. Do not edit by hand.*\n\n"
        f"Timed end to end from a fresh clone with an empty cache on a {env.get('cpu_count') or 2}-core CPU "
        f"({env.get('cpu') or env.get('device_name')}): `bash scripts/setup.sh` took {setup.group(1)} s, then "
        f"`distillbench run` took **{_minutes(_clock(elapsed.group(1)))}** ({ran.group(1)} jobs, {ran.group(3)} "
        f"failed). The jobs' own times in that run, per task: {shares}."
    )


# ----------------------------------------------------------------------------- blocks in files


def replace_block(text: str, markers: Markers, body: str, path: Path) -> str:
    """``text`` with the part between ``markers`` replaced by ``body`` (markers kept, one per line)."""
    starts, ends = text.count(markers.start), text.count(markers.end)
    if starts != 1 or ends != 1:
        raise SyncError(
            f"{path}: expected one {markers.start} ... {markers.end} block, found {starts} start and {ends} end "
            "marker(s); add the two markers, each on its own line, where the generated text belongs"
        )
    head, rest = text.split(markers.start)
    middle, tail = rest.split(markers.end)
    del middle
    return f"{head}{markers.start}\n{body}\n{markers.end}{tail}"


def expected_readmes(root: Path) -> dict[Path, str]:
    """Every README and docs page with generated blocks -> its full text with those blocks up to date."""
    out: dict[Path, str] = {}
    for readme, run_dir in results_readmes(root):
        text = readme.read_text(encoding="utf-8")
        out[readme] = replace_block(text, LEADERBOARD, leaderboard_block(readme, run_dir), readme)
        if JOB_TIMES.start in text:  # opt-in: the wall time of each method's jobs (scripts/job_wall_times.py)
            note = "*Generated by `scripts/sync_readmes.py` (`scripts/job_wall_times.py`) from the run's records.*\n\n"
            table = note + "\n".join(job_wall_times.wall_times(run_dir))
            out[readme] = replace_block(out[readme], JOB_TIMES, table, readme)
    project = root / "README.md"
    out[project] = replace_block(project.read_text(encoding="utf-8"), RESULTS, results_block(root), project)
    page = root / DOCS_RESULTS
    out[page] = replace_block(page.read_text(encoding="utf-8"), RESULTS, docs_results_block(root), page)
    timing = default_time_block(root)
    run = DEFAULT_RUN.as_posix()
    out[project] = replace_block(out[project], DEFAULT_TIME, timing.replace("{where}", f"[`{run}/`]({run}/)"), project)
    out[page] = replace_block(out[page], DEFAULT_TIME, timing.replace("{where}", f"`{run}/`"), page)  # docs: no link
    for rel, (name, write) in docs_reference.PAGES.items():
        path = root / rel
        markers = Markers(f"<!-- generated:{name} -->", f"<!-- /generated:{name} -->")
        out[path] = replace_block(path.read_text(encoding="utf-8"), markers, write(), path)
    return out


def _diff(old: str, new: str, path: Path, root: Path) -> str:
    name = path.relative_to(root).as_posix()
    lines = list(difflib.unified_diff(old.splitlines(), new.splitlines(), f"a/{name}", f"b/{name}", lineterm=""))
    if len(lines) > MAX_DIFF_LINES:
        lines = [*lines[:MAX_DIFF_LINES], f"... ({len(lines) - MAX_DIFF_LINES} more diff lines)"]
    return "\n".join(lines)


def stale_leaderboards(root: Path) -> list[Problem]:
    """Committed ``leaderboard.<fmt>`` files that differ from what the report code makes of their records."""
    problems = []
    for results in sorted((root / "results").rglob(RESULTS_FILE)):
        run_dir = results.parent
        for fmt in FORMATS:
            path = run_dir / f"leaderboard.{fmt}"
            if not path.is_file():
                continue
            new, old = render(list(load_boards(run_dir)), fmt), path.read_text(encoding="utf-8")
            if new != old:
                rel = run_dir.relative_to(root).as_posix()
                message = (
                    f"differs from what the report code makes of {RESULTS_FILE}; regenerate the leaderboards with "
                    f"`distillbench report {rel} --out {rel}` (and its --paper/--plots if the folder has them)"
                )
                problems.append(Problem(path.relative_to(root), message, _diff(old, new, path, root)))
    return problems


def sync(root: Path = ROOT, check: bool = False) -> list[Problem]:
    """Rewrite (or, with ``check``, only compare) every generated block; returns what was or is out of date.

    Stale leaderboard files are reported in both modes and never rewritten here.
    """
    problems = []
    for path, new in expected_readmes(root).items():
        old = path.read_text(encoding="utf-8")
        if old == new:
            continue
        rel = path.relative_to(root)
        message = "generated block out of date" + ("; run `python scripts/sync_readmes.py`" if check else ", rewritten")
        problems.append(Problem(rel, message, _diff(old, new, path, root)))
        if not check:
            path.write_text(new, encoding="utf-8")
    return problems + stale_leaderboards(root)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 with a diff when out of date")
    parser.add_argument("--root", type=Path, default=ROOT, help="the repository root (default: this checkout)")
    args = parser.parse_args(argv)
    try:
        problems = sync(args.root.resolve(), check=args.check)
    except SyncError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for problem in problems:
        print(problem)
    failed = [p for p in problems if args.check or p.path.name.startswith("leaderboard.")]
    if not problems:
        print("generated README blocks and committed leaderboards are up to date with the records")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
