"""Distillation methods: one file per method, each registered in ``METHODS``."""

from distillbench.methods.base import DistillMethod, build_method

__all__ = ["DistillMethod", "build_method"]
