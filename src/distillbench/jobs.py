"""Expanding a suite into jobs: task x role x model x method x seed.

Each task card yields one teacher job (trained once with the card's ``teacher_seed`` and cached by
config hash), one speed job (every architecture the suite uses for the card, timed interleaved:
speed_job.py) and one student job per student x method x row x seed. A method has one row unless it says
otherwise (``DistillMethod.rows``): born_again has one per generation and one for their ensemble, recorded
as ``born_again/gen1``, ..., ``born_again/ensemble``. A job's id hashes everything that
defines its result (the resolved card, method options, seed, device, precision, protocol), so a
re-run skips exactly the jobs whose results are already recorded and redoes any whose
configuration changed. The id also includes the code fingerprint (fingerprint.py): after a change
to the code that trains or evaluates models the jobs run again; :attr:`Job.base_id` (the id without
the fingerprint) tells the runner that the same job was recorded with other code, so it can say why it
re-runs it, or keep the old record when asked to (``--keep-stale``). A card that uses components from outside
distillbench gets a fingerprint covering their source too, and its jobs carry the include paths and module
names a job process imports before it looks anything up (plugins.py, components.py).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Any

from distillbench.config import (
    SMOKE_MEASURE,
    MeasureConfig,
    SuiteConfig,
    TaskCard,
    config_hash,
    load_card,
    to_plain,
)
from distillbench.errors import ConfigError
from distillbench.fingerprint import code_fingerprint
from distillbench.plugins import include_paths

log = logging.getLogger(__name__)


@dataclass
class Job:
    """Everything a worker process needs to produce one Result (plain data, picklable)."""

    suite: str
    card: str  # path of the task card
    role: str  # "teacher" | "speed" | "student" | "compression"
    model_name: str
    method: str | None
    seed: int
    device: str
    precision: str
    compile: bool
    smoke: bool
    measure: dict[str, Any]
    cache_dir: str
    card_hash: str = ""
    #: processes that train this one job together (DDP); 1 trains in the job's own process
    nproc: int = 1
    #: the user allowed Hugging Face loaders to run repository code for this run
    trust_remote_code: bool = False
    #: the code fingerprint (fingerprint.py) the job runs with; "" for ids made before it existed
    code: str = ""
    #: the speed job's architectures (model names, the teacher first); empty for the other roles
    models: list[str] = field(default_factory=list)
    #: where the card's teacher comes from when not trained here: ``shipped:<sha256>`` (a shipped artifact) or
    #: ``checkpoint:<sha256>`` (teachers/manifest.py's teacher_source); "" trains it (or uses it as built)
    teacher: str = ""
    #: include dirs (absolute) and modules outside distillbench that the job process imports first (plugins.py);
    #: not part of the id: the code fingerprint covers their source, wherever they sit
    include: list[str] = field(default_factory=list)
    plugins: list[str] = field(default_factory=list)
    #: which of the method's rows this job produces (``gen2``, ``ensemble``: DistillMethod.rows); "" its only row
    variant: str = ""
    #: a student job whose trained weights a compression baseline starts from: it saves them (worker.py)
    keep_weights: bool = False
    #: compressed model name -> id of the job that saved the weights it needs (compression and speed jobs)
    weights_from: dict[str, str] = field(default_factory=dict)
    job_id: str = field(default="")
    base_id: str = field(default="")

    def __post_init__(self) -> None:
        if self.nproc < 1:
            raise ConfigError(f"nproc (processes per job) must be at least 1, got {self.nproc}")
        if not self.job_id:
            fields = asdict(self)
            for key in ("job_id", "base_id", "card", "cache_dir", "include", "plugins"):  # card: in card_hash
                fields.pop(key)
            for key, default in _HASHED_ONLY_WHEN_SET.items():  # ids of runs made before these fields existed
                if fields[key] == default:
                    fields.pop(key)
            self.job_id = config_hash(fields)
            fields.pop("code", None)
            self.base_id = config_hash(fields)

    def identity(self, card: TaskCard) -> dict[str, Any]:
        """The fields that say which model a Result is about (shared by ok and failed records)."""
        provenance = {"job_id": self.job_id, "base_id": self.base_id, "code_fingerprint": self.code}
        if self.role == "speed":
            return {
                **provenance,
                "suite": self.suite,
                "task": card.name,
                "task_version": card.version,
                "role": "speed",
                "model_name": SPEED_MODEL_NAME,
                "model_spec": "",
                "method": None,
                "seed": self.seed,
            }
        if self.role == "compression":
            from distillbench.compress import plan_variants

            variant = next((v for v in plan_variants(card) if v.name == self.model_name), None)
            base = card.teacher if variant is None or variant.base == "teacher" else card.student(variant.model)
            return {
                **provenance,
                "suite": self.suite,
                "task": card.name,
                "task_version": card.version,
                "role": "compression",
                "model_name": self.model_name,
                "model_spec": base.model,
                "method": None,
                "seed": self.seed,
            }
        model = card.teacher if self.role == "teacher" else card.student(self.model_name)
        return {
            **provenance,
            "suite": self.suite,
            "task": card.name,
            "task_version": card.version,
            "role": self.role,
            "model_name": model.name,
            "model_spec": model.model,
            "method": self.row_method,
            "seed": self.seed,
        }

    @property
    def row_method(self) -> str | None:
        """The method name the job's record carries: ``born_again/gen2`` for a variant, else the method."""
        return f"{self.method}/{self.variant}" if self.variant else self.method

    @property
    def label(self) -> str:
        if self.role == "speed":
            return f"{self.suite}/{_card_name(self.card)}: speed of {', '.join(self.models)} (interleaved)"
        if self.role == "compression":
            return f"{self.suite}/{_card_name(self.card)}: compression baseline {self.model_name}"
        who = self.model_name if self.role == "teacher" else f"{self.model_name} + {self.row_method}"
        return f"{self.suite}/{_card_name(self.card)}: {self.role} {who} (seed {self.seed})"


#: fields added after runs were recorded: hashed only when they differ from the default, so old ids stay valid
_HASHED_ONLY_WHEN_SET: dict[str, Any] = {
    "nproc": 1,
    "trust_remote_code": False,
    "code": "",
    "models": [],
    "teacher": "",
    "variant": "",
    "keep_weights": False,
    "weights_from": {},
}
#: ``model_name`` of the speed record (it is about several architectures)
SPEED_MODEL_NAME = "(architectures)"


def _card_name(path: str) -> str:
    from pathlib import Path

    return Path(path).stem


def card_hash(card: TaskCard) -> str:
    return config_hash(to_plain(card))


def expand_jobs(
    suite: SuiteConfig,
    *,
    seeds: list[int] | None = None,
    smoke: bool = False,
    device: str | None = None,
    precision: str | None = None,
    compile: bool | None = None,
    cache_dir: str,
    nproc: int = 1,
    trust_remote_code: bool | None = None,
    shipped_teachers: bool = True,
    compression: bool | None = None,
) -> list[Job]:
    """The suite's jobs in run order: per task, the teacher, its speed job, then students by method and seed.

    With ``compression`` (default: the suite's setting) each card's compression baselines (compress.py) run
    after its students (one starts from a trained student), and the speed job moves after them, timing the
    teacher, every student architecture and every compressed model interleaved.

    A card whose teacher matches a shipped artifact (teachers/) uses it in every job, unless
    ``shipped_teachers`` is False; the log says why an artifact is not used (a changed card, a bad file).
    """
    from distillbench.components import importable, outside_modules, session_source
    from distillbench.compress import plan_variants
    from distillbench.methods.base import build_method
    from distillbench.teachers.manifest import teacher_source

    measure: MeasureConfig = SMOKE_MEASURE if smoke else suite.measure
    common = {
        "suite": suite.name,
        "device": device or suite.device,
        "precision": precision or suite.precision,
        "compile": suite.compile if compile is None else compile,
        "smoke": smoke,
        "measure": to_plain(measure),
        "cache_dir": cache_dir,
        "nproc": nproc,
        "trust_remote_code": suite.trust_remote_code if trust_remote_code is None else trust_remote_code,
        "include": [str(p) for p in include_paths()],
    }
    # a smoke run checks that everything works: the first seed is enough unless seeds are given
    run_seeds = seeds if seeds is not None else (suite.seeds[:1] if smoke else suite.seeds)
    jobs: list[Job] = []
    for entry in suite.tasks:
        card = load_card(entry.card)
        chash = card_hash(card)
        methods = entry.methods if entry.methods is not None else list(card.methods)
        unknown = [m for m in methods if m not in card.methods]
        if unknown:
            raise ConfigError(
                f"{suite.path}: task {card.name!r} has no method(s) {', '.join(unknown)}; "
                f"its card ({card.path}) lists: {', '.join(card.methods)}"
            )
        students = [card.student(s) for s in entry.students] if entry.students else card.students
        source = teacher_source(card, smoke=smoke, shipped=shipped_teachers)
        outside = outside_modules(card, methods)  # one fingerprint per card: its students share its teacher's key
        fingerprint = code_fingerprint(outside, session_source(card, methods))
        code = {"code": fingerprint, "plugins": importable(outside)}
        base = {**common, **code, "card": card.path, "card_hash": chash, "teacher": source}
        jobs.append(Job(role="teacher", model_name=card.teacher.name, method=None, seed=card.teacher_seed, **base))
        speed_at = len(jobs)
        variants = plan_variants(card) if (suite.compression if compression is None else compression) else []
        keep = {(v.model, v.method, v.seed) for v in variants if v.base == "student"}
        rows = {m: build_method(m, card.methods[m], where=f"{card.path} methods.{m}").rows() for m in methods}
        student_jobs: dict[tuple[str, str | None, int], Job] = {}
        for student in students:
            for method in methods:
                for variant in rows[method]:
                    for seed in run_seeds:
                        key = (student.name, method, seed)
                        job = Job(role="student", model_name=student.name, method=method, seed=seed, variant=variant,
                                  keep_weights=key in keep and not variant, **base)  # fmt: skip
                        if not variant:  # a compression baseline starts from a method's only row
                            student_jobs[key] = job
                        jobs.append(job)
        weights_from: dict[str, str] = {}
        compressed: list[str] = []
        for v in variants:
            source = student_jobs.get((v.model, v.method, v.seed)) if v.base == "student" else None
            if v.base == "student" and source is None:
                log.info("%s: %s not planned: this run has no %s/%s seed %d job", card.name, v.name, v.model,
                         v.method, v.seed)  # fmt: skip
                continue
            extra = {"weights_from": {v.name: source.job_id}} if source is not None else {}
            job = Job(role="compression", model_name=v.name, method=None, seed=v.seed, **base, **extra)
            jobs.append(job)
            compressed.append(v.name)
            weights_from[v.name] = (source or job).job_id
        # one process times every architecture (teacher first), so nproc is 1 whatever the training uses
        archs = [card.teacher.name] + [s.name for s in students if s.name != card.teacher.name] + compressed
        speed = Job(role="speed", model_name=SPEED_MODEL_NAME, method=None, seed=0, models=archs,
                    weights_from=weights_from, **{**base, "nproc": 1})  # fmt: skip
        jobs.insert(len(jobs) if compressed else speed_at, speed)
    return jobs


def record_config(job: Job, card: TaskCard, data: Any, teacher: dict[str, Any] | None) -> dict[str, Any]:
    """The ``config`` block every job's record carries: its data, protocol, smoke flag, teacher and card."""
    return {
        "data": {**data.info, "sizes": data.sizes(), "source_name": card.data.source},
        "measure": job.measure,
        "smoke": job.smoke,
        "teacher_training": teacher,
        "card": card.path,
        "card_hash": job.card_hash,
    }
