"""``distillbench validate``: check a suite and its task cards without training anything."""

from __future__ import annotations

import glob
from pathlib import Path
from typing import Any

from distillbench.blackbox import check_blackbox_card
from distillbench.config import load_card, load_suite
from distillbench.data.base import build_source
from distillbench.errors import ConfigError
from distillbench.jobs import expand_jobs
from distillbench.methods.base import build_method
from distillbench.models.spec import parse_spec
from distillbench.registry import ARCHITECTURES, MODELS, TASKS
from distillbench.safety import check_card_paths, check_path, option_paths

#: option keys that name where to write, not what to read
OUTPUT_KEYS = frozenset({"cache_dir"})
#: characters that make a data path a glob pattern (as `datasets` accepts in data_files)
GLOB_CHARS = set("*?[")


def validate_suite(name: str, *, plan: bool = True) -> list[str]:
    """Raise ConfigError (or UnknownNameError) on the first problem; return a summary otherwise.

    ``plan=False`` (the runner, which plans the jobs itself right after) leaves out planning the jobs, so a run
    plans them, and announces its shipped teachers, once.
    """
    suite = load_suite(name)
    lines = [f"suite {suite.name} ({suite.path}): seeds {suite.seeds}, {suite.device}, {suite.precision}"]
    for entry in suite.tasks:
        if entry.card.endswith((".yaml", ".yml")) or "/" in entry.card:
            check_path(entry.card, where=f"{suite.path}: tasks.card", config_file=suite.path)
        card = load_card(entry.card)
        check_card_paths(card)
        check_local_files(card)
        check_blackbox_card(card)  # a black-box teacher: only methods that use its generated targets
        TASKS.get(card.task)
        build_source(card.data.source, card.data.options, where=f"{card.path} data.options")
        for model in (card.teacher, *card.students):
            spec = parse_spec(model.model)
            MODELS.get(spec.scheme)
            if spec.scheme == "local":
                ARCHITECTURES.get(spec.name)
            if spec.scheme == "timm" and "in_chans" in spec.kwargs:
                check_in_channels(card, model.name, spec.kwargs["in_chans"])
        selected = entry.methods or list(card.methods)  # features are checked for the methods this suite runs
        for method_name, options in card.methods.items():
            method = build_method(method_name, options, where=f"{card.path} methods.{method_name}")
            if not method.needs_teacher or method_name not in selected:
                continue
            students = [card.student(n) for n in entry.students] if entry.students else card.students
            for model in (card.teacher, *students):
                missing = [f for f in method.feature_names() if f not in model.features]
                if missing:
                    raise ConfigError(
                        f"{card.path}: method {method_name!r} reads feature(s) {', '.join(missing)} "
                        f"that model {model.name!r} does not declare under 'features:'"
                    )
        lines.append(
            f"  task {card.name} v{card.version} ({card.path}): teacher {card.teacher.model}, "
            f"{len(card.students)} student(s), methods {', '.join(entry.methods or card.methods)}"
        )
    if plan:
        lines.append(f"  {len(expand_jobs(suite, cache_dir=''))} job(s)")
    return lines


def check_local_files(card: Any) -> None:
    """Every local file or folder a card's data options name must exist (globs must match something)."""
    for key, text in option_paths(card.data.options):
        if key.split(".")[-1] in OUTPUT_KEYS:
            continue
        path = Path(text).expanduser()
        found = bool(glob.glob(str(path), recursive=True)) if GLOB_CHARS & set(text) else path.exists()
        if not found:
            raise ConfigError(
                f"{card.path}: data.options.{key}: {text!r} does not exist (looked for {path.resolve()}; "
                f"relative paths are read from the directory you run distillbench in, {Path.cwd()})"
            )


def check_in_channels(card: Any, model_name: str, in_chans: Any) -> None:
    """An explicit ``in_chans`` must equal the data's channels (distillbench sets it from the data anyway)."""
    adapter = TASKS.get(card.task)(card)
    channels = adapter.load_data(smoke=True).info.get("in_channels")
    if channels is not None and in_chans != channels:
        raise ConfigError(
            f"{card.path}: model {model_name!r} sets in_chans={in_chans!r}, but the data "
            f"({card.data.source}) has {channels}-channel images; drop in_chans (it is set from the data) "
            f"or use a data source with {in_chans}-channel images"
        )
