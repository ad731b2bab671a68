"""Read intermediate features by module path with forward hooks (as torchdistill does).

A task card maps feature names to module paths per model (``features: {hint: layer2}``); methods
ask for feature names, and :class:`FeatureHooks` captures those modules' outputs during a
forward pass, so no method ever edits a model.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

import torch
from torch import nn

from distillbench.errors import ConfigError


def _first_tensor(output: Any) -> torch.Tensor:
    if isinstance(output, torch.Tensor):
        return output
    if isinstance(output, (tuple, list)) and output and isinstance(output[0], torch.Tensor):
        return output[0]
    if hasattr(output, "last_hidden_state"):
        return output.last_hidden_state
    raise TypeError(f"cannot take a feature tensor from a module output of type {type(output).__name__}")


class FeatureHooks:
    """Context manager capturing the outputs of named modules into ``self.features``."""

    def __init__(self, model: nn.Module, paths: Mapping[str, str], model_name: str = "model") -> None:
        modules = dict(model.named_modules())
        self.features: dict[str, torch.Tensor] = {}
        self._handles: list[Any] = []
        self._targets: list[tuple[str, nn.Module]] = []
        for feature, path in paths.items():
            if path not in modules:
                close = [n for n in modules if n and (path in n or n in path)][:5]
                hint = f" Similar paths: {', '.join(close)}." if close else ""
                raise ConfigError(f"feature {feature!r}: {model_name} has no module {path!r}.{hint}")
            self._targets.append((feature, modules[path]))

    def __enter__(self) -> FeatureHooks:
        for feature, module in self._targets:
            self._handles.append(module.register_forward_hook(self._hook(feature)))
        return self

    def _hook(self, feature: str) -> Any:
        def hook(_module: nn.Module, _inputs: Any, output: Any) -> None:
            self.features[feature] = _first_tensor(output)

        return hook

    def __exit__(self, *exc: object) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """Forward passes inside capture nothing (e.g. a validation pass between training epochs)."""
        self.__exit__()
        try:
            yield
        finally:
            self.features = {}
            self.__enter__()

    def take(self) -> dict[str, torch.Tensor]:
        """Features of the last forward pass (and forget them)."""
        out, self.features = self.features, {}
        return out
