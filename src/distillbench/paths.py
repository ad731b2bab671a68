"""Cache paths at the bottom layer: one root, one sub-folder per kind of cached thing.

Every cache (data, tokenisers, teachers, checkpoints, teacher outputs, predictions) lives under one
root: ``--cache-dir`` for a run, else ``$DISTILLBENCH_CACHE``, else ``~/.cache/distillbench``. A run
sets ``DISTILLBENCH_CACHE`` in its job processes to its ``--cache-dir``, so code that reads the
root here (data sources, tokenisers) and code handed the job's ``cache_dir`` agree.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

CACHE_ENV = "DISTILLBENCH_CACHE"


def default_cache_dir() -> str:
    """The cache root: ``$DISTILLBENCH_CACHE`` or ``~/.cache/distillbench``."""
    return os.environ.get(CACHE_ENV, str(Path.home() / ".cache" / "distillbench"))


def cache_path(*parts: str, root: str | None = None) -> Path:
    """``<root>/<parts...>`` under the cache root (``root`` defaults to :func:`default_cache_dir`)."""
    return Path(root or default_cache_dir()).expanduser().joinpath(*parts)


@contextlib.contextmanager
def use_cache_root(root: str | None) -> Iterator[str]:
    """Make ``root`` the cache root in this process and the job processes it starts, then restore.

    ``None`` (or "") leaves the root as it is.
    """
    if not root:
        yield default_cache_dir()
        return
    old = os.environ.get(CACHE_ENV)
    os.environ[CACHE_ENV] = root
    try:
        yield root
    finally:
        if old is None:
            os.environ.pop(CACHE_ENV, None)
        else:
            os.environ[CACHE_ENV] = old


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """One process at a time makes ``path`` (an advisory lock on ``<path>.lock``): a second one waits, then finds
    it made, instead of making it again (parallel jobs, or a run's data preparation ahead of its jobs)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(f"{path.name}.lock"), "w") as handle:
        try:
            import fcntl
        except ImportError:  # no advisory locks: at worst two processes make the same file
            yield
            return
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
