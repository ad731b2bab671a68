"""One registry for every kind of component: tasks, methods, model builders, data sources, writers.

A component registers once, under the name given to the decorator::

    @METHODS.register("kd")
    class HintonKD(DistillMethod): ...

Duplicate names are an error (registering the same module's object again replaces it: a notebook cell run
twice); an unknown name fails with the known names and the closest match.
Built-in components are imported explicitly by :func:`load_components`, third-party packages
add theirs through the ``distillbench.plugins`` entry-point group (each entry point names a module
that registers components when imported), and ``--include-path`` folders add the modules in them
(plugins.py). An unknown name's message says where it looked.
"""

from __future__ import annotations

import contextlib
import difflib
import importlib
import logging
from collections.abc import Callable, Iterator
from importlib.metadata import entry_points
from typing import Generic, TypeVar

from distillbench import plugins
from distillbench.errors import UnknownNameError
from distillbench.plugins import PLUGIN_GROUP

log = logging.getLogger(__name__)
T = TypeVar("T")


class Registry(Generic[T]):
    """A name -> component mapping with helpful errors."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}
        self._origins: dict[str, str] = {}

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator registering ``obj`` under ``name``; sets ``obj.registry_name`` when possible."""

        def decorator(obj: T) -> T:
            # the same module and name again is a redefinition (a notebook cell run twice, a reloaded module)
            if name in self._items and self._items[name] is not obj and self._origins[name] != _origin(obj):
                raise ValueError(f"{self.kind} {name!r} is registered twice: {self._origins[name]} and {_origin(obj)}")
            self._items[name] = obj
            self._origins[name] = _origin(obj)
            with contextlib.suppress(AttributeError, TypeError):
                obj.registry_name = name  # type: ignore[attr-defined]
            return obj

        return decorator

    def get(self, name: str) -> T:
        """Return the component called ``name`` or raise :class:`UnknownNameError`."""
        load_components()
        if name in self._items:
            return self._items[name]
        raise UnknownNameError(self.unknown_message(name))

    def unknown_message(self, name: str) -> str:
        known = self.names()
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        broken = "".join(f" Plugin {ep} failed to load: {why}." for ep, why in _failed.items())
        listed = ", ".join(known) or "(none)"
        return f"unknown {self.kind} {name!r}.{hint} Known {self.kind}s: {listed}. {plugins.searched()}{broken}"

    def names(self) -> list[str]:
        load_components()
        return sorted(self._items)

    def items(self) -> Iterator[tuple[str, T]]:
        load_components()
        return iter(sorted(self._items.items()))

    def origin(self, name: str) -> str:
        return self._origins[name]

    def __contains__(self, name: object) -> bool:
        load_components()
        return name in self._items

    def __len__(self) -> int:
        load_components()
        return len(self._items)


def _origin(obj: object) -> str:
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', repr(obj))}"


TASKS: Registry = Registry("task")
METHODS: Registry = Registry("method")
MODELS: Registry = Registry("model scheme")
ARCHITECTURES: Registry = Registry("local architecture")
DATA_SOURCES: Registry = Registry("data source")
WRITERS: Registry = Registry("report format")
#: every registry, for code that looks through all of them
ALL: tuple[Registry, ...] = (TASKS, METHODS, MODELS, ARCHITECTURES, DATA_SOURCES, WRITERS)

# Every module that registers built-in components. Explicit on purpose: a module missing here
# is caught by tests/unit/test_registry.py, instead of a component that silently never exists.
BUILTIN_MODULES: tuple[str, ...] = (
    "distillbench.adapters.image_classification",
    "distillbench.adapters.sentiment",
    "distillbench.adapters.detection",
    "distillbench.adapters.translation",
    "distillbench.adapters.speech_to_text",
    "distillbench.data.embedded_digits",
    "distillbench.data.hub_images",
    "distillbench.data.idx_images",
    "distillbench.data.embedded_text",
    "distillbench.data.hub_text",
    "distillbench.data.coco_folder",
    "distillbench.data.embedded_scenes",
    "distillbench.data.hub_detection",
    "distillbench.data.embedded_bible",
    "distillbench.data.hub_translation",
    "distillbench.data.embedded_speech",
    "distillbench.data.real_speech",
    "distillbench.data.hub_speech",
    "distillbench.methods.no_kd",
    "distillbench.methods.kd",
    "distillbench.methods.fitnet",
    "distillbench.methods.dkd",
    "distillbench.methods.at",
    "distillbench.methods.hidden",
    "distillbench.methods.det_kd",
    "distillbench.methods.fg_hint",
    "distillbench.methods.seq_kd",
    "distillbench.methods.pseudo_label",
    "distillbench.methods.rkd",
    "distillbench.methods.pkt",
    "distillbench.methods.sp",
    "distillbench.methods.vid",
    "distillbench.methods.dist",
    "distillbench.methods.mlkd",
    "distillbench.methods.reviewkd",
    "distillbench.methods.pkd",
    "distillbench.methods.minilm",
    "distillbench.methods.crd",
    "distillbench.methods.born_again",
    "distillbench.methods.dml",
    "distillbench.methods.ld",
    "distillbench.methods.nbest_kd",
    "distillbench.models.builders",
    "distillbench.models.local_cnn",
    "distillbench.models.cifar_resnet",
    "distillbench.models.wrn",
    "distillbench.models.mlp",
    "distillbench.models.hf_text",
    "distillbench.models.local_detector",
    "distillbench.models.seq2seq",
    "distillbench.models.conformer_ctc",
    "distillbench.models.pocketsphinx_teacher",
    "distillbench.report.writers",
)

_loaded = False
_loading = False
#: entry-point plugins that failed to import: "name (value)" -> the error (named in unknown-name messages)
_failed: dict[str, str] = {}


def load_components() -> None:
    """Import the modules of include dirs not imported yet, then built-in component modules and plugins once.

    Idempotent and re-entrant safe. Include dirs come first, so a broken one fails fast; a broken include-path
    module is a PluginError naming its file. A broken entry-point plugin is logged and named in unknown-name
    messages (it must not hide the built-ins).
    """
    global _loaded, _loading
    if _loading:
        return
    plugins.load_include_paths()
    if _loaded:
        return
    _loading = True
    try:
        for module in BUILTIN_MODULES:
            importlib.import_module(module)
        for ep in entry_points(group=PLUGIN_GROUP):
            try:
                ep.load()
            except Exception as exc:
                _failed[f"{ep.name} ({ep.value})"] = f"{type(exc).__name__}: {exc}"
                log.warning("plugin %s (%s) failed to load: %s", ep.name, ep.value, exc)
        _loaded = True
    finally:
        _loading = False
