"""KD training step vs no_kd training step, with and without cached teacher outputs (issue 17, item 3).

For the image student (image_classification card, cnn-w8) and the sentiment student (sentiment card,
minilm-l3): each repeat trains a fresh student for ``--steps`` steps with ``no_kd``, with ``kd`` reading
the teacher's cached outputs (teacher_outputs.py) and with ``kd`` running the teacher online, in a
rotating order (interleaved: the three share every minute of machine noise), in one process with the
same threads. A step is timed from the loop's progress callback (one call per step), so the first step
of each run (which builds the optimiser) is left out. Every run sees the same batches in the same order
(same seed), so each repeat's ratio (KD time / no_kd time over those steps) compares equal work; the
figures are the medians over repeats (with their range). The target is <= 1.05 with the cache.

Models are built from the cards' specs untrained (a step's cost does not depend on the weights); the
training split is cut to ``--rows`` rows (the cost of a step does not depend on the split's size), and
the cache over those rows is built once before timing (its build time is printed apart). Run it alone::

    OMP_NUM_THREADS=1 flock /tmp/distillbench-cpu.lock .venv/bin/python benchmarks/bench_kd_step.py
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time
from dataclasses import replace
from typing import Any

import torch

from distillbench.config import load_card
from distillbench.measure import autocast
from distillbench.methods.base import build_method
from distillbench.registry import TASKS
from distillbench.teacher_outputs import CacheOptions, TeacherOutputs
from distillbench.teacher_outputs_build import build_outputs
from distillbench.train import seed_everything, train_model
from distillbench.worker import train_config

CASES = (("image_classification", "cnn-w8"), ("sentiment", "minilm-l3"))
CONFIGS = ("no_kd", "kd_cached", "kd_online")


def step_times(adapter: Any, card: Any, student: Any, data: Any, cfg: Any, config: str, **kw: Any) -> list[float]:
    """Per-step seconds of one short training run (first step left out)."""
    seed_everything(0)
    model = adapter.build_model(student.model, data)
    method = build_method("no_kd" if config == "no_kd" else "kd", None if config == "no_kd" else card.methods["kd"])
    stamps: list[float] = []
    teacher = kw["teacher"] if config == "kd_online" else None
    outputs = kw["outputs"] if config == "kd_cached" else None
    train_model(
        adapter,
        model,
        data,
        cfg,
        method,
        seed=0,
        device=torch.device("cpu"),
        teacher=teacher,
        teacher_outputs=outputs,
        names=(student.name, card.teacher.name),
        progress=lambda *_: stamps.append(time.perf_counter()),
    )
    return [b - a for a, b in itertools.pairwise(stamps)]


def bench(card_name: str, student_name: str, steps: int, repeats: int, rows: int) -> dict[str, Any]:
    card = load_card(card_name)
    adapter = TASKS.get(card.task)(card)
    data = adapter.load_data()
    data.train = data.train.select(range(min(rows, len(data.train))))
    student = card.student(student_name)
    cfg = replace(train_config(card, student, card.student_train, False), epochs=1, val_every=0)
    cfg = replace(cfg, max_batches_per_epoch=steps + 1, select="last")
    seed_everything(0)
    teacher = adapter.build_model(card.teacher.model, data).eval()
    start = time.perf_counter()
    tensors = build_outputs(
        adapter,
        teacher,
        data,
        batch_size=cfg.batch_size,
        device=torch.device("cpu"),
        amp=lambda: autocast(torch.device("cpu"), "fp32"),
        feature_paths={},
        sparse_ok=True,
        options=CacheOptions(),
    )
    build_s = time.perf_counter() - start
    kw = {"teacher": teacher, "outputs": TeacherOutputs(tensors)}
    runs: dict[str, list[list[float]]] = {c: [] for c in CONFIGS}
    step_times(adapter, card, student, data, cfg, "kd_online", **kw)  # warm-up (allocator, kernels)
    for r in range(repeats):
        order = CONFIGS[r % 3 :] + CONFIGS[: r % 3]  # rotate: no configuration always runs first
        for config in order:
            runs[config].append(step_times(adapter, card, student, data, cfg, config, **kw))
    # every run sees the same batches in the same order (same seed), so a repeat's ratio compares equal work
    ratios = {c: [sum(a) / sum(b) for a, b in zip(runs[c], runs["no_kd"], strict=True)] for c in CONFIGS[1:]}
    return {
        "case": f"{card_name}/{student_name}",
        "batch_size": cfg.batch_size,
        "steps": len(runs["no_kd"][0]),
        "step_ms": {c: 1e3 * statistics.median(sum(v) / len(v) for v in rs) for c, rs in runs.items()},
        "ratio": {c: statistics.median(v) for c, v in ratios.items()},
        "ratio_range": {c: (min(v), max(v)) for c, v in ratios.items()},
        "cache_build_s": build_s,
        "cache_rows": len(data.train),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20, help="timed steps per run")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved repeats")
    parser.add_argument("--rows", type=int, default=2048, help="training rows kept (the cache is built over them)")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s); {args.repeats} interleaved repeats")
    for card, student in CASES:
        r = bench(card, student, args.steps, args.repeats, args.rows)
        ms, ratio, lo_hi = r["step_ms"], r["ratio"], r["ratio_range"]
        print(
            f"{r['case']}, batch {r['batch_size']}, {r['steps']} steps per run: mean step no_kd {ms['no_kd']:.2f} ms, "
            f"kd cached {ms['kd_cached']:.2f} ms, kd online {ms['kd_online']:.2f} ms (medians over repeats)\n"
            f"  KD/no_kd ratio with the cache {ratio['kd_cached']:.3f} (repeats {lo_hi['kd_cached'][0]:.3f}-"
            f"{lo_hi['kd_cached'][1]:.3f}), without {ratio['kd_online']:.3f} ({lo_hi['kd_online'][0]:.3f}-"
            f"{lo_hi['kd_online'][1]:.3f}); cache built over {r['cache_rows']} rows in {r['cache_build_s']:.1f} s"
        )


if __name__ == "__main__":
    main()
