"""Builders for the model schemes: ``timm:``, ``torchvision:`` and ``local:``.

Hub weights are only fetched when a spec asks for them (``pretrained=True``); offline that fails
with a message saying so, instead of hanging.
"""

from __future__ import annotations

import inspect
import os
from typing import Any

from torch import nn

from distillbench.errors import ConfigError, DistillbenchError, MissingDependencyError
from distillbench.models.spec import ModelSpec
from distillbench.registry import ARCHITECTURES, MODELS


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "0") not in ("0", "", "false", "False")


@MODELS.register("timm")
def build_timm(spec: ModelSpec, num_classes: int, in_channels: int = 3, **_: Any) -> nn.Module:
    """Any timm model (Wightman, "PyTorch Image Models", 2019): ``timm:resnet18(pretrained=True)``."""
    try:
        import timm
    except ImportError:
        raise MissingDependencyError("timm models need timm: pip install 'distillbench[vision]'") from None
    kwargs = dict(spec.kwargs)
    pretrained = bool(kwargs.pop("pretrained", False))
    given = kwargs.pop("in_chans", in_channels)  # distillbench sets it from the data; an equal value is fine
    if given != in_channels:
        raise ConfigError(
            f"{spec.text}: in_chans={given!r}, but the data has {in_channels}-channel images; "
            "drop in_chans (it is set from the data)"
        )
    if not timm.is_model(spec.name):
        import difflib

        close = difflib.get_close_matches(spec.name, timm.list_models(), n=3, cutoff=0.6)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise ConfigError(f"unknown timm model {spec.name!r}.{hint} See timm.list_models().")
    if pretrained and _offline():
        raise DistillbenchError(f"{spec.text}: pretrained weights come from the hub, but HF_HUB_OFFLINE is set")
    try:
        return timm.create_model(
            spec.name, pretrained=pretrained, num_classes=num_classes, in_chans=in_channels, **kwargs
        )
    except TypeError as exc:
        raise ConfigError(f"{spec.text}: {exc}") from None
    except OSError as exc:  # weights could not be fetched
        raise DistillbenchError(f"{spec.text}: could not load pretrained weights: {exc}") from None


@MODELS.register("torchvision")
def build_torchvision(
    spec: ModelSpec, num_classes: int, in_channels: int = 3, detection: bool = False, **context: Any
) -> nn.Module:
    """A torchvision model, ``weights=None`` unless ``weights='DEFAULT'`` is given.

    For the detection task (``detection=True``) the name must be a torchvision detector
    (``fcos_resnet50_fpn``, ``retinanet_resnet50_fpn``, ...), built with ``weights=None`` and
    ``weights_backbone=None`` for the data's classes and with its transform sized to the data's
    images, unless ``weights=`` (and optionally ``weights_backbone=``) ask for pretrained weights.
    """
    try:
        import torchvision
    except ImportError:
        raise MissingDependencyError(
            "torchvision models need torchvision: pip install 'distillbench[vision]'"
        ) from None
    if spec.name not in torchvision.models.list_models():
        raise ConfigError(f"unknown torchvision model {spec.name!r}; see torchvision.models.list_models()")
    if in_channels != 3:
        raise ConfigError(f"{spec.text}: torchvision models take 3-channel images; set the data source's channels: 3")
    kwargs = dict(spec.kwargs)
    weights = kwargs.pop("weights", None)
    if detection:
        return _torchvision_detector(spec, num_classes, weights, kwargs, context.get("image_size"))
    if weights is not None:
        return torchvision.models.get_model(spec.name, weights=weights, **kwargs)
    return torchvision.models.get_model(spec.name, weights=None, num_classes=num_classes, **kwargs)


def _torchvision_detector(
    spec: ModelSpec, num_classes: int, weights: str | None, kwargs: dict[str, Any], image_size: int | None
) -> nn.Module:
    import torchvision

    detectors = torchvision.models.list_models(module=torchvision.models.detection)
    if spec.name not in detectors:
        raise ConfigError(f"{spec.text}: not a torchvision detector; detectors: {', '.join(sorted(detectors))}")
    if image_size and not spec.name.startswith("ssd"):
        kwargs = {"min_size": image_size, "max_size": image_size, **kwargs}
    kwargs.setdefault("weights_backbone", None)
    if weights is not None:
        if _offline():
            raise DistillbenchError(f"{spec.text}: pretrained weights need a network, but HF_HUB_OFFLINE is set")
        try:
            return torchvision.models.get_model(spec.name, weights=weights, **kwargs)
        except OSError as exc:
            raise DistillbenchError(f"{spec.text}: could not load pretrained weights: {exc}") from None
    try:
        return torchvision.models.get_model(spec.name, weights=None, num_classes=num_classes, **kwargs)
    except TypeError as exc:
        raise ConfigError(f"{spec.text}: {exc}") from None


@MODELS.register("local")
def build_local(spec: ModelSpec, **context: Any) -> nn.Module:
    """A small architecture defined in distillbench (``distillbench ls models`` lists them)."""
    arch = ARCHITECTURES.get(spec.name)
    accepted = inspect.signature(arch).parameters
    given = {k: v for k, v in context.items() if k in accepted}
    try:
        return arch(**given, **spec.kwargs)
    except TypeError as exc:
        raise ConfigError(f"{spec.text}: {exc}") from None
