"""What the local executor's fork server imports once, before it forks any job process (local.py).

Importing torch, datasets, transformers and every registered component takes seconds; done here once,
each job's fresh process starts with them loaded instead of importing them again (27 jobs in the default
suite). Nothing runs here but imports: no thread pool, no CUDA, no data.
"""

from __future__ import annotations

import importlib

from distillbench.registry import load_components

# what a training and a speed job import; datasets is imported lazily by the components (it takes ~2 s, which
# commands such as `ls` should not pay), so it is named here for the jobs
for _module in ("distillbench.worker", "distillbench.speed_job", "datasets"):
    importlib.import_module(_module)
load_components()
