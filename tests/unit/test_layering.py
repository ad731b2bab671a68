"""Layers import downward only (STYLE.md): shared types and cache paths at the bottom, the runner on top.

Parsed with ``ast`` (imports inside functions count too), so a lazy import cannot hide an upward edge.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[2] / "src" / "distillbench"
BOTTOM = ("types.py", "paths.py", "stats.py", "errors.py")
TOP = ("distillbench.runner", "distillbench.report", "distillbench.cli", "distillbench.compare", "distillbench.worker")


def _imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """(line, module, imported names) of every ``import``/``from ... import`` in a file."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.append((node.lineno, node.module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            out.extend((node.lineno, a.name, []) for a in node.names)
    return out


def _files(*folders: str) -> list[Path]:
    return [p for f in folders for p in sorted((PKG / f).rglob("*.py"))]


@pytest.mark.parametrize("path", [*_files("data", "adapters", "models", "methods"), PKG / "safety.py"], ids=str)
def test_components_never_import_the_top_layers(path: Path) -> None:
    bad = [(n, m) for n, m, _ in _imports(path) if m.startswith(TOP)]
    assert not bad, f"{path.name} imports a top layer: {bad}"


@pytest.mark.parametrize("path", _files("data", "methods", "models"), ids=str)
def test_data_methods_and_models_import_no_adapter(path: Path) -> None:
    bad = [(n, m) for n, m, _ in _imports(path) if m.startswith("distillbench.adapters")]
    assert not bad, f"{path.name} imports task code: {bad}"


@pytest.mark.parametrize("path", _files("adapters"), ids=str)
def test_adapters_import_no_other_task(path: Path) -> None:
    shared = {"distillbench.adapters", "distillbench.adapters.base"}
    own_helpers = {f"distillbench.adapters.{p.stem}" for p in (PKG / "adapters").glob("*_metrics.py")}
    own_helpers |= {"distillbench.adapters.coco_eval"}
    allowed = shared | own_helpers
    bad = [(n, m) for n, m, _ in _imports(path) if m.startswith("distillbench.adapters.") and m not in allowed]
    assert not bad, f"{path.name} imports another task's adapter: {bad}"


@pytest.mark.parametrize("name", BOTTOM)
def test_bottom_modules_import_no_other_distillbench_module(name: str) -> None:
    bad = [(n, m) for n, m, _ in _imports(PKG / name) if m.startswith("distillbench") and m != "distillbench.errors"]
    assert not bad, f"{name} must stay at the bottom: {bad}"


@pytest.mark.parametrize("path", sorted(PKG.rglob("*.py")), ids=str)
def test_no_private_name_imported_across_modules(path: Path) -> None:
    bad = [
        (n, m, name)
        for n, m, names in _imports(path)
        if m.startswith("distillbench")
        for name in names
        if name.startswith("_") and not name.startswith("__")
    ]
    assert not bad, f"{path.name} imports private names: {bad}"
