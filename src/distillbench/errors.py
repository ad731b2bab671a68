"""User-facing errors.

Every error a user can cause (a bad name, a bad file, a missing package) is a `DistillbenchError`:
the CLI prints its message without a traceback and exits with status 2. Anything else is a bug
and keeps its traceback.
"""

from __future__ import annotations


class DistillbenchError(Exception):
    """An error caused by input the user can fix; the message says what and how."""


class UnknownNameError(DistillbenchError, KeyError):
    """A task, method, model, data source or writer name that no registry knows."""

    def __str__(self) -> str:  # KeyError would wrap the message in quotes
        return str(self.args[0])


class ConfigError(DistillbenchError, ValueError):
    """A YAML file that does not parse or does not match its schema (file and line named)."""


class MissingDependencyError(DistillbenchError, ImportError):
    """A package that a data source or model builder needs is not installed."""


class DataError(DistillbenchError, ValueError):
    """Data that cannot be used as given (missing columns, empty splits, unreadable files)."""


class ResultsError(DistillbenchError, ValueError):
    """A results file that cannot be read or does not hold what a command needs."""
