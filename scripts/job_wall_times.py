"""Wall time per method job of a run, from its records: a Markdown table for a results README.

Per model and method (each born_again row is its own method), over the recorded jobs: how many, the mean and
range of ``training.wall_time_s`` (training and validation, as the training loop timed it; a born_again/ensemble
job trains nothing when its generations are cached and records the time it took to load them), and the mean
job time: the gap between a record's ``created`` stamp and the one before it in results.jsonl (a sequential
run's job including process start, data loading and testing; 1-second resolution; the first record has none).

    python scripts/job_wall_times.py results/<dir>            # prints the table
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections import defaultdict
from datetime import datetime
from pathlib import Path


def wall_times(run_dir: Path) -> list[str]:
    records = [json.loads(line) for line in (run_dir / "results.jsonl").read_text().splitlines() if line.strip()]
    train: dict[tuple[str, str], list[float]] = defaultdict(list)
    job: dict[tuple[str, str], list[float]] = defaultdict(list)
    previous = None
    for rec in records:
        created = datetime.fromisoformat(rec["created"])
        key = (rec["model_name"], rec.get("method") or rec["role"])
        if rec.get("status") == "ok":
            train[key].append(float((rec.get("training") or {}).get("wall_time_s") or 0.0))
            if previous is not None:
                job[key].append((created - previous).total_seconds())
        previous = created
    lines = [
        "| model | method | jobs | training wall time, mean (s) | range (s) | job wall time, mean (s) |",
        "|:---|:---|---:|---:|---:|---:|",
    ]
    for (model, method), values in train.items():
        gaps = job.get((model, method))
        gap = f"{statistics.mean(gaps):.1f}" if gaps else "—"
        span = f"{min(values):.1f}–{max(values):.1f}"
        lines.append(f"| {model} | {method} | {len(values)} | {statistics.mean(values):.1f} | {span} | {gap} |")
    total = sum(sum(v) for v in job.values())
    lines += ["", f"Sum of the job wall times: {total / 60:.1f} min over {sum(len(v) for v in job.values())} jobs."]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    print("\n".join(wall_times(parser.parse_args(argv).run_dir)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
