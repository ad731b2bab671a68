"""Model specs: ``scheme:name`` or ``scheme:name(key=value, ...)``.

Examples: ``timm:resnet18``, ``timm:resnet18(pretrained=True)``,
``torchvision:mobilenet_v3_small``, ``local:cnn(width=32, depth=4)``. Arguments are Python
literals parsed with :func:`ast.literal_eval` (nothing is executed). Each scheme is a builder in
the ``MODELS`` registry; the task adapter passes what the data dictates (classes, channels).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Any

from torch import nn

from distillbench.errors import ConfigError

_SPEC = re.compile(r"^(?P<scheme>[A-Za-z_][\w-]*):(?P<name>[^()\s]+)(?:\((?P<args>.*)\))?$", re.S)


@dataclass(frozen=True)
class ModelSpec:
    scheme: str
    name: str
    kwargs: dict[str, Any] = field(default_factory=dict, hash=False)
    text: str = ""


def parse_spec(text: str) -> ModelSpec:
    """Parse a model spec string; malformed specs raise ConfigError with the expected form."""
    m = _SPEC.match(text.strip())
    if not m:
        raise ConfigError(
            f"malformed model spec {text!r}: expected 'scheme:name' or 'scheme:name(key=value, ...)', "
            "e.g. 'timm:resnet18' or 'local:cnn(width=16, depth=2)'"
        )
    kwargs: dict[str, Any] = {}
    if m.group("args") and m.group("args").strip():
        try:
            call = ast.parse(f"f({m.group('args')})", mode="eval").body
            if not isinstance(call, ast.Call) or call.args:
                raise ValueError("only key=value arguments are allowed")
            for kw in call.keywords:
                if kw.arg is None:
                    raise ValueError("'**' is not allowed")
                kwargs[kw.arg] = ast.literal_eval(kw.value)
        except (SyntaxError, ValueError) as exc:
            raise ConfigError(f"malformed arguments in model spec {text!r}: {exc}") from None
    return ModelSpec(m.group("scheme"), m.group("name"), kwargs, text.strip())


def build_model(text: str, **context: Any) -> nn.Module:
    """Build the model a spec names. ``context`` carries task facts (num_classes, in_channels, ...)."""
    from distillbench.registry import MODELS

    spec = parse_spec(text)
    builder = MODELS.get(spec.scheme)
    return builder(spec, **context)
