"""What the local executor's fork server imports once, before it forks any job process (local.py).

Importing torch, datasets, transformers and every registered component takes seconds; done here once,
each job's fresh process starts with them loaded instead of importing them again (27 jobs in the default
suite). Nothing runs here but imports: no thread pool, no CUDA, no data.
"""

from __future__ import annotations

import importlib

from distillbench.registry import load_components

for _module in ("distillbench.worker", "distillbench.speed_job"):  # what a training and a speed job import
    importlib.import_module(_module)
load_components()
