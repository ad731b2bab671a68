"""YAML loading with line numbers and ``include:``.

Files are read with a ``SafeLoader`` subclass (no tags that run code). Each mapping comes back as
a :class:`YamlMap`, a dict that remembers the file and the line of every key, so schema errors
can name both. ``include:`` (a path or a list of paths, relative to the including file) merges
other files underneath: the including file's own keys win, nested mappings merge key by key,
and include cycles are an error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from distillbench.errors import ConfigError


class YamlMap(dict):
    """A mapping from YAML that knows where each key was written."""

    file: str = "<memory>"
    line: int = 0
    key_lines: dict[str, tuple[str, int]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.key_lines = {}

    def where(self, key: str | None = None) -> str:
        """'file:line' of ``key`` (or of the mapping itself)."""
        file, line = self.key_lines.get(key, (self.file, self.line)) if key is not None else (self.file, self.line)
        return f"{file}:{line}" if line else file


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that builds :class:`YamlMap` with 1-based key lines."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> YamlMap:
    loader.flatten_mapping(node)
    result = YamlMap()
    result.file = loader.name
    result.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise ConfigError(f"{loader.name}:{key_node.start_mark.line + 1}: duplicate key {key!r}")
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = (loader.name, key_node.start_mark.line + 1)
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def parse_yaml(text: str, name: str = "<string>") -> Any:
    """Parse YAML text; a syntax error becomes a ConfigError naming the file, line and column."""
    loader = _LineLoader(text)
    loader.name = name
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark else name
        raise ConfigError(f"{where}: malformed YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{name}: malformed YAML: {exc}") from None
    finally:
        loader.dispose()


def load_yaml(path: str | Path, _stack: tuple[Path, ...] = ()) -> YamlMap:
    """Load a YAML mapping from ``path``, resolving ``include:`` recursively."""
    path = Path(path)
    resolved = path.resolve()
    if resolved in _stack:
        chain = " -> ".join(str(p) for p in (*_stack, resolved))
        raise ConfigError(f"include cycle: {chain}")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    data = parse_yaml(text, str(path))
    if data is None:
        raise ConfigError(f"{path}: the file is empty")
    if not isinstance(data, YamlMap):
        raise ConfigError(f"{path}:1: expected a mapping at the top level, got {type(data).__name__}")
    includes = data.pop("include", None)
    if includes is None:
        return data
    if isinstance(includes, str):
        includes = [includes]
    if not isinstance(includes, list) or not all(isinstance(i, str) for i in includes):
        raise ConfigError(f"{data.where()}: 'include' must be a path or a list of paths")
    merged: YamlMap = YamlMap()
    merged.file, merged.line = data.file, data.line
    from distillbench.safety import check_path

    for inc in includes:
        check_path(path.parent / inc, where=f"{data.where('include')}: include", config_file=path)
        merged = merge(merged, load_yaml(path.parent / inc, (*_stack, resolved)))
    return merge(merged, data)


def merge(base: YamlMap, override: YamlMap) -> YamlMap:
    """Deep-merge two mappings; ``override`` wins, keeping its own file/line information."""
    out = YamlMap(base)
    out.file, out.line = override.file, override.line
    out.key_lines = dict(base.key_lines)
    for key, value in override.items():
        if isinstance(value, YamlMap) and isinstance(out.get(key), YamlMap):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
        out.key_lines[key] = override.key_lines.get(key, (override.file, 0))
    return out
