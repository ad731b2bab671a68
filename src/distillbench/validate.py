"""``distillbench validate``: check a suite and its task cards without training anything."""

from __future__ import annotations

from distillbench.config import load_card, load_suite
from distillbench.data.base import build_source
from distillbench.errors import ConfigError
from distillbench.jobs import expand_jobs
from distillbench.methods.base import build_method
from distillbench.models.spec import parse_spec
from distillbench.registry import ARCHITECTURES, MODELS, TASKS
from distillbench.safety import check_card_paths, check_path


def validate_suite(name: str) -> list[str]:
    """Raise ConfigError (or UnknownNameError) on the first problem; return a summary otherwise."""
    suite = load_suite(name)
    lines = [f"suite {suite.name} ({suite.path}): seeds {suite.seeds}, {suite.device}, {suite.precision}"]
    for entry in suite.tasks:
        if entry.card.endswith((".yaml", ".yml")) or "/" in entry.card:
            check_path(entry.card, where=f"{suite.path}: tasks.card", config_file=suite.path)
        card = load_card(entry.card)
        check_card_paths(card)
        TASKS.get(card.task)
        build_source(card.data.source, card.data.options, where=f"{card.path} data.options")
        for model in (card.teacher, *card.students):
            spec = parse_spec(model.model)
            MODELS.get(spec.scheme)
            if spec.scheme == "local":
                ARCHITECTURES.get(spec.name)
        for method_name, options in card.methods.items():
            method = build_method(method_name, options, where=f"{card.path} methods.{method_name}")
            if not method.needs_teacher:
                continue
            for model in (card.teacher, *card.students):
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
    jobs = expand_jobs(suite, cache_dir="")
    lines.append(f"  {len(jobs)} job(s)")
    return lines
