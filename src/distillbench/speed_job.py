"""The per-card speed job: every architecture a suite uses for a card, timed interleaved, one record.

The card's compression baselines (compress.py) are timed in the same process, beside the teacher and the
students, so their speed-ups are same-run figures: rebuilt here as their jobs built them (compression_job.py;
the pruned teacher with its fine-tuned weights, the student from its saved weights). A quantised model's
MFLOPs are its float model's (int8 matmuls do the same multiply-adds).

Inference cost does not depend on how the weights were trained, so speed, latency, memory and
FLOPs are measured once per distinct architecture per run rather than in every training job: the
teacher (trained, from the teacher cache: :func:`distillbench.worker.get_teacher`) and each selected
student (built from its spec, initialised as its card says) are timed in one process by
:func:`distillbench.interleaved.measure_interleaved`. Each student's speed-up over the teacher is the
per-repeat throughput ratio, summarised by :func:`distillbench.stats.speedup_record`. Task-specific
figures (tokens/s, beam search, real-time factor, boxes per image) come from the adapter per model,
after the interleaved passes, under the same thread setting.

Where cost depends on the output (translation's generated tokens, detection's boxes after NMS) the
weights do matter: those figures are counted here with the weights timed here (the trained teacher,
untrained or teacher-initialised students) and are also recorded by every training job on its own
test outputs (``quality["output_count"]``), so a reader can scale per-output rates to a trained model.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from distillbench import measure
from distillbench.adapters.base import TaskAdapter
from distillbench.compress import plan_variants
from distillbench.compression_job import build_variant
from distillbench.config import MeasureConfig, from_dict
from distillbench.config import load_card as _load_card
from distillbench.env import collect_env
from distillbench.interleaved import TimedModel, measure_interleaved
from distillbench.jobs import Job, record_config
from distillbench.models.shrink import init_from_teacher
from distillbench.registry import TASKS
from distillbench.results import Result
from distillbench.stats import speedup_record
from distillbench.teachers.loading import teacher_provenance
from distillbench.train import seed_everything
from distillbench.worker import get_teacher

Progress = Callable[[int, int, str], None]


def run_speed_job(job: Job, progress: Progress | None = None) -> Result:
    """Time the card's teacher and the job's students interleaved; return the ``role: "speed"`` record."""
    card = _load_card(job.card)
    device = measure.resolve_device(job.device)
    adapter: TaskAdapter = TASKS.get(card.task)(card)
    data = adapter.load_data(smoke=job.smoke)
    teacher, teacher_training = get_teacher(job, card, adapter, data, device, progress)
    models = {card.teacher.name: teacher.to("cpu")}
    built: dict[str, dict[str, Any]] = {card.teacher.name: {"spec": card.teacher.model, "weights": "trained teacher"}}
    failed: dict[str, str] = {}
    same: dict[str, str] = {}  # a student whose spec and init another model already has -> that model
    variants = {v.name: v for v in plan_variants(card)}
    for name in job.models:
        if name in models or name in variants:
            continue
        student = card.student(name)
        twin = next(
            (n for n, b in built.items() if (b["spec"], b.get("init_mode")) == (student.model, student.init)), None
        )
        if twin is not None:
            same[name] = twin
            continue
        try:
            seed_everything(job.seed)
            model = adapter.build_model(student.model, data)
            init = init_from_teacher(model, teacher) if student.init == "teacher" else {"from": "random"}
        except Exception as exc:  # one unbuildable student must not cost the others their speed
            failed[name] = f"{type(exc).__name__}: {exc}"
            continue
        models[name] = model
        built[name] = {"spec": student.model, "weights": "untrained", "init_mode": student.init, "init": init}
    flops_models: dict[str, Any] = {}
    for name in [n for n in job.models if n in variants]:  # compression baselines: built as their jobs built them
        try:
            model, info, counted = build_variant(
                variants[name], job, card, adapter, data, teacher, device, fine_tuned=True
            )
        except Exception as exc:  # e.g. no int8 kernels here: the others are still timed
            failed[name] = f"{type(exc).__name__}: {exc}"
            continue
        models[name] = model.to("cpu")
        if counted is not model:  # a quantised model: its FLOPs are the float model's multiply-adds
            flops_models[name] = counted.to("cpu")
        built[name] = {"spec": f"{variants[name].model} ({variants[name].kind})", "weights": "compressed",
                       "compression": info}  # fmt: skip
    if progress:
        progress(0, 0, f"timing {len(models)} architectures interleaved")
    mcfg = adapter.measure_config(from_dict(MeasureConfig, job.measure, where="measure"))

    def make_inputs(batch: int) -> dict[str, Any]:
        return {k: v.to(device) for k, v in adapter.example_inputs(data, batch).items()}

    timed = [
        TimedModel(name, model, make_inputs, adapter.infer, flops_model=flops_models.get(name))
        for name, model in models.items()
    ]
    figures = measure_interleaved(timed, mcfg, device, precision=job.precision, compile=job.compile)
    for name, model in models.items():
        speed = figures[name]["speed"]
        speed.update(throughput_unit=f"{adapter.sample_unit}/s", inputs=adapter.describe_inputs(data))
        speed.update(adapter.speed_extras(data, speed))
        model.to(device)
        speed.update(adapter.extra_speed(model, data, mcfg, device, speed))
        model.to("cpu")
    for name, twin in same.items():  # one architecture, one measurement: the same figures under both names
        figures[name] = {k: {**v, "measured_as": twin} for k, v in figures[twin].items()}
        built[name] = {**built[twin], "measured_as": twin}
    return Result(
        **job.identity(card),
        primary_metric=adapter.metric,
        speed={
            "interleaved": True,
            "teacher": card.teacher.name,
            "protocol": dataclasses.asdict(mcfg),
            "models": {name: f["speed"] for name, f in figures.items()},
            "speedup": speedups(figures, card.teacher.name),
            **({"failed": failed} if failed else {}),
        },
        memory={"models": {name: f["memory"] for name, f in figures.items()}},
        size={"models": {name: f["size"] for name, f in figures.items()}},
        config={"models": built, **record_config(job, card, data, teacher_provenance(teacher_training))},
        config_hash=job.card_hash,
        env=collect_env(device),
    )


def speedups(figures: dict[str, dict[str, Any]], teacher: str) -> dict[str, dict[str, Any]]:
    """Each other model's throughput over the teacher's, paired per interleaved repeat, with its CI."""
    base = figures[teacher]["speed"]["throughput_samples"]
    return {
        name: speedup_record([s / t for s, t in zip(f["speed"]["throughput_samples"], base, strict=True)])
        for name, f in figures.items()
        if name != teacher
    }
