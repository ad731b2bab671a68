"""Where teacher artifacts live, what identifies the teacher they hold, and finding a card's shipped teacher.

An artifact is a folder ``<root>/<card name>/`` with ``model.safetensors`` and ``manifest.json``; the root
is ``$DISTILLBENCH_TEACHERS``, else the checkout's top-level ``teachers/``, else the copy installed with
the package (``distillbench/_cards/teachers``).

The **teacher key** hashes what defines the teacher's weights as the card states them: the task, the
data section, the teacher section (less the feature points students read, which change no weight) and
``teacher_train`` and ``teacher_seed``, each with default values left out (so a new option with a default
keeps existing keys). The code fingerprint is NOT in it: the artifact defines the teacher, so a later
code change does not invalidate it; the fingerprint it was built with is recorded in the manifest.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from distillbench.config import ModelConfig, TaskCard, TrainConfig, config_hash, to_plain
from distillbench.errors import ConfigError

log = logging.getLogger(__name__)

TEACHERS_ENV = "DISTILLBENCH_TEACHERS"
WEIGHTS_FILE = "model.safetensors"
MANIFEST_FILE = "manifest.json"
BUILD_DIR = "build"
#: manifest layout version (bumped when fields change meaning)
FORMAT = 1
SHIPPED = "shipped artifact"


def teachers_root() -> Path:
    """``$DISTILLBENCH_TEACHERS``, else the checkout's ``teachers/``, else the installed copy."""
    env = os.environ.get(TEACHERS_ENV)
    if env:
        return Path(env).expanduser()
    package = Path(__file__).resolve().parents[1]
    checkout = package.parent.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "src" / "distillbench").is_dir():
        return checkout / "teachers"
    return package / "_cards" / "teachers"


def shown(path: Path) -> str:
    """``path`` relative to the current directory when it lies below it (log lines stay short)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _non_default(obj: Any) -> dict[str, Any]:
    """A dataclass as plain data without the optional fields that hold their default value."""
    out = {}
    for f, value in zip(dataclasses.fields(obj), to_plain(obj).values(), strict=True):
        if f.default is not dataclasses.MISSING:
            default = to_plain(f.default)
        elif f.default_factory is not dataclasses.MISSING:
            default = to_plain(f.default_factory())
        else:
            default = ...
        if value != default:
            out[f.name] = value
    return out


def card_sections(card: TaskCard) -> dict[str, Any]:
    """The parts of a card that define its teacher's weights (see the module docstring)."""
    teacher: ModelConfig = card.teacher
    model = {k: v for k, v in _non_default(teacher).items() if k != "features"}
    train: TrainConfig = card.teacher_train
    return {
        "task": card.task,
        "data": to_plain(card.data),
        "teacher": model,
        "teacher_train": _non_default(train),
        "teacher_seed": card.teacher_seed,
    }


def teacher_key(card: TaskCard) -> str:
    """16 hex digits over :func:`card_sections` (not the code fingerprint)."""
    return config_hash(card_sections(card))


def diff_sections(old: dict[str, Any], new: dict[str, Any], prefix: str = "") -> list[str]:
    """``key old -> new`` for every leaf that differs ("(unset)" where a side lacks it)."""
    out = []
    for key in sorted(set(old) | set(new), key=str):
        name = f"{prefix}.{key}" if prefix else str(key)
        a, b = old.get(key, "(unset)"), new.get(key, "(unset)")
        if isinstance(a, dict) and isinstance(b, dict):
            out.extend(diff_sections(a, b, name))
        elif a != b:
            out.append(f"{name} {_fmt(a)} -> {_fmt(b)}")
    return out


def _fmt(value: Any) -> str:
    return value if isinstance(value, str) and value == "(unset)" else json.dumps(value, default=str)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of the artifact in ``folder`` (ConfigError when missing or unreadable)."""
    path = folder / MANIFEST_FILE
    try:
        blob = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{shown(path)}: no manifest (not a teacher artifact)") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{shown(path)}: unreadable manifest ({type(exc).__name__}: {exc})") from None
    if not isinstance(blob, dict) or blob.get("format") != FORMAT:
        raise ConfigError(f"{shown(path)}: not a format-{FORMAT} teacher manifest")
    return blob


@dataclass
class Shipped:
    """A card's shipped teacher whose key matches the card and whose weights match their sha256."""

    folder: Path
    manifest: dict[str, Any]
    sha256: str

    @property
    def weights(self) -> Path:
        return self.folder / WEIGHTS_FILE


@dataclass
class Lookup:
    """What :func:`find_shipped` found: the artifact, or why none can be used (None: there is none)."""

    shipped: Shipped | None = None
    reason: str | None = None


def find_shipped(card: TaskCard, root: Path | None = None) -> Lookup:
    """The shipped teacher of ``card``, checked: manifest card, teacher key, weights file and sha256."""
    folder = (root or teachers_root()) / card.name
    where = shown(folder)
    if not (folder / MANIFEST_FILE).exists():
        return Lookup()
    try:
        manifest = read_manifest(folder)
    except ConfigError as exc:
        return Lookup(reason=f"{exc}; training the teacher")
    if manifest.get("card") != card.name:
        return Lookup(
            reason=f"{where}: the artifact is for card {manifest.get('card')!r}, not {card.name!r}; "
            "training the teacher"
        )
    if manifest.get("teacher_key") != teacher_key(card):
        changes = diff_sections(manifest.get("card_sections") or {}, card_sections(card)) or ["(sections unknown)"]
        return Lookup(
            reason=f"{where}: card changed since the artifact was built: {'; '.join(changes)}; training the teacher"
        )
    weights = folder / WEIGHTS_FILE
    if not weights.is_file():
        return Lookup(reason=f"{where}: {WEIGHTS_FILE} is missing; training the teacher")
    expected = (manifest.get("weights") or {}).get("sha256")
    actual = sha256_file(weights)
    if actual != expected:
        return Lookup(
            reason=f"{where}: {WEIGHTS_FILE} does not match its manifest (sha256 {actual[:12]}..., manifest says "
            f"{str(expected)[:12]}...); training the teacher"
        )
    return Lookup(shipped=Shipped(folder, manifest, actual))


def checkpoint_path(card: TaskCard) -> Path | None:
    """The teacher's ``checkpoint:`` file, relative paths read from the card's folder (checked by safety.py)."""
    if not card.teacher.checkpoint:
        return None
    from distillbench.safety import check_path

    raw = Path(card.teacher.checkpoint).expanduser()
    path = raw if raw.is_absolute() else Path(card.path).resolve().parent / raw
    check_path(path, where=f"{card.path}: teacher.checkpoint", config_file=card.path)
    return path


def teacher_source(card: TaskCard, *, smoke: bool, shipped: bool, root: Path | None = None) -> str:
    """What a run's jobs use as the card's teacher, as part of their identity (jobs.py's ``Job.teacher``).

    ``checkpoint:<sha256>`` (a ``checkpoint:`` file; a missing one is a ConfigError, before any job),
    ``shipped:<sha256>`` (a matching artifact), or "" (train it, or the model as built with ``epochs: 0``).
    Why a shipped artifact is not used (a changed card, a bad file) is logged. Smoke runs always train
    (they check the training code on a few batches) and ``shipped=False`` (``--no-shipped-teachers``) forces it.
    """
    ckpt = checkpoint_path(card)
    if ckpt is not None:
        if not ckpt.is_file():
            raise ConfigError(f"{card.path}: teacher checkpoint {card.teacher.checkpoint!r} ({ckpt}) does not exist")
        return f"checkpoint:{sha256_file(ckpt)}"
    if smoke or card.teacher_train.epochs == 0 or card.teacher.train.get("epochs") == 0:
        return ""
    found = find_shipped(card, root)
    if found.shipped is None:
        if found.reason:
            log.warning(found.reason)
        return ""
    if not shipped:
        log.info("%s: not using the shipped teacher (--no-shipped-teachers); training it", shown(found.shipped.folder))
        return ""
    log.info("%s: using the shipped teacher (sha256 %s...)", shown(found.shipped.folder), found.shipped.sha256[:12])
    return f"shipped:{found.shipped.sha256}"
