"""distillbench: a benchmark suite for knowledge distillation across NLP, vision and speech.

Python API (the CLI does the same; docs/api.md)::

    import distillbench
    out = distillbench.run("quick", smoke=True)          # a suite by name, path, dict or SuiteConfig
    out = distillbench.run(card=my_card, methods=["no_kd", "kd"])   # one card: name, path, dict or TaskCard
    out.results, out.leaderboard                         # pandas DataFrames
    df = distillbench.load_results("runs/quick-smoke")   # a recorded run, one flat row per result

Names are imported on first use, so ``import distillbench`` stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: public name -> the module that defines it (imported when the name is first used)
_EXPORTS = {
    "run": "distillbench.api",
    "RunOutput": "distillbench.api",
    "load_results": "distillbench.api",
    "load_leaderboard": "distillbench.api",
    "load_card": "distillbench.config",
    "load_suite": "distillbench.config",
    "TaskCard": "distillbench.config",
    "SuiteConfig": "distillbench.config",
    "SuiteTask": "distillbench.config",
    "ModelConfig": "distillbench.config",
    "DataConfig": "distillbench.config",
    "TrainConfig": "distillbench.config",
}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'distillbench' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


__all__ = ["__version__", *_EXPORTS]
