"""``distillbench teachers build CARD``: train a card's teacher once and export it as a shipped artifact.

The teacher is trained by the normal teacher job (worker.py, shipped teachers off), so its record and test
predictions come out as in any run; they are kept in ``teachers/<card>/build/`` (``results.jsonl`` and
``predictions/``, so ``distillbench report teachers/<card>/build --recompute`` checks them). Then the
selected epoch's weights are exported (weights.py: only what training changed, fp16 where fp32 would be
large), loaded back exactly as a run loads them, and evaluated on the validation and test splits: the
manifest's quality is that of the stored weights, which ``teachers verify`` must reproduce.

Everything is written into a staging folder and swapped in at the end, so an interrupted build leaves the
previous artifact (or none), never a half-written one.
"""

from __future__ import annotations

import json
import logging
import platform
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch

from distillbench import __version__, measure
from distillbench.adapters.base import split_predictions
from distillbench.config import MeasureConfig, TaskCard, load_card, to_plain
from distillbench.errors import ConfigError
from distillbench.fingerprint import code_fingerprint
from distillbench.jobs import Job
from distillbench.paths import default_cache_dir, use_cache_root
from distillbench.predictions import adopt
from distillbench.registry import TASKS
from distillbench.results import RESULTS_FILE, append_result
from distillbench.teachers.manifest import (
    BUILD_DIR,
    FORMAT,
    MANIFEST_FILE,
    WEIGHTS_FILE,
    card_sections,
    sha256_file,
    teacher_key,
    teachers_root,
)
from distillbench.teachers.weights import deterministic_keys, export_weights, load_artifact_weights
from distillbench.train import seed_everything

log = logging.getLogger(__name__)
#: above this many bytes of fp32 tensors an artifact is stored as fp16 (``dtype="auto"``)
FP16_ABOVE_BYTES = 16 * 2**20
Say = Callable[[str], None]


@dataclass
class Built:
    folder: Path
    manifest: dict[str, Any]
    seconds: float


def evaluate_artifact(card: TaskCard, folder: Path, manifest: dict[str, Any], device: str = "cpu") -> dict[str, Any]:
    """Load the artifact in ``folder`` as a run does and score it: ``{"val": {...}, "test": {...}}``."""
    dev = measure.resolve_device(device)
    adapter = TASKS.get(card.task)(card)
    data = adapter.load_data(smoke=False)
    seed_everything(card.teacher_seed)
    model = adapter.build_model(card.teacher.model, data)
    if manifest.get("data_version") not in (None, str(data.info.get("version"))):
        raise ConfigError(
            f"{folder}: built on data version {manifest['data_version']}, the data here is {data.info.get('version')}"
        )
    load_artifact_weights(model, folder / WEIGHTS_FILE, manifest["weights"])
    model = model.to(dev).eval()
    out: dict[str, Any] = {}
    for split, ds in (("val", data.val), ("test", data.test)):
        quality, _ = split_predictions(adapter.evaluate(model, ds, dev, lambda: measure.autocast(dev, "fp32")))
        out[split] = {k: quality[k] for k in adapter.metrics if k in quality}
    out["primary_metric"] = adapter.metric
    out["higher_is_better"] = dict(adapter.metrics)
    out["data_version"] = str(data.info.get("version"))
    return out


def build_teacher(
    name: str,
    *,
    root: Path | None = None,
    cache_dir: str | None = None,
    device: str = "cpu",
    dtype: str = "auto",
    command: str = "",
    say: Say = print,
) -> Built:
    """Train ``name``'s teacher (or take it from the teacher cache), export and evaluate it, swap it in."""
    from distillbench.worker import run_job  # the normal teacher job: same code path as a run

    start = time.perf_counter()
    card = load_card(name)
    if card.teacher.checkpoint or card.teacher_train.epochs == 0:
        raise ConfigError(f"{card.path}: the teacher is not trained here (checkpoint or epochs: 0): nothing to build")
    root = root or teachers_root()
    cache = str(Path(cache_dir or default_cache_dir()).expanduser().resolve())
    stage = root / f".{card.name}.building"
    shutil.rmtree(stage, ignore_errors=True)
    (stage / BUILD_DIR).mkdir(parents=True)
    job = Job(
        suite=f"teachers-{card.name}",
        card=card.path,
        role="teacher",
        model_name=card.teacher.name,
        method=None,
        seed=card.teacher_seed,
        device=device,
        precision="fp32",
        compile=False,
        smoke=False,
        measure=to_plain(MeasureConfig()),
        cache_dir=cache,
        code=code_fingerprint(),
    )
    say(f"[{card.name}] training the teacher {card.teacher.name} ({card.teacher.model}) with the teacher job")
    last = {"text": "", "at": 0.0}

    def progress(done: int, total: int, text: str) -> None:
        now = time.perf_counter()
        if text != last["text"] and (now - last["at"] > 10 or "epoch" not in text or done == total):
            say(f"[{card.name}] {now - start:7.1f} s  {text}")
            last.update(text=text, at=now)

    with use_cache_root(cache):
        result = run_job(job, progress)
        if result.status != "ok":
            raise ConfigError(f"{card.name}: the teacher job failed: {result.error}")
        adopt(result.config, stage / BUILD_DIR)
        append_result(stage / BUILD_DIR / RESULTS_FILE, result)
        trained = time.perf_counter() - start
        say(
            f"[{card.name}] teacher job done in {trained:.1f} s (training {result.training.get('wall_time_s', 0):.1f} s"
            f"{', from the teacher cache' if result.training.get('cached') else ''}); test "
            f"{result.primary_metric} {result.quality.get(result.primary_metric)}"
        )
        blob = torch.load(result.training["cache_path"], map_location="cpu", weights_only=True)
        adapter = TASKS.get(card.task)(card)
        data = adapter.load_data(smoke=False)
        builds = []
        for seed in (card.teacher_seed, card.teacher_seed + 1):
            seed_everything(seed)
            builds.append(adapter.build_model(card.teacher.model, data).state_dict())
        state = blob["state_dict"]
        fp32_bytes = sum(t.numel() * 4 for t in state.values() if t.is_floating_point())
        chosen = dtype if dtype != "auto" else ("fp16" if fp32_bytes > FP16_ABOVE_BYTES else "fp32")
        weights = export_weights(stage / WEIGHTS_FILE, state, builds[0], deterministic_keys(*builds), chosen)
        weights["sha256"] = sha256_file(stage / WEIGHTS_FILE)
        say(
            f"[{card.name}] exported {weights['tensors']} tensors ({weights['parameters_stored']:,} parameters, "
            f"{chosen}, {weights['bytes'] / 2**20:.2f} MiB); {weights['rebuilt_from_spec']['tensors']} rebuilt from "
            "the spec at load"
        )
        manifest = _manifest(card, result, weights, command)
        manifest["data_version"] = str(data.info.get("version"))
        say(f"[{card.name}] evaluating the stored weights on the validation and test splits")
        scores = evaluate_artifact(card, stage, manifest, device)
    manifest["quality"] = {
        "primary_metric": scores["primary_metric"],
        "higher_is_better": scores["higher_is_better"],
        "test": scores["test"],
        "val": scores["val"],
        "measured_with": f"the stored ({chosen}) weights, loaded as a run loads them",
    }
    manifest["build"]["seconds"] = round(time.perf_counter() - start, 1)
    (stage / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    final = root / card.name
    old = root / f".{card.name}.old"
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        final.rename(old)
    stage.rename(final)
    shutil.rmtree(old, ignore_errors=True)
    seconds = time.perf_counter() - start
    say(
        f"[{card.name}] artifact {final}: test {scores['primary_metric']} {scores['test'][scores['primary_metric']]}"
        f" (stored weights); built in {seconds:.1f} s"
    )
    return Built(final, manifest, seconds)


def _weights_packages(spec: str) -> dict[str, str]:
    """Versions of the packages a spec reads pretrained weights from (``pkg:NAME`` arguments)."""
    import re
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in re.findall(r"pkg:([A-Za-z0-9_.-]+)", spec):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def _manifest(card: TaskCard, result: Any, weights: dict[str, Any], command: str) -> dict[str, Any]:
    training = result.training
    epochs = result.quality.get("epochs") or {}
    return {
        "format": FORMAT,
        "card": card.name,
        "card_version": card.version,
        "teacher": card.teacher.name,
        "model_spec": card.teacher.model,
        "teacher_key": teacher_key(card),
        "card_sections": card_sections(card),
        "weights": weights,
        "quality": {},
        "training": {
            "epochs": training.get("epochs"),
            "steps": training.get("steps"),
            "samples": training.get("samples"),
            "wall_time_s": training.get("wall_time_s"),
            "val_time_s": training.get("val_time_s"),
            "epoch_losses": training.get("epoch_losses"),
            "val_curve": epochs.get("val_curve"),
            "val_history": training.get("val_history"),
            "best_epoch": training.get("best_epoch"),
            "selection": result.quality.get("selection"),
            "config": training.get("config"),
            "from_teacher_cache": bool(training.get("cached")),
            "job_test_quality": {k: result.quality.get(k) for k in result.higher_is_better},
        },
        "build": {
            "code_fingerprint": result.code_fingerprint,
            "distillbench": __version__,
            "torch": torch.__version__,
            "python": platform.python_version(),
            "threads": torch.get_num_threads(),
            "device": (result.env or {}).get("device"),
            "cpu": (result.env or {}).get("cpu") or platform.processor(),
            "git_sha": (result.env or {}).get("git_sha"),
            "packages": (result.env or {}).get("packages"),
            "weights_packages": _weights_packages(card.teacher.model),
            "command": command or " ".join(["distillbench", *sys.argv[1:]]),
            "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "job_id": result.job_id,
            "results": f"{BUILD_DIR}/{RESULTS_FILE}",
        },
    }
