"""A task card's resolved recipe, for ``distillbench show CARD``: data and split, augmentation, optimiser,
schedule, epochs, method options (defaults filled in) and each model's parameter count.

Nothing is trained and no data is loaded: models are built on the ``meta`` device (no memory, no
initialisation cost) with the data's shapes taken from the card (a source's known shapes, or
``num_classes`` / ``channels`` / ``image_size`` declared in ``data.options``); where the shapes or the
model are not available offline (hub text, speech or translation models) the count says why it is missing.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from distillbench.blackbox import is_blackbox
from distillbench.config import ModelConfig, TaskCard, TrainConfig, from_dict, to_plain

#: the shapes of sources whose data is fixed (num_classes, in_channels, image_size)
KNOWN_SHAPES: dict[str, tuple[int, int, int]] = {
    "embedded_mnist": (10, 1, 28),
    "sklearn_digits": (10, 1, 8),
    "embedded_fashion_mnist": (10, 1, 28),
    "mnist_idx": (10, 1, 28),
}


def image_context(card: TaskCard) -> dict[str, Any] | None:
    """``num_classes``, ``in_channels``, ``image_size`` for building the card's image models, if known offline."""
    if card.task != "image_classification":
        return None
    if card.data.source in KNOWN_SHAPES:
        n, c, s = KNOWN_SHAPES[card.data.source]
        return {"num_classes": n, "in_channels": c, "image_size": s}
    o = card.data.options
    if o.get("num_classes") is None:
        return None
    return {"num_classes": o["num_classes"], "in_channels": o.get("channels", 3), "image_size": o.get("image_size", 32)}


def count_params(spec: str, context: dict[str, Any] | None) -> tuple[int | None, str]:
    """The parameter count of ``spec`` built on the meta device, or (None, why not)."""
    import torch

    from distillbench.models.spec import build_model

    if context is None:
        return None, "unknown offline: the card declares no data shapes (set data.options.num_classes)"
    try:
        with torch.device("meta"):
            model = build_model(spec, **context)
    except Exception as exc:  # a hub model offline, a missing package: say so instead of failing the listing
        return None, f"cannot build offline: {type(exc).__name__}: {str(exc).splitlines()[0][:120]}"
    return sum(p.numel() for p in model.parameters()), ""


def train_of(card: TaskCard, model: ModelConfig, base: TrainConfig) -> TrainConfig:
    """The train settings of one model (the card's, with the model's own overrides), as the worker resolves them."""
    return from_dict(TrainConfig, {**base.__dict__, **model.train}, where=f"{card.path} {model.name}.train")


def describe_optimizer(cfg: TrainConfig) -> str:
    if cfg.optimizer == "sgd":
        kind = "Nesterov momentum" if cfg.nesterov else "momentum"
        return f"SGD, {kind} {cfg.momentum}, lr {cfg.lr}, weight decay {cfg.weight_decay}"
    return f"AdamW, lr {cfg.lr}, weight decay {cfg.weight_decay}"


def describe_schedule(cfg: TrainConfig) -> str:
    if cfg.schedule == "multistep":
        text = f"multistep: x{cfg.gamma} at epochs {', '.join(map(str, cfg.milestones))}"
    else:
        text = cfg.schedule
    return text + (f", {cfg.warmup_epochs} warm-up epoch(s)" if cfg.warmup_epochs else "")


def resolve(card: TaskCard) -> dict[str, Any]:
    """The card's recipe as plain data (what ``show`` prints and its tests check)."""
    from distillbench.data import augment
    from distillbench.data.base import build_source
    from distillbench.methods.base import build_method

    source = build_source(card.data.source, card.data.options, where=f"{card.path} data.options")
    options = to_plain(source.options) if dataclasses.is_dataclass(source.options) else dict(card.data.options)
    if options.get("holdout") is False:
        split = "all training data; test = the official test split; no holdout: validation = the test split"
    elif "val" in (options.get("splits") or {}):
        split = f"validation = the source's {options['splits']['val']!r} split"
    elif "val_fraction" in options:
        split = f"validation = {options['val_fraction']} of train, held out (seed {options.get('split_seed', 0)})"
    else:
        split = "as the source defines it"
    context = image_context(card)
    models = []
    for role, model, base in (
        ("teacher", card.teacher, card.teacher_train),
        *(("student", s, card.student_train) for s in card.students),
    ):
        cfg = train_of(card, model, base)
        params, why = count_params(model.model, context)
        models.append(
            {
                "role": role,
                "name": model.name,
                "model": model.model,
                "params": params,
                "params_note": why,
                "features": dict(model.features),
                "train": to_plain(cfg),
                "optimizer": describe_optimizer(cfg),
                "schedule": describe_schedule(cfg),
                "augmentation": augment.describe(cfg.augmentation()),
                "blackbox": is_blackbox(model.model),
            }
        )
    methods = {
        name: to_plain(build_method(name, opts, where=f"{card.path} methods.{name}").options)
        for name, opts in card.methods.items()
    }
    return {
        "card": card.name,
        "path": card.path,
        "task": card.task,
        "description": card.description,
        "data": {"source": card.data.source, "options": options, "split": split},
        "models": models,
        "methods": methods,
    }


def format_recipe(recipe: dict[str, Any]) -> str:
    """``resolve``'s data as readable text."""
    lines = [f"{recipe['card']} ({recipe['task']}): {recipe['description']}", f"  file: {recipe['path']}"]
    data = recipe["data"]
    opts = ", ".join(f"{k}={v}" for k, v in data["options"].items() if v is not None)
    lines += ["data:", f"  source: {data['source']} ({opts})", f"  split: {data['split']}"]
    for m in recipe["models"]:
        t = m["train"]
        count = (
            f"{m['params']:,} parameters ({m['params'] / 1e6:.2f}M)" if m["params"] is not None else m["params_note"]
        )
        if m.get("blackbox"):  # nothing is trained: the train settings do not apply
            lines += [f"{m['role']} {m['name']}: {m['model']}", "  black-box: not trained, returns outputs only"]
            continue
        lines += [
            f"{m['role']} {m['name']}: {m['model']}",
            f"  parameters: {count}",
            f"  epochs {t['epochs']}, batch {t['batch_size']}"
            + (f", at most {t['max_batches_per_epoch']} batches/epoch" if t["max_batches_per_epoch"] else ""),
            f"  optimiser: {m['optimizer']}" + (f", grad clip {t['grad_clip']}" if t["grad_clip"] else ""),
            f"  schedule: {m['schedule']}",
            f"  augmentation: {m['augmentation']}",
        ]
        if m["features"]:
            lines.append("  features: " + ", ".join(f"{k}={v}" for k, v in m["features"].items()))
    lines.append("methods (options with defaults filled in):")
    for name, opts in recipe["methods"].items():
        lines.append(f"  {name}: " + (", ".join(f"{k}={v}" for k, v in opts.items()) or "(no options)"))
    return "\n".join(lines)
