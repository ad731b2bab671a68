"""distillbench: a benchmark suite for knowledge distillation across NLP, vision and speech.

Python API (the CLI does the same)::

    import distillbench
    results = distillbench.run("default", seeds=[0, 1, 2])   # -> list[Result]
    df = distillbench.load_results("runs/default")           # -> pandas.DataFrame
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    import pandas as pd

    from distillbench.results import Result


def run(suite: str = "default", **options: Any) -> list[Result]:
    """Run a suite (name or path) and return its results; see :func:`distillbench.runner.run_suite`."""
    from distillbench.runner import run_suite

    return run_suite(suite, **options).results


def load_results(path: str) -> pd.DataFrame:
    """Load a run directory or results JSONL file as one flat row per result."""
    from distillbench.results import load_results_frame

    return load_results_frame(path)


__all__ = ["__version__", "load_results", "run"]
