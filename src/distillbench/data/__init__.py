"""Data sources: embedded (real data shipped by installed packages, offline) and hub/local."""

from distillbench.data.base import DataSource, build_source, package_dir, split_indices

__all__ = ["DataSource", "build_source", "package_dir", "split_indices"]
