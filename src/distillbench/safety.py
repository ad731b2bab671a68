"""What a config may make distillbench do: remote code and file paths.

- **Remote code.** Hugging Face loaders get ``trust_remote_code=False`` unless the user turns it on
  for a run (``trust_remote_code: true`` in the suite, or ``distillbench run --trust-remote-code``).
  A task card alone cannot turn it on: cards are shared files, the suite and the command line are
  the user's. The worker sets the policy for its process from the job (:func:`use_policy`), and
  loaders ask :func:`trust_remote_code`.
- **Paths.** A path written in a config (an ``include:``, a data option such as ``data_dir``,
  ``data_files`` or ``root``, a local model folder in a model spec) must resolve, symlinks
  followed, inside an allowed root: the current project directory, the distillbench checkout or
  installed cards, the distillbench cache, an include dir (``--include-path``), or the config file's
  own directory. Anything else is a :class:`UnsafePathError` naming the file, the key and the way
  out: ``--allow-absolute-paths`` or ``DISTILLBENCH_ALLOW_ABSOLUTE_PATHS=1``.
- Weights are read with ``torch.load(weights_only=True)`` and YAML with a ``SafeLoader``
  (``tests/unit/test_safety.py`` greps the sources for any other use).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from distillbench.errors import ConfigError

ALLOW_PATHS_ENV = "DISTILLBENCH_ALLOW_ABSOLUTE_PATHS"
#: option keys that hold paths (exact names), besides any key ending in one of PATH_SUFFIXES
PATH_KEYS = frozenset({"root", "path", "data_dir", "data_files", "folder", "file", "files", "cache_dir"})
PATH_SUFFIXES = ("_dir", "_path", "_file", "_files", "_root", "_folder")
_PATH_PREFIXES = ("/", "./", "../", "~")


class UnsafePathError(ConfigError):
    """A path in a config that leaves the project, the cache and the config's own directory."""


@dataclass(frozen=True)
class SafetyPolicy:
    """What the current process may do on a config's behalf."""

    trust_remote_code: bool = False


_POLICY = SafetyPolicy()


def trust_remote_code() -> bool:
    """Whether Hugging Face loaders may run code from the model's repository (off unless the user asked)."""
    return _POLICY.trust_remote_code


@contextlib.contextmanager
def use_policy(policy: SafetyPolicy) -> Iterator[None]:
    """Apply ``policy`` to this process for the duration of a job."""
    global _POLICY
    old, _POLICY = _POLICY, policy
    try:
        yield
    finally:
        _POLICY = old


def absolute_paths_allowed() -> bool:
    return os.environ.get(ALLOW_PATHS_ENV, "0").lower() not in ("", "0", "false", "no")


def allowed_roots(config_file: str | Path | None = None) -> list[Path]:
    """The directories a config's paths may point into (see the module docstring)."""
    from distillbench.paths import default_cache_dir

    here = Path(__file__).resolve().parent
    from distillbench.plugins import include_paths

    roots = [Path.cwd(), here.parent.parent, here / "_cards", Path(default_cache_dir()).expanduser(), *include_paths()]
    if config_file:
        roots.append(Path(config_file).expanduser().resolve().parent)
    return [r.resolve() for r in roots]


def check_path(path: str | Path, *, where: str, config_file: str | Path | None = None) -> None:
    """Raise UnsafePathError when ``path`` resolves outside the allowed roots (unless the user allowed it)."""
    if absolute_paths_allowed():
        return
    p = Path(str(path)).expanduser()
    target = (p if p.is_absolute() else Path.cwd() / p).resolve()
    roots = allowed_roots(config_file)
    if any(target == r or target.is_relative_to(r) for r in roots):
        return
    raise UnsafePathError(
        f"{where}: path {str(path)!r} resolves to {target}, outside the project ({Path.cwd()}), the distillbench "
        f"cache and the config's own directory; if you trust this config, pass --allow-absolute-paths "
        f"or set {ALLOW_PATHS_ENV}=1"
    )


def _is_path_key(key: str) -> bool:
    return key in PATH_KEYS or key.endswith(PATH_SUFFIXES)


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)


def option_paths(options: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    """``(key path, value)`` for every path-valued option (by key name), nested mappings included."""
    if not isinstance(options, dict):
        return
    for key, value in options.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if _is_path_key(str(key)):
            for text in _strings(value):
                yield name, text
        elif isinstance(value, dict):
            yield from option_paths(value, name)


def spec_paths(spec_text: str) -> Iterator[str]:
    """Local paths inside a model spec: the name or string arguments that look like a path."""
    from distillbench.models.spec import parse_spec

    spec = parse_spec(spec_text)
    for text in (spec.name, *_strings(spec.kwargs)):
        if text.startswith(_PATH_PREFIXES):
            yield text


def check_card_paths(card: Any) -> None:
    """Check every path a task card names (data options and model specs)."""
    for key, text in option_paths(card.data.options):
        check_path(text, where=f"{card.path}: data.options.{key}", config_file=card.path)
    for model in (card.teacher, *card.students):
        for text in spec_paths(model.model):
            check_path(text, where=f"{card.path}: model {model.name!r}", config_file=card.path)
