"""Progress display for a run: one bar over jobs (with ETA) and one over the current job's steps."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

#: the one stderr console: progress bars and log lines share it, so logs print above the live bars
CONSOLE = Console(stderr=True)


class JobProgress:
    """Rich progress bars fed by the runner (and, through it, by worker processes)."""

    def __init__(self, total_jobs: int, enabled: bool = True, console: Console | None = None) -> None:
        self.enabled = enabled and total_jobs > 0
        self.console = console or CONSOLE
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=self.console,
            transient=False,
            disable=not self.enabled,
        )
        self._total = total_jobs
        self._jobs: Any = None
        self._step: Any = None
        self._label = ""

    def __enter__(self) -> JobProgress:
        self._progress.__enter__()
        self._jobs = self._progress.add_task("jobs", total=self._total)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._step is not None:
            self._progress.remove_task(self._step)
        self._progress.__exit__(*exc)

    def start_job(self, label: str) -> None:
        self._label = label
        if self._step is not None:
            self._progress.remove_task(self._step)
        self._step = self._progress.add_task(f"  {label}", total=None)

    def update_job(self, done: int, total: int, text: str) -> None:
        if self._step is None:
            return
        kwargs: dict[str, Any] = {"description": f"  {self._label}: {text}"}
        if total:
            kwargs.update(completed=done, total=total)
        self._progress.update(self._step, **kwargs)

    def finish_job(self, ok: bool) -> None:
        if not ok:
            self._progress.console.log(f"[red]failed:[/red] {self._label}")
        self._progress.advance(self._jobs)
