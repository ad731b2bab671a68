"""``distillbench profile MODEL_SPEC --task CARD``: where one model's inference time goes, by operator and by kind.

A student with 8x fewer FLOPs that runs 1.3x faster spends its time somewhere other than dense arithmetic.
This command answers where: the model is built the way ``distillbench measure`` builds it
(:func:`distillbench.measure_spec.build`, optionally with ``--checkpoint`` weights), put in eval mode, warmed
up, and ``iters`` calls of the task's inference at batch ``batch`` are recorded with :mod:`torch.profiler`
(inputs made by the adapter inside the profiled region, so tokenisation and feature extraction are seen).
The trace goes to ``<out>/trace.json`` (Chrome / Perfetto format) and a summary to ``<out>/profile.json``.

Every operator's *self* time is put into one of three groups:

- **pre/post-processing**: anything inside a pre- or post-processing stage. Stages are labelled with
  ``record_function`` ranges: making the inputs (:meth:`TaskAdapter.example_inputs`: tokenisation, padding,
  feature extraction, and the copy to the device); submodules whose name says they prepare inputs
  (:data:`PRE_MODULES`: torchvision's detection ``transform``, audio front ends); methods that turn outputs
  into predictions (:data:`POST_METHODS`: box decoding + NMS in ``postprocess_detections``, ``generate``'s
  decoding loop outside the model's own forward calls).
- **model compute**: operators inside the model's forward (the innermost labelled stage), except the
  framework operators below.
- **framework overhead**: tensor bookkeeping operators (:data:`OVERHEAD_OPS`: views, copies, allocation,
  reshapes, host-device syncs) wherever they run, operators outside every stage, and the Python and dispatch
  time of the model stage that no operator covers (the stage's own self time).

The operator table lists the top operators by self CPU time (and self device time on a GPU) with their
group; the group totals are shares of the profiled wall time.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from distillbench.config import MeasureConfig
from distillbench.measure_spec import load_spec
from distillbench.timing import synchronize

GROUPS = ("model compute", "pre/post-processing", "framework overhead")
PRE, MODEL, POST = "distillbench::pre", "distillbench::model", "distillbench::post"
#: submodule name patterns (last dotted component) that prepare a model's inputs
PRE_MODULES = re.compile(r"^(transform|feature_extractor|featurizer|frontend|front_end|mel|melspec|spectrogram)$")
#: methods that turn a model's outputs into predictions (box decoding, NMS, autoregressive decoding)
POST_METHODS = ("postprocess_detections", "postprocess", "generate")
#: tensor bookkeeping operators: framework overhead wherever they run
OVERHEAD_OPS = re.compile(
    r"^aten::(empty.*|zeros|ones|full|new_.*|to|_to_copy|copy_|clone|contiguous|view|_unsafe_view|reshape|"
    r"as_strided|t|transpose|permute|expand|expand_as|slice|select|unsqueeze|squeeze|flatten|unflatten|split|"
    r"chunk|narrow|detach|alias|lift_fresh|resolve_conj|resolve_neg|item|_local_scalar_dense|is_nonzero|"
    r"result_type|fill_|zero_|resize_|set_|unbind|stack|cat|_reshape_alias|view_as|type_as|broadcast_tensors|"
    r"arange|scalar_tensor|_has_compatible_shallow_copy_type|record_stream)$"
)


@dataclass
class OpTime:
    name: str
    group: str
    calls: int = 0
    self_cpu_us: float = 0.0
    self_device_us: float = 0.0


@dataclass
class Profile:
    """What :func:`profile_spec` prints and writes."""

    spec: str
    task: str
    device: str
    batch: int
    iters: int
    wall_ms: float
    groups: dict[str, float]  # group -> ms of self time (all iterations)
    ops: list[OpTime]
    trace: str
    weights: str
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "spec": self.spec,
            "task": self.task,
            "device": self.device,
            "batch": self.batch,
            "iters": self.iters,
            "wall_ms": self.wall_ms,
            "groups_ms": self.groups,
            "ops": [vars(o) for o in self.ops],
            "trace": self.trace,
            "weights": self.weights,
            "notes": self.notes,
        }


def classify(name: str, stage: str | None) -> str:
    """The group of one operator from its name and the innermost labelled stage it ran in."""
    if stage in (PRE, POST):
        return "pre/post-processing"
    if OVERHEAD_OPS.match(name) or stage is None:
        return "framework overhead"
    return "model compute"


@contextlib.contextmanager
def stage_labels(model: nn.Module) -> Iterator[list[str]]:
    """Label the model's stages with ``record_function`` ranges (hooks and method wrappers); yields their names."""
    labelled: list[str] = []
    handles: list[Any] = []
    restore: list[tuple[Any, str]] = []

    def hooks(module: nn.Module, label: str) -> None:
        ranges: list[Any] = []

        def pre(*_: Any, **__: Any) -> None:
            ranges.append(torch.profiler.record_function(label).__enter__())

        def post(*_: Any, **__: Any) -> None:
            if ranges:
                ranges.pop().__exit__(None, None, None)

        handles.append(module.register_forward_pre_hook(pre, with_kwargs=True))
        handles.append(module.register_forward_hook(post, always_call=True))

    def wrap(owner: Any, method: str, label: str) -> None:
        original = getattr(owner, method)

        def wrapped(*args: Any, **kwargs: Any) -> Any:
            with torch.profiler.record_function(label):
                return original(*args, **kwargs)

        setattr(owner, method, wrapped)
        restore.append((owner, method))

    hooks(model, MODEL)
    for name, module in model.named_modules():
        if name and PRE_MODULES.match(name.rsplit(".", 1)[-1]):
            hooks(module, PRE)
            labelled.append(f"{name} (pre-processing)")
        for method in POST_METHODS:
            if callable(getattr(module, method, None)):
                wrap(module, method, POST)
                labelled.append(f"{name or 'model'}.{method} (post-processing)")
    try:
        yield labelled
    finally:
        for h in handles:
            h.remove()
        for owner, method in restore:
            with contextlib.suppress(AttributeError):
                delattr(owner, method)  # the instance attribute hid the class's method


def _stage_of(event: Any) -> str | None:
    parent = event.cpu_parent
    while parent is not None:
        if parent.name in (PRE, MODEL, POST):
            return parent.name
        parent = parent.cpu_parent
    return None


def summarise(events: list[Any]) -> tuple[dict[str, float], list[OpTime]]:
    """Group totals (ms) and per-operator times from a profiler's ``events()``."""
    ops: dict[tuple[str, str], OpTime] = {}
    groups: dict[str, float] = defaultdict(float)
    for ev in events:
        if ev.name in (PRE, MODEL, POST):  # a stage's own time: Python and dispatch no operator covers
            group = "framework overhead" if ev.name == MODEL else "pre/post-processing"
            name = {MODEL: "(Python + dispatch in the model)", PRE: "(Python in pre-processing)"}.get(
                ev.name, "(Python in post-processing)"
            )
        elif ev.name.startswith("distillbench::step"):
            group, name = "framework overhead", "(Python between calls)"
        else:
            group, name = classify(ev.name, _stage_of(ev)), ev.name
        op = ops.setdefault((name, group), OpTime(name, group))
        op.calls += 1
        op.self_cpu_us += float(ev.self_cpu_time_total)
        op.self_device_us += float(getattr(ev, "self_device_time_total", 0.0) or 0.0)
        groups[group] += float(ev.self_cpu_time_total) / 1e3
    ranked = sorted(ops.values(), key=lambda o: o.self_cpu_us, reverse=True)
    return {g: groups.get(g, 0.0) for g in GROUPS}, ranked


def profile_spec(
    spec: str,
    card_name: str,
    *,
    checkpoint: str | None = None,
    device: str = "auto",
    batch: int | None = None,
    iters: int = 5,
    out: str = "runs/profile",
    smoke: bool = False,
) -> Profile:
    """Profile ``iters`` inference calls of ``spec`` on the card's test inputs; write the trace and summary."""
    card, adapter, data, model, sha, dev = load_spec(spec, card_name, checkpoint, device, smoke)
    weights = f"checkpoint {checkpoint} (sha256 {sha})" if checkpoint else "as built"
    model = model.to(dev).eval()
    if batch is None:
        batch = max(adapter.measure_config(MeasureConfig()).batch_sizes)

    def call() -> Any:
        with torch.profiler.record_function(PRE):
            inputs = {k: v.to(dev) for k, v in adapter.example_inputs(data, batch).items()}
        return adapter.infer(model, inputs)

    activities = [torch.profiler.ProfilerActivity.CPU]
    if dev.type == "cuda":
        activities.append(torch.profiler.ProfilerActivity.CUDA)
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    with torch.inference_mode(), stage_labels(model) as labelled:
        for _ in range(2):  # warm-up: caches, allocator, lazy initialisation
            call()
        synchronize(dev)
        with torch.profiler.profile(activities=activities) as prof:
            start = time.perf_counter()
            for i in range(max(1, iters)):
                with torch.profiler.record_function(f"distillbench::step{i}"):
                    call()
            synchronize(dev)
            wall_ms = (time.perf_counter() - start) * 1e3
    trace = out_dir / "trace.json"
    prof.export_chrome_trace(str(trace))
    groups, ops = summarise(list(prof.events()))
    notes = [f"stages labelled: inputs (adapter.example_inputs, pre-processing); {', '.join(labelled) or 'none else'}"]
    result = Profile(spec, card.name, str(dev), batch, max(1, iters), wall_ms, groups, ops, str(trace), weights, notes)
    (out_dir / "profile.json").write_text(json.dumps(result.to_dict(), indent=2) + "\n")
    return result


def summary_lines(p: Profile, top: int = 15) -> list[str]:
    """The printed summary: setup, group shares, then the top operators by self CPU time."""
    total = sum(p.groups.values()) or 1.0
    lines = [
        f"profile of {p.spec} on {p.task}: batch {p.batch}, {p.iters} calls, {p.device}, weights {p.weights}",
        f"wall time {p.wall_ms:,.1f} ms ({p.wall_ms / p.iters:,.2f} ms per call); self CPU time by group:",
    ]
    for group in GROUPS:
        ms = p.groups[group]
        lines.append(f"  {group:<22} {ms:>10,.1f} ms  {ms / total * 100:5.1f}%")
    device = any(o.self_device_us for o in p.ops)
    lines.append(f"top {top} operators by self CPU time:")
    header = f"  {'operator':<44} {'group':<20} {'calls':>6} {'self CPU ms':>12}"
    lines.append(header + (f" {'self GPU ms':>12}" if device else ""))
    for op in p.ops[:top]:
        line = f"  {op.name[:44]:<44} {op.group:<20} {op.calls:>6} {op.self_cpu_us / 1e3:>12,.2f}"
        lines.append(line + (f" {op.self_device_us / 1e3:>12,.2f}" if device else ""))
    lines += [f"note: {n}" for n in p.notes]
    lines.append(f"trace: {p.trace} (open in chrome://tracing or ui.perfetto.dev)")
    return lines
