"""Wall time per method job of a run, from its records: a Markdown table for a results README.

Per model and method (each born_again row is its own method), over the recorded jobs: how many, the mean and
range of the job's wall time (``wall_s``: the whole job as the runner timed it, from the job process's start to
its record: data loading, training, validation and testing) and the mean of ``training.wall_time_s`` (the
training loop alone). A born_again/ensemble job trains nothing when its generations are cached. Records from
before ``wall_s`` existed show "—" there.

``scripts/sync_readmes.py`` writes this table into a results README between ``<!-- generated:job-times -->``
and its end marker; by hand::

    python scripts/job_wall_times.py results/<dir>/run            # prints the table
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections import defaultdict
from pathlib import Path


def wall_times(run_dir: Path) -> list[str]:
    records = [json.loads(line) for line in (run_dir / "results.jsonl").read_text().splitlines() if line.strip()]
    job: dict[tuple[str, str], list[float]] = defaultdict(list)
    train: dict[tuple[str, str], list[float]] = defaultdict(list)
    for rec in records:
        if rec.get("status") != "ok":
            continue
        key = (rec["model_name"], rec.get("method") or rec["role"])
        if rec.get("wall_s") is not None:
            job[key].append(float(rec["wall_s"]))
        train[key].append(float((rec.get("training") or {}).get("wall_time_s") or 0.0))
    lines = [
        "| model | method | jobs | job wall time, mean (s) | range (s) | of which training, mean (s) |",
        "|:---|:---|---:|---:|---:|---:|",
    ]
    for key, values in train.items():
        walls = job.get(key)
        mean = f"{statistics.mean(walls):.1f}" if walls else "—"
        span = f"{min(walls):.1f}–{max(walls):.1f}" if walls else "—"
        lines.append(f"| {key[0]} | {key[1]} | {len(values)} | {mean} | {span} | {statistics.mean(values):.1f} |")
    total = sum(sum(v) for v in job.values())
    count = sum(len(v) for v in job.values())
    lines += ["", f"Sum of the job wall times: {total / 60:.1f} min over {count} jobs (jobs ran one after another)."]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    print("\n".join(wall_times(parser.parse_args(argv).run_dir)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
