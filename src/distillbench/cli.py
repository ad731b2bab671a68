"""The ``distillbench`` command: run, ls, report, compare, validate, teachers (teachers/cli.py).

User errors (bad names, bad files, missing packages) print one clear message and exit 2; a run
with failed jobs exits 1; an interrupted run exits 130 with its completed results kept.
"""

from __future__ import annotations

import logging
import signal
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from distillbench import __version__
from distillbench.errors import DistillbenchError

app = typer.Typer(
    name="distillbench",
    help="A benchmark suite for knowledge distillation: train teachers and students, measure, compare.",
    no_args_is_help=False,
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
log = logging.getLogger("distillbench")

FORMATS = "md,csv,tex,html,json"


def _add_teachers() -> None:
    from distillbench.teachers.cli import teachers_app

    app.add_typer(teachers_app, name="teachers")


_add_teachers()


def _split_ints(text: str | None) -> list[int] | None:
    if text is None:
        return None
    try:
        return [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise DistillbenchError(f"expected comma-separated integers like 0,1,2, got {text!r}") from None


IncludePath = Annotated[
    list[Path] | None,
    typer.Option(
        "--include-path",
        help="A folder whose Python modules (components) are imported and whose tasks/ and benchmarks/ YAML are "
        "found by name, here and in every job process. Repeatable.",
    ),
]


def _include(dirs: list[Path] | None) -> None:
    """Load ``--include-path`` folders now: a missing folder or a module that fails to import stops here (exit 2)."""
    if dirs:
        from distillbench.plugins import add_include_paths
        from distillbench.registry import load_components

        add_include_paths(dirs)
        load_components()


def _formats(text: str) -> tuple[str, ...]:
    from distillbench.registry import WRITERS

    names = tuple(f.strip() for f in text.split(",") if f.strip())
    for n in names:
        WRITERS.get(n)  # unknown names fail here, before any work
    return names


@app.callback(invoke_without_command=True)
def main_callback(
    ctx: typer.Context,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show debug logs.")] = False,
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    """distillbench: with no command, runs the embedded default suite (same as `distillbench run`)."""
    from rich.logging import RichHandler

    from distillbench.progress import CONSOLE

    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(message)s",
        handlers=[RichHandler(console=CONSOLE, show_path=False, show_time=False)],
    )
    if version:
        console.print(f"distillbench {__version__}")
        raise typer.Exit()
    if ctx.invoked_subcommand is None:
        ctx.invoke(run)


@app.command()
def run(
    suite: Annotated[str, typer.Argument(help="Suite name (benchmarks/<name>.yaml) or path.")] = "default",
    seeds: Annotated[str | None, typer.Option(help="Comma-separated seeds, overriding the suite's.")] = None,
    smoke: Annotated[
        bool, typer.Option(help="Tiny data, one short epoch, minimal timing: checks that it works.")
    ] = False,
    device: Annotated[str | None, typer.Option(help="cpu | cuda | auto (default: the suite's, usually auto).")] = None,
    precision: Annotated[str | None, typer.Option(help="fp32 | bf16 | fp16 (default: the suite's).")] = None,
    compile: Annotated[
        bool | None, typer.Option("--compile/--no-compile", help="torch.compile for measurement.")
    ] = None,
    out: Annotated[Path, typer.Option(help="Where run directories go.")] = Path("runs"),
    cache_dir: Annotated[
        str | None,
        typer.Option(
            help="Root of every cache: data, tokenisers, teachers, checkpoints, predictions "
            "(default $DISTILLBENCH_CACHE or ~/.cache/distillbench)."
        ),
    ] = None,
    keep_stale: Annotated[
        bool,
        typer.Option(
            help="Keep results recorded with other code (another code fingerprint) instead of re-running those jobs."
        ),
    ] = False,
    shipped_teachers: Annotated[
        bool,
        typer.Option(
            "--shipped-teachers/--no-shipped-teachers",
            help="Use the teachers shipped under teachers/ where they match the card (default), or train them.",
        ),
    ] = True,
    compression: Annotated[
        bool | None,
        typer.Option(
            "--compression/--no-compression",
            help="Add each card's compression baselines (int8 teacher and student, pruned teacher) as rows "
            "(default: the suite's 'compression').",
        ),
    ] = None,
    format: Annotated[str, typer.Option("--format", help="Leaderboard formats to write.")] = FORMATS,
    isolate: Annotated[bool, typer.Option(help="Run each job in a fresh process.", hidden=True)] = True,
    executor: Annotated[
        str, typer.Option(help="local: one job after another (default) | ray: jobs fanned out over a Ray cluster.")
    ] = "local",
    address: Annotated[
        str | None,
        typer.Option(help="Ray cluster to use with --executor ray: HOST:PORT, or 'auto' (default: start one here)."),
    ] = None,
    nproc_per_job: Annotated[
        int, typer.Option(help="Train each job with N DDP processes (one GPU each on CUDA, gloo on CPU).")
    ] = 1,
    trust_remote_code: Annotated[
        bool | None,
        typer.Option(
            "--trust-remote-code/--no-trust-remote-code",
            help="Let Hugging Face loaders run code from model repositories (default: the suite's, off).",
        ),
    ] = None,
    allow_absolute_paths: Annotated[
        bool,
        typer.Option(
            help="Let configs name paths outside the project, the cache and their own folder "
            "(also: DISTILLBENCH_ALLOW_ABSOLUTE_PATHS=1)."
        ),
    ] = False,
    include_path: IncludePath = None,
) -> None:
    """Run a suite: train what needs training, measure every model, write the leaderboard.

    Re-running resumes: jobs already recorded are skipped, and trained teachers come from the cache.
    A card whose teacher matches an artifact shipped under teachers/ loads it instead of training
    (--no-shipped-teachers trains it); a card changed since its artifact was built retrains and says why.
    Jobs recorded with other code (the code fingerprint changed) run again and the log says why;
    --keep-stale keeps their old results on purpose.

    [bold]Examples[/bold]

      distillbench run                                  # the embedded default suite, offline
      distillbench run image_classification --seeds 0,1,2
      distillbench run default --smoke                  # a quick check that everything works
      distillbench run default --device cuda --precision bf16
      distillbench run default --executor ray                    # jobs in parallel on a local Ray instance
      distillbench run default --executor ray --address auto     # ... on the running Ray cluster
      distillbench run image_classification --nproc-per-job 2    # each job trained by 2 DDP processes
      distillbench run my_suite.yaml --allow-absolute-paths      # the suite's cards read /data/...
      distillbench run my_suite --include-path my_plugins/        # my_plugins/*.py, my_plugins/benchmarks/
    """
    import os

    _include(include_path)  # first: a broken include dir fails before anything heavy is imported
    from distillbench.config import DEVICES, PRECISIONS
    from distillbench.executors import EXECUTORS
    from distillbench.runner import format_duration, run_suite
    from distillbench.safety import ALLOW_PATHS_ENV

    if device is not None and device not in DEVICES:
        raise DistillbenchError(f"--device must be one of {', '.join(DEVICES)}")
    if precision is not None and precision not in PRECISIONS:
        raise DistillbenchError(f"--precision must be one of {', '.join(PRECISIONS)}")
    if executor not in EXECUTORS:
        raise DistillbenchError(f"unknown executor {executor!r}: choose {' or '.join(EXECUTORS)}")
    if nproc_per_job < 1:
        raise DistillbenchError(f"--nproc-per-job must be at least 1, got {nproc_per_job}")
    if allow_absolute_paths:
        os.environ[ALLOW_PATHS_ENV] = "1"  # read by every process of the run (job processes, Ray workers)
    summary = run_suite(
        suite,
        seeds=_split_ints(seeds),
        smoke=smoke,
        device=device,
        precision=precision,
        compile=compile,
        out_dir=out,
        cache_dir=cache_dir,
        isolate=isolate,
        formats=_formats(format),
        executor=executor,
        address=address,
        nproc_per_job=nproc_per_job,
        trust_remote_code=trust_remote_code,
        keep_stale=keep_stale,
        shipped_teachers=shipped_teachers,
        compression=compression,
    )
    md = summary.out_dir / "leaderboard.md"
    if md.exists():
        console.print(md.read_text(), markup=False, highlight=False)
    took = f" in {format_duration(summary.wall_s)} wall time" if summary.ran else ""
    err.print(
        f"{summary.ran} job(s) run, {summary.skipped} already recorded, {summary.failed} failed{took}. "
        f"Results: {summary.out_dir / 'results.jsonl'}; leaderboard: " + ", ".join(str(p) for p in summary.reports)
    )
    if summary.failed:
        err.print(f"[red]{summary.failed} job(s) failed[/red]: see the 'error' field in the results file")
        raise typer.Exit(1)


@app.command("ls")
def ls(
    what: Annotated[str, typer.Argument(help="tasks | methods | models | suites | data | formats")] = "tasks",
    include_path: IncludePath = None,
) -> None:
    """List what is available.

    [bold]Examples[/bold]

      distillbench ls tasks      # task cards (tasks/*.yaml) and the adapters they use
      distillbench ls methods    # registered distillation methods
      distillbench ls models     # model schemes and local architectures
      distillbench ls suites     # suites in benchmarks/
      distillbench ls methods --include-path my_plugins/   # with the methods my_plugins/*.py register
    """
    from distillbench import registry
    from distillbench.config import list_names, load_card, load_suite

    _include(include_path)

    def doc(obj: Any) -> str:
        return (obj.__doc__ or "").strip().splitlines()[0] if obj.__doc__ else ""

    if what == "tasks":
        for name in list_names("tasks"):
            card = load_card(name)
            console.print(f"{name:28} adapter={card.task} v{card.version}  {card.description}", markup=False)
        console.print(f"adapters: {', '.join(registry.TASKS.names())}")
    elif what == "methods":
        for name, cls in registry.METHODS.items():
            console.print(f"{name:12} {doc(cls)}", markup=False)
    elif what == "models":
        for name, fn in registry.MODELS.items():
            console.print(f"{name + ':':14} {doc(fn)}", markup=False)
        for name, fn in registry.ARCHITECTURES.items():
            console.print(f"  local:{name:8} {doc(fn)}", markup=False)
    elif what == "suites":
        for name in list_names("benchmarks"):
            suite = load_suite(name)
            console.print(
                f"{name:28} {len(suite.tasks)} task(s), seeds {suite.seeds}  {suite.description}", markup=False
            )
    elif what == "data":
        for name, cls in registry.DATA_SOURCES.items():
            console.print(f"{name:16} {doc(cls)}", markup=False)
    elif what == "formats":
        console.print(", ".join(registry.WRITERS.names()))
    else:
        raise DistillbenchError(f"unknown listing {what!r}: choose tasks, methods, models, suites, data or formats")


@app.command()
def report(
    run_dir: Annotated[Path, typer.Argument(help="A run directory (runs/<suite>) or a results .jsonl file.")],
    format: Annotated[str, typer.Option("--format", help="Comma-separated formats.")] = FORMATS,
    out: Annotated[Path | None, typer.Option(help="Output directory (default: the run directory).")] = None,
    paper: Annotated[
        bool,
        typer.Option(
            "--paper", help="Also write paper.md / paper.tex: published vs reproduced (Δ for the same setting only)."
        ),
    ] = False,
    baselines: Annotated[
        Path | None, typer.Option(help="Directory of published baselines (default: baselines/).")
    ] = None,
    plots: Annotated[
        bool, typer.Option("--plots", help="Also write plots/<task>-quality-vs-{throughput,params}.{png,svg}.")
    ] = False,
    alpha: Annotated[
        float, typer.Option(help="Significance level of the Δ verdicts (Welch's t-test over seeds).")
    ] = 0.05,
    recompute: Annotated[
        bool,
        typer.Option(
            "--recompute",
            help="Instead of tables: recompute every quality figure from the saved predictions with scikit-learn, "
            "sacrebleu, jiwer and pycocotools and say per job whether it equals the record (exit 1 if any differs).",
        ),
    ] = False,
) -> None:
    """Write leaderboard tables from recorded results (corrupt lines are reported and skipped).

    [bold]Examples[/bold]

      distillbench report runs/default
      distillbench report runs/default/results.jsonl --format md,tex --out paper/
      distillbench report runs/default --paper --plots   # + paper.md/.tex and plots/*.png/.svg
      distillbench report runs/default --recompute       # check every figure against its predictions
    """
    from distillbench.report import build_leaderboards, write_reports
    from distillbench.results import read_results

    formats = _formats(format)
    if not 0 < alpha < 1:
        raise DistillbenchError("--alpha must lie in (0, 1)")
    loaded = read_results(run_dir, warn=False)
    for problem in loaded.problems:
        err.print(f"[yellow]warning:[/yellow] {problem}", markup=True, highlight=False)
    if not loaded.records:
        raise DistillbenchError(f"{run_dir}: no valid results to report")
    if recompute:
        from distillbench.report.recompute import check_run, render, summary

        checks = check_run(loaded.records, run_dir if run_dir.is_dir() else run_dir.parent)
        Console(width=max(console.width, 140), soft_wrap=False).print(render(checks))
        console.print(summary(checks), markup=False, highlight=False)
        raise typer.Exit(1 if any(c.status == "differs" for c in checks) else 0)
    target = out or (run_dir if run_dir.is_dir() else run_dir.parent)
    boards = build_leaderboards(loaded.records, alpha=alpha)
    paths = write_reports(boards, target, list(formats))
    md = Path(target) / "leaderboard.md"
    if md.exists():
        console.print(md.read_text(), markup=False, highlight=False)
    if plots:
        from distillbench.report.plots import write_plots

        paths += write_plots(boards, Path(target) / "plots")
    if paper:
        from distillbench.report.paper import (
            build_paper_tables,
            data_settings,
            default_baselines_dir,
            load_baselines,
            write_paper_tables,
        )

        tables = build_paper_tables(
            boards, load_baselines(baselines or default_baselines_dir()), data_settings(loaded.records)
        )
        if not tables:
            err.print("[yellow]warning:[/yellow] no baseline in baselines/ matches these tasks; paper tables empty")
        paper_paths = write_paper_tables(tables, target)
        console.print(paper_paths[0].read_text(), markup=False, highlight=False)
        paths += paper_paths
    err.print("wrote " + ", ".join(str(p) for p in paths))


@app.command()
def compare(
    base: Annotated[
        Path, typer.Argument(help="Base results: run directory, results .jsonl or pytest-benchmark .json.")
    ],
    new: Annotated[Path, typer.Argument(help="New results, in any of the same forms.")],
    threshold: Annotated[float | None, typer.Option(help="Relative threshold for every metric kind.")] = None,
    quality_threshold: Annotated[float | None, typer.Option(help="Quality metrics (default 0.01 = 1%).")] = None,
    speed_threshold: Annotated[float | None, typer.Option(help="Throughput and latency (default 0.05).")] = None,
    memory_threshold: Annotated[float | None, typer.Option(help="Peak memory (default 0.05).")] = None,
    bench_threshold: Annotated[float | None, typer.Option(help="pytest-benchmark times (default 0.05).")] = None,
    alpha: Annotated[float, typer.Option(help="Significance level of the Mann-Whitney U test.")] = 0.05,
    min_samples: Annotated[int, typer.Option(help="Fewer samples a side than this is inconclusive.")] = 3,
    format: Annotated[str, typer.Option("--format", help="What to print: text | md | json.")] = "text",
    md: Annotated[Path | None, typer.Option("--md", help="Also write the Markdown report here.")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write the JSON report here.")] = None,
    show_all: Annotated[bool, typer.Option("--all", help="Text output: show unchanged rows too.")] = False,
    fail: Annotated[bool, typer.Option("--fail/--no-fail", help="Exit 1 when a regression is found.")] = True,
    absolute_speed: Annotated[
        bool,
        typer.Option(
            "--absolute-speed",
            help="Compare throughput, latency and memory even when the two runs' hardware differs "
            "(by default only quality and within-run speed-ups are compared across machines).",
        ),
    ] = False,
) -> None:
    """Compare two result sets: per task x model x metric, both values, the change and a verdict.

    A regression is a change beyond the threshold, in the worse direction, with p < alpha
    (Mann-Whitney U over jobs, one sample per process); too few samples is 'inconclusive'. Runs on different
    hardware: absolute speed and memory are 'not compared' (--absolute-speed forces it); quality and the
    student/teacher speed-up measured inside each run still are. Exit status 1 on a regression (CI can gate
    on it), 2 on bad input.

    [bold]Examples[/bold]

      distillbench compare runs/main runs/default                # terminal table
      distillbench compare base.jsonl new.jsonl --md comment.md --json compare.json
      distillbench compare runs/main runs/default --speed-threshold 0.1 --format md
      distillbench compare .benchmarks/Linux-CPython-3.11-64bit/0001_a.json 0002_b.json
    """
    from distillbench.compare import DEFAULT_THRESHOLDS, compare_paths
    from distillbench.report.compare_writers import render_json, render_markdown, render_text

    if format not in ("text", "md", "json"):
        raise DistillbenchError(f"--format must be text, md or json, got {format!r}")
    if not 0 < alpha < 1 or min_samples < 1:
        raise DistillbenchError("--alpha must lie in (0, 1) and --min-samples be at least 1")
    limits = dict.fromkeys(DEFAULT_THRESHOLDS, threshold) if threshold is not None else {}
    for kind, value in (
        ("quality", quality_threshold),
        ("speed", speed_threshold),
        ("memory", memory_threshold),
        ("bench", bench_threshold),
    ):
        if value is not None:
            limits[kind] = value
    if any(v is None or v < 0 for v in limits.values()):
        raise DistillbenchError("thresholds must be non-negative fractions, e.g. 0.05 for 5%")
    report = compare_paths(
        base, new, thresholds=limits, alpha=alpha, min_samples=min_samples, absolute_speed=absolute_speed
    )
    if md is not None:
        md.write_text(render_markdown(report), encoding="utf-8")
    if json_out is not None:
        json_out.write_text(render_json(report), encoding="utf-8")
    if format == "text":
        Console(width=max(console.width, 160), soft_wrap=False).print(render_text(report, show_all=show_all))
    else:
        text = render_markdown(report) if format == "md" else render_json(report)
        console.print(text, markup=False, highlight=False, end="")
    if report.regressions and fail:
        raise typer.Exit(1)


@app.command()
def validate(
    suite: Annotated[str, typer.Argument(help="Suite name or path.")] = "default",
    include_path: IncludePath = None,
) -> None:
    """Check a suite and every task card it uses, without training anything.

    Checks YAML syntax, schema (unknown keys), task adapters, data sources and their options,
    methods and their options, model specs and the features each method reads.

    [bold]Example[/bold]

      distillbench validate default
      distillbench validate my_suite --include-path my_plugins/
    """
    from distillbench.validate import validate_suite

    _include(include_path)

    lines = validate_suite(suite)
    for line in lines:
        console.print(line, markup=False)
    console.print(f"OK: {suite} is valid")


@app.command("measure")
def measure_cmd(
    model: Annotated[str, typer.Argument(help="Model spec, e.g. 'timm:mobilenetv3_small_050'.")],
    task: Annotated[str, typer.Option("--task", help="Task card (name or path) whose data and test split to use.")],
    checkpoint: Annotated[str | None, typer.Option(help="Load these weights (a state dict file).")] = None,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda.")] = "auto",
    precision: Annotated[str, typer.Option(help="fp32, bf16 or fp16.")] = "fp32",
    out: Annotated[str, typer.Option(help="Directory whose results.jsonl gets the record.")] = "runs/measure",
    smoke: Annotated[bool, typer.Option(help="A small slice of the data and a short protocol.")] = False,
) -> None:
    """Evaluate one model on a card's test split and time it with the standard protocol, without training.

    Weights: untrained unless the spec asks for pretrained ones or --checkpoint gives them (the table says
    which). Appends one record (role "measured") to OUT/results.jsonl.

    [bold]Example[/bold]

      distillbench measure "timm:mobilenetv3_small_050" --task image_classification
    """
    from distillbench.measure_spec import measure_spec, summary_rows

    protocol = {"warmup_iters": 1, "min_iters": 2, "min_duration_s": 0.0, "repeats": 1, "batch_sizes": [8]}
    result = measure_spec(
        model,
        task,
        checkpoint=checkpoint,
        device=device,
        precision=precision,
        out=out,
        smoke=smoke,
        protocol=protocol if smoke else None,
    )
    for label, value in summary_rows(result):
        console.print(f"{label:<18} {value}", markup=False, highlight=False)
    console.print(f"record appended to {Path(out) / 'results.jsonl'}", markup=False)


@app.command("profile")
def profile_cmd(
    model: Annotated[str, typer.Argument(help="Model spec, e.g. a student's spec from the card.")],
    task: Annotated[str, typer.Option("--task", help="Task card (name or path) whose data and adapter to use.")],
    checkpoint: Annotated[str | None, typer.Option(help="Load these weights (a state dict file).")] = None,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda.")] = "auto",
    batch: Annotated[
        int | None, typer.Option(help="Batch size (default: the task's largest throughput batch).")
    ] = None,
    iters: Annotated[int, typer.Option(help="Profiled inference calls (after 2 warm-up calls).")] = 5,
    top: Annotated[int, typer.Option(help="Operators listed.")] = 15,
    out: Annotated[str, typer.Option(help="Directory for trace.json and profile.json.")] = "runs/profile",
    smoke: Annotated[bool, typer.Option(help="A small slice of the data.")] = False,
) -> None:
    """Profile a model's inference with torch.profiler: top operators by self time, grouped into model compute,
    pre/post-processing and framework overhead, and a Chrome/Perfetto trace.

    [bold]Example[/bold]

      distillbench profile "local:fcos(width=8, depth=1, fpn_width=32, head_convs=1)" --task detection
    """
    from distillbench.profile import profile_spec, summary_lines

    result = profile_spec(model, task, checkpoint=checkpoint, device=device, batch=batch, iters=iters, out=out,
                          smoke=smoke)  # fmt: skip
    for line in summary_lines(result, top):
        console.print(line, markup=False, highlight=False)


@app.command("show")
def show_card(
    card: Annotated[str, typer.Argument(help="Task card name or path.")],
    json_out: Annotated[bool, typer.Option("--json", help="Print the recipe as JSON.")] = False,
    include_path: IncludePath = None,
) -> None:
    """Print a task card's resolved recipe and each model's parameter count, without loading data or training.

    Data source and split, augmentation, optimiser, schedule, epochs, the methods' options (defaults
    filled in); parameters counted on models built on the meta device.

    [bold]Example[/bold]

      distillbench show paper-cifar100-resnet32x4-resnet8x4
    """
    import json

    from distillbench.config import load_card
    from distillbench.recipe import format_recipe, resolve

    _include(include_path)
    recipe = resolve(load_card(card))
    text = json.dumps(recipe, indent=2, default=str) if json_out else format_recipe(recipe)
    console.print(text, markup=False, highlight=False)


def _interrupt(signum: int, _frame: Any) -> None:
    """SIGTERM is handled like Ctrl-C: stop the current job, keep every recorded result."""
    raise KeyboardInterrupt(f"signal {signum}")


def main() -> None:
    """Console-script entry point: user errors become one message and exit status 2."""
    # Ctrl-C and kill both stop the run cleanly, even when started from a shell that ignores SIGINT
    # (background jobs of non-interactive shells inherit SIGINT as ignored).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        rc = app(standalone_mode=False)
        sys.exit(rc if isinstance(rc, int) else 0)
    except DistillbenchError as exc:
        from distillbench.runner import RunInterrupted

        err.print(f"[red]error:[/red] {exc}", highlight=False)
        sys.exit(130 if isinstance(exc, RunInterrupted) else 2)
    except KeyboardInterrupt:
        err.print("[red]interrupted[/red]")
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:  # click usage errors
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        if isinstance(exc, click.exceptions.Abort):
            sys.exit(130)
        raise


if __name__ == "__main__":
    main()
