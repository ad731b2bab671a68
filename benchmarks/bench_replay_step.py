"""KD under augmentation with soft-label replay vs a no_kd step (issue 18, item 2; FKD, Shen & Xing 2022).

Two students, each with its card's augmentation switched to ``replay: true`` (random crop after padding,
and flip where the recipe has it): the image card's cnn-w8 (resnet-w32 teacher, MNIST, 2-pixel jitter) and
the CIFAR-100 recipe's resnet8x4 (resnet32x4 teacher, crop 32 after 4-pixel padding, flip) on a stand-in
image folder of random 32x32 RGB images in 100 classes (CIFAR-100 itself is on the hub; a step's cost does
not depend on the pixels). Each repeat trains a fresh student for ``--steps`` steps with ``no_kd`` (the same
replayed views, no teacher), with ``kd`` on the replay (the teacher's recorded outputs on those views) and
with ``kd`` running the teacher online on them, in a rotating order in one process with the same threads.
A step is timed from the loop's progress callback (the first step, which builds the optimiser, left out);
every run sees the same batches and views, so each repeat's ratio (KD time / no_kd time) compares equal
work; figures are medians over repeats with their range. Target: KD with replay <= 1.10x no_kd.

The replay is built once before timing over the rows the runs use (its build time and its size are
printed: bytes per sample per epoch, and what the card's full recipe would take), and once more with
``replay_top_k: 10`` for its size only. Run it alone::

    OMP_NUM_THREADS=1 flock /tmp/distillbench-cpu.lock .venv/bin/python benchmarks/bench_replay_step.py
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from bench_kd_step import step_times  # benchmarks/ is the script's folder: on sys.path
from distillbench.config import load_card
from distillbench.measure import autocast
from distillbench.registry import TASKS
from distillbench.teacher_outputs import CacheOptions
from distillbench.teacher_replay import TeacherReplay, build_replay, bytes_per_view
from distillbench.train import seed_everything
from distillbench.worker import train_config

CONFIGS = ("no_kd", "kd_cached", "kd_online")  # bench_kd_step.step_times's names; "kd_cached" reads the replay
ROOT = Path(__file__).resolve().parents[1]


def stand_in_cifar(root: Path, classes: int = 100, per_class: int = 8) -> Path:
    """An image folder of random 32x32 RGB images (train and test), ``per_class`` training images per class."""
    from PIL import Image

    rng = np.random.default_rng(0)
    for split, n in (("train", per_class), ("test", 1)):
        for c in range(classes):
            d = root / split / f"class{c:03d}"
            d.mkdir(parents=True, exist_ok=True)
            for i in range(n):
                Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(d / f"{i}.png")
    return root


def cases(tmp: Path) -> list[tuple[str, str]]:
    """(card path, student) per case: each card with its augmentation replayed (image first, then CIFAR)."""
    image = tmp / "image-replay.yaml"
    image.write_text(
        f"include: {ROOT / 'tasks' / 'image_classification.yaml'}\nname: image-replay\n"
        "student_train: {epochs: 15, batch_size: 64, optimizer: sgd, lr: 0.05, weight_decay: 0.0005,"
        " augment: {padding: 2, replay: true}}\n"
    )
    folder = stand_in_cifar(tmp / "cifar-standin")
    cifar = tmp / "cifar-replay.yaml"
    cifar.write_text(
        f"include: {ROOT / 'tasks' / 'paper-cifar100-resnet32x4-resnet8x4.yaml'}\nname: cifar-replay\n"
        f"data:\n  options: {{name: imagefolder, data_dir: {folder}, image_column: image, label_column: label,"
        " num_classes: 100}\n"
        "student_train: {epochs: 240, batch_size: 64, optimizer: sgd, lr: 0.05, momentum: 0.9, nesterov: false,"
        " weight_decay: 0.0005, schedule: multistep, milestones: [150, 180, 210], gamma: 0.1,"
        " augment: {padding: 4, flip: true, replay: true}}\n"
    )
    return [(str(image), "cnn-w8"), (str(cifar), "resnet8x4")]


def bench(card_path: str, student_name: str, steps: int, repeats: int) -> dict[str, Any]:
    card = load_card(card_path)
    adapter = TASKS.get(card.task)(card)
    data = adapter.load_data()
    student = card.student(student_name)
    full = train_config(card, student, card.student_train, False)
    cfg = replace(full, epochs=1, val_every=0, max_batches_per_epoch=steps + 1, select="last")
    data.train = data.train.select(range(min(len(data.train), cfg.batch_size * (steps + 1))))
    seed_everything(0)
    teacher = adapter.build_model(card.teacher.model, data).eval()
    start = time.perf_counter()
    amp = lambda: autocast(torch.device("cpu"), "fp32")  # noqa: E731
    tensors = build_replay(
        adapter, teacher, data, cfg, device=torch.device("cpu"), amp=amp, sparse_ok=True, options=CacheOptions()
    )
    build_s = time.perf_counter() - start
    kw = {"teacher": teacher, "outputs": TeacherReplay(tensors)}
    runs: dict[str, list[list[float]]] = {c: [] for c in CONFIGS}
    step_times(adapter, card, student, data, cfg, "kd_online", **kw)  # warm-up (allocator, kernels)
    for r in range(repeats):
        for config in CONFIGS[r % 3 :] + CONFIGS[: r % 3]:  # rotate: no configuration always runs first
            runs[config].append(step_times(adapter, card, student, data, cfg, config, **kw))
    ratios = {c: [sum(a) / sum(b) for a, b in zip(runs[c], runs["no_kd"], strict=True)] for c in CONFIGS[1:]}
    per_view = bytes_per_view(tensors)
    top10 = replace(cfg, augment={**cfg.augment, "replay_top_k": 10})  # FKD-style storage: the 10 largest logits
    tensors_top10 = build_replay(
        adapter, teacher, data, top10, device=torch.device("cpu"), amp=amp, sparse_ok=True, options=CacheOptions()
    )
    return {
        "case": f"{card.name}/{student_name} ({card.teacher.name} teacher)",
        "augment": cfg.augment,
        "batch_size": cfg.batch_size,
        "steps": len(runs["no_kd"][0]),
        "step_ms": {c: 1e3 * statistics.median(sum(v) / len(v) for v in rs) for c, rs in runs.items()},
        "ratio": {c: statistics.median(v) for c, v in ratios.items()},
        "ratio_range": {c: (min(v), max(v)) for c, v in ratios.items()},
        "build_s": build_s,
        "rows": len(data.train),
        "bytes_per_view": per_view,
        "bytes_per_view_top10": bytes_per_view(tensors_top10),
        "full_recipe": (full.epochs, per_view),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20, help="timed steps per run of the image student")
    parser.add_argument("--cifar-steps", type=int, default=6, help="timed steps per run of resnet8x4")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved repeats")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s); {args.repeats} interleaved repeats")
    with tempfile.TemporaryDirectory() as tmp:
        for (card, student), steps in zip(cases(Path(tmp)), (args.steps, args.cifar_steps), strict=True):
            r = bench(card, student, steps, args.repeats)
            ms, ratio, lo_hi = r["step_ms"], r["ratio"], r["ratio_range"]
            epochs, per_view = r["full_recipe"]
            top10 = r["bytes_per_view_top10"]
            print(
                f"{r['case']}, augment {r['augment']}, batch {r['batch_size']}, {r['steps']} steps per run:\n"
                f"  mean step no_kd {ms['no_kd']:.2f} ms, kd replay {ms['kd_cached']:.2f} ms, kd online "
                f"{ms['kd_online']:.2f} ms (medians over repeats)\n"
                f"  KD/no_kd ratio with replay {ratio['kd_cached']:.3f} (repeats {lo_hi['kd_cached'][0]:.3f}-"
                f"{lo_hi['kd_cached'][1]:.3f}), teacher online {ratio['kd_online']:.3f} ({lo_hi['kd_online'][0]:.3f}-"
                f"{lo_hi['kd_online'][1]:.3f})\n"
                f"  replay: {per_view} bytes per sample per epoch; built over {r['rows']} rows x 1 epoch in "
                f"{r['build_s']:.1f} s; the card's {epochs} epochs would store {per_view * epochs} bytes per sample\n"
                f"  with replay_top_k 10: {top10} bytes per sample per epoch, {top10 * epochs} per sample over "
                f"{epochs} epochs"
            )


if __name__ == "__main__":
    main()
