"""``distillbench teachers build | ship-outputs | verify | ls``: the shipped teacher artifacts (teachers/<card>/)."""

from __future__ import annotations

import shlex
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

teachers_app = typer.Typer(
    name="teachers",
    help="Teachers as versioned artifacts: build them once, verify them, list them (teachers/<card>/).",
    no_args_is_help=True,
    add_completion=False,
)
console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

RootOption = Annotated[
    Path | None,
    typer.Option(
        "--teachers-dir",
        help="Root of the artifacts (default $DISTILLBENCH_TEACHERS, else the checkout's teachers/, else the "
        "installed copy).",
    ),
]


def _table(rows: list[list[str]]) -> Table:
    table = Table(show_lines=False)
    for name in rows[0]:
        table.add_column(name, overflow="fold")
    for row in rows[1:]:
        table.add_row(*row)
    return table


@teachers_app.command("build")
def build(
    cards: Annotated[list[str], typer.Argument(help="Task card name(s), e.g. digits.")],
    teachers_dir: RootOption = None,
    cache_dir: Annotated[
        str | None, typer.Option(help="Cache root (data, teacher cache) (default $DISTILLBENCH_CACHE).")
    ] = None,
    device: Annotated[str, typer.Option(help="cpu | cuda | auto.")] = "cpu",
    dtype: Annotated[
        str, typer.Option(help="auto (fp16 when the fp32 weights exceed 16 MiB, else fp32) | fp32 | fp16 | bf16.")
    ] = "auto",
) -> None:
    """Train each card's teacher with the normal teacher job and export it as teachers/<card>/.

    Writes model.safetensors, manifest.json and build/ (the job's results.jsonl and predictions, for
    `distillbench report teachers/<card>/build --recompute`). Prints progress and the time taken.

    [bold]Example[/bold]

      flock /tmp/distillbench-cpu.lock distillbench teachers build digits
    """
    from distillbench.teachers.build import build_teacher

    command = shlex.join(["distillbench", *sys.argv[1:]]) if sys.argv[1:2] == ["teachers"] else ""
    start = time.perf_counter()
    for name in cards:
        build_teacher(
            name,
            root=teachers_dir,
            cache_dir=cache_dir,
            device=device,
            dtype=dtype,
            command=command or f"distillbench teachers build {name}",
            say=lambda text: console.print(text, markup=False, highlight=False),
        )
    console.print(f"built {len(cards)} teacher(s) in {time.perf_counter() - start:.1f} s", markup=False)


@teachers_app.command("ship-outputs")
def ship_outputs(
    cards: Annotated[list[str], typer.Argument(help="Card name(s) whose artifact gets its outputs, e.g. sentiment.")],
    from_cache: Annotated[
        Path, typer.Option("--from-cache", help="The cache of a real run that used the shipped teacher.")
    ],
    teachers_dir: RootOption = None,
    max_mb: Annotated[float, typer.Option(help="Largest file shipped, in MB (artifacts stay under 64 MB).")] = 4.0,
) -> None:
    """Copy a shipped teacher's outputs (kd's cached logits, seq_kd's beam targets) from a run's cache into
    teachers/<card>/outputs/, with their sha256, so that a first run copies them instead of computing them.

    Only outputs of this very artifact (its sha256 is in their cache key) and of a full (not --smoke) run are
    taken. `teachers verify` checks them; a job that uses one records `shipped_with_teacher: true`.

    [bold]Example[/bold]

      distillbench run default --cache-dir /tmp/c && distillbench teachers ship-outputs sentiment --from-cache /tmp/c
    """
    from distillbench.errors import DistillbenchError
    from distillbench.teachers.outputs import ship

    if not from_cache.is_dir():
        err.print(f"--from-cache {from_cache}: not a folder", markup=False)
        raise typer.Exit(2)
    for name in cards:
        try:
            lines = ship(name, from_cache, max_bytes=int(max_mb * 1e6), root=teachers_dir)
        except DistillbenchError as exc:
            err.print(f"{name}: {exc}", markup=False)
            raise typer.Exit(2) from None
        console.print(f"{name}:", markup=False)
        for line in lines:
            console.print(line, markup=False, highlight=False)


@teachers_app.command("verify")
def verify(
    cards: Annotated[list[str] | None, typer.Argument(help="Card names (default: every artifact).")] = None,
    teachers_dir: RootOption = None,
    tolerance: Annotated[
        float, typer.Option(help="Largest absolute difference of a test figure still counted as reproduced.")
    ] = 0.0,
    device: Annotated[str, typer.Option(help="cpu | cuda | auto.")] = "cpu",
) -> None:
    """Check every artifact's sha256, that its card still has the teacher it was built from, and that the
    stored weights reproduce the recorded test quality. Exit 1 on any mismatch or stale artifact.

    [bold]Example[/bold]

      distillbench teachers verify            # every artifact
      distillbench teachers verify digits     # one
    """
    from distillbench.teachers.verify import render
    from distillbench.teachers.verify import verify as run_verify

    checks = run_verify(teachers_dir, cards or None, tolerance=tolerance, device=device)
    Console(width=max(console.width, 160), soft_wrap=False).print(_table(render(checks)))
    bad = [c.name for c in checks if c.status != "ok"]
    console.print(
        f"{len(checks) - len(bad)} of {len(checks)} artifact(s) verified"
        + (f"; not verified: {', '.join(bad)}" if bad else ""),
        markup=False,
    )
    if bad or not checks:
        raise typer.Exit(1)


@teachers_app.command("ls")
def ls(teachers_dir: RootOption = None) -> None:
    """List the artifacts: card, whether the card still matches (teacher key), size, recorded test quality."""
    from distillbench.teachers.manifest import teachers_root
    from distillbench.teachers.verify import artifact_folders, inspect, render

    checks = [inspect(folder) for folder in artifact_folders(teachers_dir)]
    if not checks:
        console.print(f"no teacher artifacts under {teachers_dir or teachers_root()}", markup=False)
        return
    Console(width=max(console.width, 160), soft_wrap=False).print(_table(render(checks, evaluated=False)))
    total = sum(c.size_bytes for c in checks)
    console.print(f"{len(checks)} artifact(s), {total / 2**20:.2f} MiB of weights", markup=False)
