"""The Python API behind ``distillbench.run``: suites and cards as names, files, dicts or dataclasses in,
results and leaderboard as pandas DataFrames out.

Jobs run in fresh processes, which read suites and cards from files, so a suite or card given as a dict or a
dataclass is validated here and written as YAML under ``<run dir>/config/`` (beside the results it produced,
which is also where to look to see what ran). Components (models, methods, data sources) must be importable by
the job processes: from distillbench, an installed plugin, a folder passed as ``include_path``, a module you
imported, or the script you run (spawned processes re-run it, so guard the run with
``if __name__ == "__main__":``). Components typed into an interactive session or a notebook are refused
before any job starts, unless ``isolate=False`` runs the jobs in the calling process (docs/api.md).
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from distillbench.config import SuiteConfig, TaskCard, from_dict, to_plain
from distillbench.errors import ConfigError
from distillbench.plugins import add_include_paths
from distillbench.runner import run_dir_for, run_suite

if TYPE_CHECKING:
    import pandas as pd

SuiteLike = str | Path | dict[str, Any] | SuiteConfig
CardLike = str | Path | dict[str, Any] | TaskCard


@dataclass
class RunOutput:
    """What :func:`run` returns."""

    #: one row per job of the suite (the latest record of each), nested fields flattened: ``quality.accuracy``
    results: pd.DataFrame
    #: the leaderboard's rows (teacher, then each student x method) with the columns of ``leaderboard.csv``
    leaderboard: pd.DataFrame
    #: one row per task: the best student, its speed-up and the summary sentence
    summary: pd.DataFrame
    run_dir: Path
    failed: int


def run(
    suite: SuiteLike | None = None,
    *,
    card: CardLike | None = None,
    methods: list[str] | None = None,
    students: list[str] | None = None,
    include_path: Iterable[str | Path] = (),
    out_dir: str | Path = "runs",
    smoke: bool = False,
    **options: Any,
) -> RunOutput:
    """Run a suite, or one task card, and return its results and leaderboard as DataFrames.

    ``suite``: a name (``benchmarks/<name>.yaml``, an include dir's or a plugin's), a path, a dict of the suite
    YAML's keys or a :class:`~distillbench.config.SuiteConfig`; its tasks' ``card`` may itself be a name, a dict
    or a :class:`~distillbench.config.TaskCard`. Default: the ``default`` suite. ``card`` instead runs one card
    (same forms) as a suite of its own, ``card-<name>``, restricted to ``methods`` and ``students`` when given.
    ``include_path``: folders of component modules, cards and suites (``--include-path``). ``options`` are
    :func:`distillbench.runner.run_suite`'s: ``seeds``, ``device``, ``precision``, ``cache_dir``, ``executor``,
    ``formats`` and the rest; ``isolate`` defaults to None here: a fresh process per job unless the suite uses a
    component defined in this session (a notebook), which job processes cannot import; then the jobs run in this
    process and a warning says so.
    """
    add_include_paths(include_path)
    target = suite_file(suite, card, methods, students, out_dir, smoke)
    options.setdefault("isolate", None)  # a fresh process per job, unless a component lives only in this session
    summary = run_suite(target, out_dir=out_dir, smoke=smoke, **options)
    records = [r.to_dict() for r in summary.results]
    board, best = leaderboard_frames(records)
    return RunOutput(
        results=_flat(records), leaderboard=board, summary=best, run_dir=summary.out_dir, failed=summary.failed
    )


def load_results(path: str | Path) -> pd.DataFrame:
    """A run directory or results JSONL file as one flat row per record."""
    from distillbench.results import load_results_frame

    return load_results_frame(path)


def load_leaderboard(path: str | Path) -> pd.DataFrame:
    """The leaderboard rows of a run directory or results JSONL file (as :attr:`RunOutput.leaderboard`)."""
    from distillbench.results import read_results

    return leaderboard_frames(read_results(path, warn=False).records)[0]


def leaderboard_frames(records: list[dict[str, Any]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(rows, summaries)`` of the leaderboard of ``records``: the CSV writer's table, split by role."""
    import pandas as pd

    from distillbench.report import build_leaderboards
    from distillbench.report.writers import render

    if not records:
        return pd.DataFrame(), pd.DataFrame()
    table = pd.read_csv(io.StringIO(render(build_leaderboards(records), "csv")))
    table["method"] = table["method"].fillna("")  # the teacher's row has none
    is_summary = table["role"] == "summary"
    rows, summaries = (table[keep].reset_index(drop=True).convert_dtypes() for keep in (~is_summary, is_summary))
    return rows, summaries  # convert_dtypes: counts as integers, missing values as <NA>


def _flat(records: list[dict[str, Any]]) -> pd.DataFrame:
    import pandas as pd

    return pd.json_normalize(records, sep=".") if records else pd.DataFrame()


# --------------------------------------------------------------------------- suites and cards given as data


def suite_file(
    suite: SuiteLike | None,
    card: CardLike | None,
    methods: list[str] | None,
    students: list[str] | None,
    out_dir: str | Path,
    smoke: bool,
) -> str:
    """A suite name or path the runner can load: given ones as they are, data written as YAML."""
    if card is not None:
        if suite is not None:
            raise ConfigError("distillbench.run: pass a suite or a card, not both")
        name = _card(card).name if not isinstance(card, (str, Path)) else Path(card).stem
        # "card-<name>": its own run directory, never a suite's of the same name
        suite = {"name": f"card-{name}", "tasks": [{"card": card, "methods": methods, "students": students}]}
    elif methods is not None or students is not None:
        raise ConfigError("distillbench.run: methods= and students= go with card=; a suite lists them per task")
    if suite is None:
        return "default"
    if isinstance(suite, (str, Path)):
        return str(suite)
    plain = to_plain(suite) if dataclasses.is_dataclass(suite) else dict(suite)
    if not isinstance(plain.get("name"), str) or not isinstance(plain.get("tasks"), list):
        raise ConfigError("distillbench.run: a suite given as data needs a 'name' and a list of 'tasks'")
    config_dir = run_dir_for(out_dir, plain["name"], smoke) / "config"
    tasks = []
    for entry in plain["tasks"]:
        entry = {k: v for k, v in dict(entry).items() if v is not None}
        if not isinstance(entry.get("card"), (str, Path)):
            c = _card(entry.get("card"))
            entry["card"] = str(_write(config_dir / "tasks" / f"{c.name}.yaml", to_plain(c)))
        tasks.append({**entry, "card": str(entry["card"])})
    cfg = from_dict(SuiteConfig, {**plain, "tasks": tasks}, where="suite given to distillbench.run")
    return str(_write(config_dir / f"{cfg.name}.yaml", to_plain(cfg)))


def _card(card: Any) -> TaskCard:
    """A TaskCard from a TaskCard or a dict (validated: unknown keys and bad values are ConfigErrors)."""
    if isinstance(card, TaskCard):
        if card.teacher.checkpoint and card.path and not Path(card.teacher.checkpoint).is_absolute():
            checkpoint = str(Path(card.path).resolve().parent / card.teacher.checkpoint)  # relative to its file
            card = dataclasses.replace(card, teacher=dataclasses.replace(card.teacher, checkpoint=checkpoint))
        return card
    if isinstance(card, dict):
        return from_dict(TaskCard, card, where="task card given to distillbench.run")
    raise ConfigError(f"distillbench.run: a card is a name, a path, a dict or a TaskCard, got {type(card).__name__}")


def _write(path: Path, data: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path
