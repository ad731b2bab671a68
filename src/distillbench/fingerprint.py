"""The code fingerprint: which code produced a result or a cached teacher.

A job's id and a teacher's cache key include it, so a re-run after a change to the code that trains or
evaluates models redoes the affected jobs (and says why) instead of silently reusing results made by
other code. It is the package version plus a SHA-256 over the source files that affect training and
evaluation: everything in the package except the parts that only present or schedule results
(:data:`NOT_HASHED`: reports, the CLI, comparisons, progress bars, executors, validation).

Components from outside distillbench count too: a job whose card uses a component registered by an include-path
module, an installed plugin or the user's own module or script has ``+ext.<12 hex digits>`` appended, a SHA-256
over the source of those modules (plugins.py's :func:`~distillbench.plugins.source_files`: a whole include dir,
a whole top-level package, or the script; for a component typed into a notebook or session, its source or
compiled code), so a changed plugin re-runs the jobs of the cards that use it and no other.
Cards that use only distillbench's own components keep the plain fingerprint.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable
from pathlib import Path

from distillbench import __version__
from distillbench.plugins import source_files

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
    "api.py",
    "plugins.py",
    "components.py",
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
def package_fingerprint() -> str:
    """This installation's fingerprint (computed once per process)."""
    return fingerprint_of(PACKAGE, __version__)


def code_fingerprint(outside: Iterable[str] = (), session: bytes = b"") -> str:
    """The package's fingerprint, plus ``+ext.<hash>`` over the source of ``outside`` modules and of components
    typed into this session (``session``: components.py's ``session_source``) when there are any."""
    files = source_files(outside)
    if not files and not session:
        return package_fingerprint()
    digest = hashlib.sha256(session)
    for label, path in files:
        digest.update(label.encode() + b"\0" + path.read_bytes() + b"\0")
    return f"{package_fingerprint()}+ext.{digest.hexdigest()[:12]}"
