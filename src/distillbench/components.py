"""Which registered components a task card uses, and whether job processes can get them too.

A job process starts with distillbench's own components and the installed plugins. It imports the include dirs
and, by name, every other module that registered a component its card uses (:func:`outside_modules`), and the
code fingerprint covers their source (fingerprint.py). Two kinds of component cannot travel that way:

- one defined in the main *script*: a spawned local job process re-runs the script (Python's ``spawn`` start
  method imports it as ``__mp_main__``), so it gets there, but Ray workers do not run the script;
- one typed or ``exec``-ed into a session (a notebook, a REPL, ``python -c``, a docs test): no file holds it.

:func:`unreachable` names those the job processes of an executor would miss, and :func:`session_source` gives
the code of the session-typed ones to the fingerprint.
"""

from __future__ import annotations

import inspect
import marshal
import sys
from pathlib import Path
from typing import Any

from distillbench.config import TaskCard
from distillbench.models.spec import parse_spec
from distillbench.registry import ARCHITECTURES, DATA_SOURCES, METHODS, MODELS, TASKS

OWN = "distillbench"
MAIN = ("__main__", "__mp_main__")


def used(card: TaskCard, methods: list[str] | None = None) -> dict[str, Any]:
    """``"<kind> <name>" -> component`` for everything the card uses (``methods``: the ones that run)."""
    out: dict[str, Any] = {
        f"task {card.task}": TASKS.get(card.task),
        f"data source {card.data.source}": DATA_SOURCES.get(card.data.source),
    }
    for name in methods if methods is not None else list(card.methods):
        out[f"method {name}"] = METHODS.get(name)
    for model in (card.teacher, *card.students):
        spec = parse_spec(model.model)
        out[f"model scheme {spec.scheme}"] = MODELS.get(spec.scheme)
        if spec.scheme == "local":
            out[f"local architecture {spec.name}"] = ARCHITECTURES.get(spec.name)
    return out


def _module(obj: Any) -> str:
    return getattr(obj, "__module__", None) or OWN


def _outside(name: str) -> bool:
    return name != OWN and not name.startswith(OWN + ".")


def _in_script(obj: Any) -> bool:
    """Whether ``obj`` is defined in the file of the main script (a spawned process re-runs it)."""
    script = getattr(sys.modules.get("__main__"), "__file__", None)
    file = _defined_in(obj)
    if not (script and file and Path(script).is_file()):  # "<stdin>", "<string>": no file to re-run
        return False
    return Path(file).resolve() == Path(script).resolve()


def _by_name(obj: Any) -> bool:
    """Whether a job process can import ``obj``'s module by name (a module with a file, not ``__main__``)."""
    name = _module(obj)
    return name not in MAIN and bool(getattr(sys.modules.get(name), "__file__", None))


def outside_modules(card: TaskCard, methods: list[str] | None = None) -> list[str]:
    """Modules outside distillbench, importable by name, that registered a component the card uses (sorted);
    ``__main__`` too when the script itself defines one."""
    objs = [o for o in used(card, methods).values() if _outside(_module(o))]
    names = {_module(o) for o in objs if _by_name(o)} | {"__main__" for o in objs if _in_script(o)}
    return sorted(names)


def importable(modules: list[str]) -> list[str]:
    """The modules a job process imports by name (the script is re-run by ``spawn`` instead)."""
    return [m for m in modules if m not in MAIN]


def unreachable(card: TaskCard, methods: list[str] | None, executor: str) -> list[str]:
    """The card's components that job processes of ``executor`` ('local' or 'ray') cannot re-create."""
    out = []
    for what, obj in used(card, methods).items():
        if not _outside(_module(obj)) or _by_name(obj):
            continue
        if executor != "local" or not _in_script(obj):
            out.append(what)
    return out


def session_source(card: TaskCard, methods: list[str] | None = None) -> bytes:
    """The code of the card's components that no file holds (typed into a session), for the fingerprint: the
    source where Python kept it (IPython and Jupyter do), else the compiled code."""
    out = []
    for what, obj in sorted(used(card, methods).items()):
        if not _outside(_module(obj)) or _by_name(obj) or _in_script(obj):
            continue
        try:
            out.append(what.encode() + b"\0" + inspect.getsource(obj).encode())
        except (OSError, TypeError):
            codes = [obj.__code__] if hasattr(obj, "__code__") else _codes(obj)
            out.append(what.encode() + b"\0" + b"".join(marshal.dumps(c) for c in codes))
    return b"\0".join(out)


def _codes(cls: Any) -> list[Any]:
    return [f.__code__ for _, f in sorted(vars(cls).items()) if hasattr(f, "__code__")]


def _defined_in(obj: Any) -> str | None:
    """The file a function's or a class's code was compiled from (None when it has no code of its own)."""
    codes = [obj.__code__] if hasattr(obj, "__code__") else _codes(obj) if isinstance(obj, type) else []
    return codes[0].co_filename if codes else None
