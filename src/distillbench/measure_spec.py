"""``distillbench measure MODEL_SPEC --task CARD``: evaluate and time one model, without training it.

The model is built for the card's data by the card's task adapter (classes, channels, vocabulary), with
the weights it has: untrained (random initialisation, seed 0), pretrained where the spec asks for them
(``timm:resnet18(pretrained=True)``; offline only from a local cache), a checkpoint's (``--checkpoint``:
a state dict, or a dict holding one under ``state_dict`` as the teacher cache writes), or none for a
black-box model (``pocketsphinx:...``). Its quality is the adapter's evaluation on the card's test split
(predictions saved beside the record); its speed, latency, memory, size and FLOPs come from the standard
protocol, :func:`distillbench.measure.measure_model` (the suite defaults of :class:`MeasureConfig`, narrowed
by the adapter as in every run). One record, ``role: "measured"``, is appended to ``<out>/results.jsonl``
with the run records' schema; ``speed``, ``memory`` and ``size`` hold the dicts measure_model returns.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import time
from pathlib import Path
from typing import Any

import torch
from torch import nn

from distillbench import measure
from distillbench.adapters.base import DataSplits, TaskAdapter, split_predictions
from distillbench.config import MeasureConfig, TaskCard, config_hash, from_dict, load_card
from distillbench.env import collect_env
from distillbench.errors import ConfigError, DistillbenchError
from distillbench.fingerprint import code_fingerprint
from distillbench.jobs import card_hash
from distillbench.models.spec import parse_spec
from distillbench.predictions import write_predictions
from distillbench.registry import TASKS
from distillbench.results import Result, append_result, results_path
from distillbench.train import seed_everything

ROLE = "measured"
SUITE = "measure"


def load_weights(model: nn.Module, path: str) -> str:
    """Load a checkpoint's state dict into ``model`` (strict); return the file's sha256."""
    file = Path(path).expanduser()
    if not file.is_file():
        raise ConfigError(f"--checkpoint {path!r}: no such file")
    try:
        blob = torch.load(file, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ConfigError(f"--checkpoint {path!r} is not a readable torch file: {type(exc).__name__}: {exc}") from None
    state = blob.get("state_dict", blob) if isinstance(blob, dict) else None
    if not isinstance(state, dict):
        raise ConfigError(f"--checkpoint {path!r} holds no state dict (a mapping, or one under 'state_dict')")
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        raise ConfigError(f"--checkpoint {path!r} does not fit the model: {exc}") from None
    return hashlib.sha256(file.read_bytes()).hexdigest()


def weights_of(spec: str, model: nn.Module, checkpoint: str | None, sha: str | None) -> str:
    """What the measured weights are, in words."""
    if getattr(model, "blackbox", False):
        return "black-box model (no weights)"
    if checkpoint:
        return f"checkpoint {checkpoint} (sha256 {sha})"
    kwargs = parse_spec(spec).kwargs
    if kwargs.get("pretrained") or kwargs.get("weights"):
        return "pretrained (as the spec asks)"
    return "untrained (random initialisation, seed 0)"


def build(adapter: TaskAdapter, spec: str, data: Any, card_name: str) -> nn.Module:
    """The adapter's model for ``spec``; any failure becomes one clear error naming the spec and the card."""
    seed_everything(0)
    try:
        return adapter.build_model(spec, data)
    except DistillbenchError as exc:
        raise type(exc)(f"model {spec!r} cannot be built for card {card_name!r}: {exc}") from None
    except Exception as exc:
        raise ConfigError(
            f"model {spec!r} cannot be built for card {card_name!r}: {type(exc).__name__}: {exc}"
        ) from None


def load_spec(
    spec: str, card_name: str, checkpoint: str | None, device: str, smoke: bool
) -> tuple[TaskCard, TaskAdapter, DataSplits, nn.Module, str | None, torch.device]:
    """A card, its adapter and data, and ``spec`` built for it with the checkpoint's weights (and their sha256)."""
    card = load_card(card_name)
    dev = measure.resolve_device(device)
    adapter: TaskAdapter = TASKS.get(card.task)(card)
    data = adapter.load_data(smoke=smoke)
    model = build(adapter, spec, data, card.name)
    sha = load_weights(model, checkpoint) if checkpoint else None
    return card, adapter, data, model, sha, dev


def measure_spec(
    spec: str,
    card_name: str,
    *,
    checkpoint: str | None = None,
    device: str = "auto",
    precision: str = "fp32",
    out: str = "runs/measure",
    smoke: bool = False,
    protocol: dict[str, Any] | None = None,
) -> Result:
    """Evaluate and time ``spec`` on the card's data; append and return its ``role: "measured"`` record."""
    card, adapter, data, model, sha, dev = load_spec(spec, card_name, checkpoint, device, smoke)
    weights = weights_of(spec, model, checkpoint, sha)
    code = code_fingerprint()
    job_id = config_hash(ROLE, spec, card_hash(card), sha, str(dev), precision, smoke, protocol or {}, code)
    model = model.to(dev).eval()
    start = time.perf_counter()
    amp = lambda: measure.autocast(dev, precision)  # noqa: E731
    quality, predictions = split_predictions(adapter.evaluate(model, data.test, dev, amp))
    quality["eval_seconds"] = time.perf_counter() - start
    mcfg = adapter.measure_config(from_dict(MeasureConfig, protocol or {}, where="measure protocol"))

    def make_inputs(batch: int) -> dict[str, Any]:
        return {k: v.to(dev) for k, v in adapter.example_inputs(data, batch).items()}

    figures = measure.measure_model(model, make_inputs, adapter.infer, mcfg, dev, precision)
    speed = figures["speed"]
    speed.update(throughput_unit=f"{adapter.sample_unit}/s", inputs=adapter.describe_inputs(data))
    speed.update(adapter.speed_extras(data, speed))
    out_dir = Path(out)
    written = write_predictions(str(out_dir), job_id, predictions) if predictions else None
    result = Result(
        job_id=job_id,
        base_id=config_hash(ROLE, spec, card_hash(card), sha, str(dev), precision, smoke, protocol or {}),
        code_fingerprint=code,
        suite=SUITE,
        task=card.name,
        task_version=card.version,
        role=ROLE,
        model_name=spec,
        model_spec=spec,
        method=None,
        seed=0,
        primary_metric=adapter.metric,
        quality=quality,
        higher_is_better=dict(adapter.metrics),
        speed=speed,
        memory=figures["memory"],
        size=figures["size"],
        training={"weights": weights, "checkpoint": checkpoint, "checkpoint_sha256": sha, "trained": False},
        config={
            "data": {**data.info, "sizes": data.sizes(), "source_name": card.data.source},
            "measure": dataclasses.asdict(mcfg),
            "smoke": smoke,
            "card": card.path,
            "card_hash": card_hash(card),
            "predictions": os.path.relpath(written, out_dir) if written else None,
        },
        config_hash=card_hash(card),
        env=collect_env(dev),
    )
    append_result(results_path(out_dir), result)
    return result


def summary_rows(result: Result) -> list[tuple[str, str]]:
    """(label, value) lines of the small table the command prints."""
    q, s = result.quality, result.speed
    sizes = result.config["data"]["sizes"]
    rows = [("model", result.model_spec), ("task", f"{result.task} (test split, n={sizes['test']})")]
    rows.append(("weights", result.training["weights"]))
    for metric, higher in result.higher_is_better.items():
        if isinstance(q.get(metric), (int, float)):
            rows.append((metric, f"{q[metric]:.4f} ({'higher' if higher else 'lower'} is better)"))
    rows.append(("throughput", f"{s['throughput']:.1f} {s['throughput_unit']} (batch {s['throughput_batch_size']})"))
    rows.append(("latency p50 / p90", f"{s['latency_p50_ms']:.2f} / {s['latency_p90_ms']:.2f} ms (batch 1)"))
    rows.append(("parameters", f"{result.size.get('params', 0):,}"))
    mflops = result.size.get("mflops_per_sample")
    rows.append(("MFLOPs / sample", f"{mflops:.2f}" if isinstance(mflops, (int, float)) else "n/a"))
    rows.append(("utilisation", utilisation_text(s)))
    rows.append(("energy", energy_text(s.get("energy"))))
    rows.append(("device", f"{s['device']} ({s.get('device_name', '')}), {s['precision']}, {s['threads']} threads"))
    return rows


def utilisation_text(speed: dict[str, Any]) -> str:
    """``1.23 GFLOP/s achieved, 4.5% of 27.3 GFLOP/s (matmul microbenchmark ...)``, or why not."""
    achieved, peak = speed.get("achieved_flops_per_s"), speed.get("peak") or {}
    if achieved is None:
        return "not recorded (no FLOP count)"
    if not speed.get("peak_flops_per_s"):
        return f"{achieved / 1e9:.2f} GFLOP/s achieved; peak unknown: {peak.get('reason', 'not recorded')}"
    share, peak_g = speed["peak_share"] * 100, speed["peak_flops_per_s"] / 1e9
    return f"{achieved / 1e9:.2f} GFLOP/s achieved, {share:.2f}% of {peak_g:.1f} GFLOP/s ({peak.get('source')})"


def energy_text(energy: dict[str, Any] | None) -> str:
    """``12.3 J per 1,000 samples (nvml, board)`` or ``not measurable: <why>``."""
    if not energy:
        return "not recorded"
    if energy.get("j_per_1000_samples") is None:
        return f"{energy.get('status')}: {energy.get('reason')}"
    return f"{energy['j_per_1000_samples']:.3f} J per 1,000 samples ({energy.get('source')}, {energy.get('scope')})"
