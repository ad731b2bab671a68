"""The code fingerprint: which code produced a result or a cached teacher.

A job's id and a teacher's cache key include it, so a re-run after a change to the code that trains or
evaluates models redoes the affected jobs (and says why) instead of silently reusing results made by
other code. It is the package version plus a SHA-256 over the source files that affect training and
evaluation: everything in the package except the parts that only present or schedule results
(:data:`NOT_HASHED`: reports, the CLI, comparisons, progress bars, executors, validation).
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from distillbench import __version__

PACKAGE = Path(__file__).resolve().parent
#: package paths (relative, POSIX) whose changes cannot change a recorded figure
NOT_HASHED = (
    "report/",
    "executors/",
    "cli.py",
    "compare.py",
    "progress.py",
    "validate.py",
    "runner.py",
    "fingerprint.py",
    "__main__.py",
    "teachers/cli.py",
)


def hashed_files(package: Path = PACKAGE) -> list[Path]:
    """The source files the fingerprint covers, in a stable order."""
    out = []
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package).as_posix()
        if not rel.startswith(NOT_HASHED):
            out.append(path)
    return out


def fingerprint_of(package: Path, version: str) -> str:
    """``<version>+<12 hex digits>`` over the relative paths and bytes of :func:`hashed_files`."""
    digest = hashlib.sha256()
    for path in hashed_files(package):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return f"{version}+{digest.hexdigest()[:12]}"


@functools.cache
def code_fingerprint() -> str:
    """This installation's fingerprint (computed once per process)."""
    return fingerprint_of(PACKAGE, __version__)
