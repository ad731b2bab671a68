"""Model builders by spec: ``timm:<name>``, ``torchvision:<name>``, ``local:<arch>(k=v, ...)``."""

from distillbench.models.spec import ModelSpec, build_model, parse_spec

__all__ = ["ModelSpec", "build_model", "parse_spec"]
