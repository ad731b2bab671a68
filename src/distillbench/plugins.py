"""Components from outside distillbench: include paths, installed plugins, and where their cards live.

``--include-path DIR`` (the CLI's run, validate, show and ls; ``include_path=`` in the Python API) works as
lm-evaluation-harness's ``--include_path``, extended to code: DIR is appended to ``sys.path`` and every Python
module in it (each top-level ``*.py`` file and each package folder with an ``__init__.py``) is imported, so its
``@METHODS.register(...)``-style decorators run; task cards in ``DIR/tasks/`` and suites in ``DIR/benchmarks/``
are found by name, as are those in ``tasks/`` and ``benchmarks/`` folders inside a package of DIR. Installed
packages add theirs through the ``distillbench.plugins`` entry-point group (registry.py); the ``tasks/`` and
``benchmarks/`` folders inside such a package are searched too, found without importing it.

Jobs run in fresh processes, so registering in the driver is not enough: every Job carries the include paths and
the modules outside distillbench whose components its card uses (components.py), and the worker calls
:func:`activate` before it looks anything up. A module that fails to import is a :class:`PluginError` naming the
file and the error, raised in the driver before any job starts.

This module sits low: it imports nothing of distillbench but the errors, so the config loader can ask it where
cards live.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import sys
import traceback
from collections.abc import Iterable
from importlib.metadata import entry_points
from pathlib import Path

from distillbench.errors import ConfigError

PLUGIN_GROUP = "distillbench.plugins"
#: the folders, inside an include dir or a plugin package, that hold task cards and suites
KINDS = ("tasks", "benchmarks")

_include: list[Path] = []
_imported: set[Path] = set()


class PluginError(ConfigError):
    """A module on the include path or named by a job that cannot be imported (the file and the error named)."""


# --------------------------------------------------------------------------- include paths


def add_include_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Make ``paths`` include dirs of this process (idempotent); a missing folder is a ConfigError."""
    added = []
    for given in paths:
        path = Path(given).expanduser()
        if not path.is_dir():
            what = "is a file, not a directory" if path.exists() else "does not exist"
            raise ConfigError(f"--include-path {given}: {what} (looked for {path.resolve()})")
        path = path.resolve()
        if path not in _include:
            _include.append(path)
            if str(path) not in sys.path:
                sys.path.append(str(path))  # appended: an include module never shadows an installed package
        added.append(path)
    return added


def include_paths() -> list[Path]:
    """The include dirs of this process, in the order given."""
    return list(_include)


def modules_in(folder: Path) -> list[tuple[str, Path]]:
    """``(module name, file)`` of every top-level module and package of an include dir, sorted by name."""
    found = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith((".", "_")):
            continue
        if entry.suffix == ".py" and entry.is_file():
            found.append((entry.stem, entry))
        elif entry.is_dir() and (entry / "__init__.py").is_file() and entry.name.isidentifier():
            found.append((entry.name, entry / "__init__.py"))
    return found


def load_include_paths() -> None:
    """Import the modules of every include dir not imported yet; a failure is a PluginError naming the file."""
    for folder in _include:
        if folder in _imported:
            continue
        _imported.add(folder)  # before importing: a module that looks up a registry re-enters here
        for name, file in modules_in(folder):
            _import_file(name, file, folder)


def _import_file(name: str, file: Path, folder: Path) -> None:
    existing = sys.modules.get(name)
    origin = getattr(existing, "__file__", None) if existing else _spec_origin(name)
    if origin is not None and Path(origin).resolve() != file.resolve():
        raise PluginError(
            f"{file}: module {name!r} on --include-path {folder} clashes with the module of the same name at "
            f"{origin}; rename one of them"
        )
    try:
        importlib.import_module(name)
    except Exception as exc:  # any failure: the user's file, named, before a job starts
        sys.modules.pop(name, None)
        raise PluginError(
            f"{_where(exc, file, folder)}: cannot import {name!r} (--include-path {folder}): "
            f"{type(exc).__name__}: {_message(exc)}"
        ) from exc


def _spec_origin(name: str) -> str | None:
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    return spec.origin if spec is not None and spec.origin not in (None, "built-in", "frozen") else None


def _where(exc: Exception, file: Path, folder: Path) -> str:
    """``file:line`` of the error: the syntax error's, else the deepest traceback frame inside the include dir."""
    if isinstance(exc, SyntaxError) and exc.filename:
        return f"{exc.filename}:{exc.lineno}"
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename).resolve().is_relative_to(folder)]
    return f"{frames[-1].filename}:{frames[-1].lineno}" if frames else str(file)


def _message(exc: Exception) -> str:
    return exc.msg if isinstance(exc, SyntaxError) else str(exc)


def activate(include: Iterable[str], modules: Iterable[str]) -> None:
    """In a job process: the driver's include dirs and the outside modules the job's card uses, imported."""
    add_include_paths(include)
    load_include_paths()
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception as exc:
            raise PluginError(
                f"job process: cannot import {name!r}, which registered components the job uses "
                f"(sys.path: {', '.join(sys.path)}): {type(exc).__name__}: {exc}"
            ) from exc


# --------------------------------------------------------------------------- where cards and suites live


@functools.cache
def plugin_packages() -> tuple[tuple[str, Path], ...]:
    """``(entry-point name, package folder)`` of installed plugins, found without importing them."""
    found = []
    for ep in entry_points(group=PLUGIN_GROUP):
        top = ep.value.split(":")[0].split(".")[0].strip()
        try:
            spec = importlib.util.find_spec(top)
        except (ImportError, ValueError):
            continue
        if spec is not None and spec.submodule_search_locations:
            found.append((ep.name, Path(next(iter(spec.submodule_search_locations)))))
    return tuple(found)


def card_dirs(kind: str) -> list[Path]:
    """Folders of ``kind`` ('tasks' or 'benchmarks') from include dirs (first) and installed plugins."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    out: list[Path] = []
    for folder in _include:
        out.append(folder / kind)
        out.extend(file.parent / kind for _, file in modules_in(folder) if file.name == "__init__.py")
    out.extend(folder / kind for _, folder in plugin_packages())
    return [d for d in dict.fromkeys(out) if d.is_dir()]


def searched() -> str:
    """Where components come from besides distillbench itself, for "unknown name" messages."""
    eps = ", ".join(sorted({ep.name for ep in entry_points(group=PLUGIN_GROUP)})) or "none installed"
    dirs = ", ".join(map(str, _include)) or "none given (--include-path DIR)"
    return f"Searched distillbench's components, entry-point plugins ({PLUGIN_GROUP}: {eps}), include paths ({dirs})."


# --------------------------------------------------------------------------- source files, for the fingerprint


def source_files(modules: Iterable[str]) -> list[tuple[str, Path]]:
    """``(label, file)`` of the source behind ``modules``, for the code fingerprint, in a stable order.

    A module from an include dir brings every module of that dir; any other module its whole top-level package
    (helpers it imports included); ``__main__`` (a script) its file. Labels are relative, so the fingerprint does
    not depend on where the files sit.
    """
    files: dict[str, Path] = {}
    for name in modules:
        module = sys.modules.get(name)
        file = getattr(module, "__file__", None)
        if not file or not Path(file).is_file():
            continue
        path = Path(file).resolve()
        folder = next((d for d in _include if path.is_relative_to(d)), None)
        if folder is not None:
            roots = [(n, f.parent if f.name == "__init__.py" else f) for n, f in modules_in(folder)]
        elif name == "__main__":
            roots = [("__main__", path)]
        else:
            top = sys.modules.get(name.split(".")[0])
            top_file = Path(getattr(top, "__file__", None) or path).resolve()
            roots = [(name.split(".")[0], top_file.parent if top_file.name == "__init__.py" else top_file)]
        for label, root in roots:
            if root.is_dir():
                files.update({f"{label}/{p.relative_to(root).as_posix()}": p for p in root.rglob("*.py")})
            else:
                files[label if label == "__main__" else root.name] = root
    return sorted(files.items())
