"""Typed configuration: task cards (``tasks/*.yaml``) and suites (``benchmarks/*.yaml``).

YAML is read by :mod:`distillbench.yamlio` (safe_load, ``include:``, line numbers) and turned
into the dataclasses below by :func:`from_dict`, which rejects unknown keys and wrong types with
the file and line. Defaults live here and nowhere else. Building a config touches no environment,
no network and no data: that happens in the worker.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from distillbench.errors import ConfigError
from distillbench.plugins import card_dirs, include_paths
from distillbench.yamlio import YamlMap, load_yaml

PRECISIONS = ("fp32", "bf16", "fp16")
#: which epoch's weights a trained model keeps (TrainConfig.select)
SELECTIONS = ("last", "best_val")
DEVICES = ("auto", "cpu", "cuda")


@dataclass
class Augment:
    """Random crop after zero padding and horizontal flip of training images, e.g. ``{padding: 4, flip: true}``.

    ``crop``: output side (default: the image's own size); ``padding``: pixels of black added on every side
    before the crop (so ``padding: 2`` at the image's size jitters it by up to 2 pixels in each direction);
    ``flip``: mirror left-right with probability 1/2. Sampled per image from the epoch's seed.
    ``replay``: soft-label replay (FKD, Shen & Xing 2022; teacher_replay.py): each epoch's views are drawn per
    sample from ``replay_seed`` (shared by every student, seed and method), and the teacher's outputs on them
    are recorded once and replayed instead of running the teacher on every step; ``replay_top_k`` keeps only each
    view's k largest logits (FKD keeps 5 of ImageNet's 1,000), for methods that accept that sparse distribution.
    """

    crop: int | None = None
    padding: int = 0
    flip: bool = False
    replay: bool = False
    replay_seed: int = 0
    replay_top_k: int | None = None

    def __post_init__(self) -> None:
        if self.padding < 0 or (self.crop is not None and self.crop < 1):
            raise ValueError(f"augment needs padding >= 0 and crop >= 1, got padding {self.padding}, crop {self.crop}")
        if self.replay_top_k is not None and (self.replay_top_k < 1 or not self.replay):
            raise ValueError(f"augment replay_top_k must be >= 1 and goes with replay: true, got {self.replay_top_k}")


@dataclass
class TrainConfig:
    """How one model is trained (the same loop for teachers and students)."""

    #: 0 (a teacher's): use the model as built, untrained (pretrained weights with the task's head)
    epochs: int = 5
    batch_size: int = 128
    optimizer: str = "sgd"  # sgd | adamw
    lr: float = 0.05
    momentum: float = 0.9
    weight_decay: float = 5e-4
    schedule: str = "cosine"  # cosine | constant | multistep
    warmup_epochs: float = 0.0
    max_batches_per_epoch: int | None = None
    grad_clip: float | None = None
    #: SGD with Nesterov momentum (distillbench's default); the CRD / DKD CIFAR recipes use plain momentum
    nesterov: bool = True
    #: ``schedule: multistep``: the learning rate is multiplied by ``gamma`` at the start of each of these
    #: (0-based) epochs, as torch's MultiStepLR and RepDistiller's ``--lr_decay_epochs``
    milestones: list[int] = field(default_factory=list)
    gamma: float = 0.1
    #: image augmentation of the training batches (image_classification only; data/augment.py), the keys of
    #: :class:`Augment` (kept as plain data so records and checkpoints hold no custom classes); None: none
    augment: dict[str, Any] | None = None
    #: which epoch's weights the result (and a teacher's distillation) uses: ``last`` (the end of the fixed
    #: schedule, the default: no held-out data picks it) or ``best_val`` (the epoch with the best primary metric
    #: on the validation split); both are evaluated on test and recorded (see epochs.py)
    select: str = "last"
    #: evaluate the validation split every this many epochs (the last epoch always); 0: never (``last`` only)
    val_every: int = 1

    def __post_init__(self) -> None:
        if self.optimizer not in ("sgd", "adamw"):
            raise ValueError(f"optimizer must be 'sgd' or 'adamw', got {self.optimizer!r}")
        if self.schedule not in ("cosine", "constant", "multistep"):
            raise ValueError(f"schedule must be 'cosine', 'constant' or 'multistep', got {self.schedule!r}")
        if (self.schedule == "multistep") != bool(self.milestones):
            raise ValueError("'milestones' go with schedule: multistep (and multistep needs milestones)")
        if self.milestones != sorted(self.milestones) or any(m < 1 for m in self.milestones):
            raise ValueError(f"milestones must be increasing epochs >= 1, got {self.milestones}")
        if self.augment is not None:
            try:
                self.augment = dataclasses.asdict(Augment(**self.augment))
            except TypeError as exc:
                raise ValueError(
                    f"augment: {exc} (keys: crop, padding, flip, replay, replay_seed, replay_top_k)"
                ) from None
        if self.epochs < 0 or self.batch_size < 1:
            raise ValueError("epochs must be at least 0 (0: the model as built, untrained) and batch_size at least 1")
        if self.select not in SELECTIONS:
            raise ValueError(f"select must be one of {', '.join(SELECTIONS)}, got {self.select!r}")
        if self.val_every < 0:
            raise ValueError(f"val_every must be 0 (never) or a positive number of epochs, got {self.val_every}")
        if self.select == "best_val" and not self.val_every:
            raise ValueError("select: best_val needs the validation split evaluated (val_every >= 1)")

    def augmentation(self) -> Augment | None:
        """``augment`` as an :class:`Augment` (None: no augmentation)."""
        return Augment(**self.augment) if self.augment is not None else None


@dataclass
class ModelConfig:
    """A model in a task card: a display name, a model spec and named feature points."""

    name: str
    model: str
    #: feature name (used by methods) -> module path inside this model (read with forward hooks)
    features: dict[str, str] = field(default_factory=dict)
    #: overrides of the card's train settings for this model only
    train: dict[str, Any] = field(default_factory=dict)
    #: ``teacher``: start a student from the trained teacher's weights with layers removed (shrink and
    #: fine-tune, Shleifer & Rush 2020; :mod:`distillbench.models.shrink`); ``random`` (default): from scratch
    init: str = "random"
    #: the teacher only: a state dict file (``.pt``, read with ``weights_only=True``, or ``.safetensors``)
    #: loaded into the built model instead of training it (teachers/weights.py); relative to the card's folder
    checkpoint: str | None = None

    def __post_init__(self) -> None:
        if self.init not in ("random", "teacher"):
            raise ValueError(f"init must be 'random' or 'teacher', got {self.init!r}")
        if self.checkpoint is not None and not self.checkpoint.endswith((".pt", ".pth", ".bin", ".safetensors")):
            raise ValueError(f"checkpoint must be a .pt/.pth/.bin or .safetensors file, got {self.checkpoint!r}")


@dataclass
class DataConfig:
    source: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class CompressionConfig:
    """The compression baselines of a card (compress.py, compression_job.py): what is applied to which model.

    The teacher and one student get each ``quantize`` kind; the teacher is also pruned (``prune_fraction``
    of its feed-forward or convolution channels, by L1 norm) and fine-tuned with the card's ``student_train``
    settings overridden by ``prune_train`` (the budget, stated in every record). The student is
    ``student`` trained with ``method`` and seed ``seed``; by default the card's first student with its
    first method other than ``no_kd`` (a rule fixed before the run, not a choice made on test results).
    """

    enabled: bool = True
    quantize: list[str] = field(default_factory=lambda: ["int8_dynamic", "int8_weight_only"])
    prune_fraction: float | None = 0.5
    prune_train: dict[str, Any] = field(default_factory=dict)
    student: str = ""
    method: str = ""
    seed: int = 0

    def __post_init__(self) -> None:
        known = ("int8_dynamic", "int8_weight_only")
        unknown = [k for k in self.quantize if k not in known]
        if unknown:
            raise ValueError(f"unknown quantize kind(s) {unknown}; known: {', '.join(known)}")
        if self.prune_fraction is not None and not 0.0 < self.prune_fraction < 1.0:
            raise ValueError(
                f"prune_fraction must lie strictly between 0 and 1 (null: no pruned teacher), got {self.prune_fraction}"
                + ("; pruning every channel leaves a layer with none" if self.prune_fraction >= 1 else "")
            )


@dataclass
class TaskCard:
    """One task: data, metric, teacher, students and the methods that apply (lm-eval style card)."""

    name: str
    task: str
    data: DataConfig
    teacher: ModelConfig
    students: list[ModelConfig]
    methods: dict[str, dict[str, Any]]
    version: int = 1
    description: str = ""
    citation: str = ""
    teacher_seed: int = 0
    teacher_train: TrainConfig = field(default_factory=TrainConfig)
    student_train: TrainConfig = field(default_factory=TrainConfig)
    compression: CompressionConfig = field(default_factory=CompressionConfig)
    #: the file it came from (set by the loader, not from YAML)
    path: str = field(default="", metadata={"yaml": False})

    def __post_init__(self) -> None:
        if not self.students:
            raise ValueError("a task card needs at least one student")
        if "no_kd" not in self.methods:
            raise ValueError("'no_kd' (the student alone) must be among the methods: every table compares to it")
        names = [s.name for s in self.students]
        if len(set(names)) != len(names) or self.teacher.name in names:
            raise ValueError(f"model names must be unique within a card: {[self.teacher.name, *names]}")
        if any(s.checkpoint for s in self.students):
            raise ValueError("only the teacher can have a 'checkpoint' (students are trained)")
        if self.teacher.init != "random":
            raise ValueError("the teacher cannot have 'init: teacher' (only students start from the teacher's weights)")

    def compression_base(self) -> tuple[str, str]:
        """(student, method) whose trained model is compressed: the card's choice, else its first student with
        its first method other than ``no_kd`` (``no_kd`` when that is the only one)."""
        student = self.compression.student or self.students[0].name
        self.student(student)  # a ConfigError naming the card's students when unknown
        method = self.compression.method or next((m for m in self.methods if m != "no_kd"), "no_kd")
        if method not in self.methods:
            raise ConfigError(f"{self.path}: compression.method {method!r} is not among the card's methods")
        return student, method

    def student(self, name: str) -> ModelConfig:
        for s in self.students:
            if s.name == name:
                return s
        raise ConfigError(f"{self.path}: no student {name!r}; students: {', '.join(s.name for s in self.students)}")


@dataclass
class MeasureConfig:
    """The fixed measurement protocol's knobs (see measure.py)."""

    warmup_iters: int = 5
    min_iters: int = 20
    min_duration_s: float = 1.0
    repeats: int = 3
    #: candidate batch sizes for throughput, largest first is tried first
    batch_sizes: list[int] = field(default_factory=lambda: [256, 128, 64, 32, 16, 8, 1])
    #: CPU threads during measurement (None: torch's default)
    threads: int | None = None
    flops: bool = True


@dataclass
class SuiteTask:
    """One entry of a suite: a task card and, optionally, a subset of its methods and students."""

    card: str
    methods: list[str] | None = None
    students: list[str] | None = None


@dataclass
class SuiteConfig:
    """A suite: tasks x methods x seeds, plus the device, precision and measurement protocol."""

    name: str
    tasks: list[SuiteTask]
    description: str = ""
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2])
    device: str = "auto"
    precision: str = "fp32"
    compile: bool = False
    measure: MeasureConfig = field(default_factory=MeasureConfig)
    #: let Hugging Face loaders run code from model repositories (off unless the user turns it on)
    trust_remote_code: bool = False
    #: add each card's compression baselines (int8 and pruned models: compress.py) as jobs and rows
    compression: bool = False
    #: a results.jsonl of an earlier real run of this suite (relative to the suite file): the run's estimate
    #: before its first job comes from the job times recorded there (estimate.py); "" names none
    timings: str = ""
    path: str = field(default="", metadata={"yaml": False})

    def __post_init__(self) -> None:
        if self.device not in DEVICES:
            raise ValueError(f"device must be one of {', '.join(DEVICES)}, got {self.device!r}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {self.precision!r}")
        if not self.seeds:
            raise ValueError("a suite needs at least one seed")
        if not self.tasks:
            raise ValueError("a suite needs at least one task")


#: what --smoke changes: one short epoch, a few dozen samples, a minimal measurement
SMOKE_TRAIN = {"epochs": 1, "max_batches_per_epoch": 2}
SMOKE_MEASURE = MeasureConfig(warmup_iters=1, min_iters=2, min_duration_s=0.0, repeats=1, batch_sizes=[8], flops=True)
SMOKE_MAX_SAMPLES = 64


# --------------------------------------------------------------------------- dict -> dataclass


def from_dict(cls: type, data: Any, where: str = "") -> Any:
    """Build dataclass ``cls`` from a YAML mapping, rejecting unknown keys and wrong types."""
    if dataclasses.is_dataclass(data) and isinstance(data, cls):
        return data
    if not isinstance(data, dict):
        raise ConfigError(f"{_where(data, where)}: expected a mapping for {cls.__name__}, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.metadata.get("yaml", True)}
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key not in fields:
            known = ", ".join(fields) or "(none)"
            raise ConfigError(f"{_where(data, where, key)}: unknown key {key!r} in {cls.__name__}; known keys: {known}")
        kwargs[key] = _coerce(hints[key], value, data, where, key)
    missing = [
        n
        for n, f in fields.items()
        if n not in kwargs and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise ConfigError(f"{_where(data, where)}: {cls.__name__} is missing required key(s): {', '.join(missing)}")
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{_where(data, where)}: invalid {cls.__name__}: {exc}") from None


def _where(data: Any, where: str, key: str | None = None) -> str:
    loc = data.where(key) if isinstance(data, YamlMap) else ""
    return f"{loc} ({where})" if loc and where else loc or where or "<config>"


def _coerce(tp: Any, value: Any, parent: Any, where: str, key: str) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    here = f"{where}.{key}" if where else key
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in (a for a in args if a is not type(None)):
            try:
                return _coerce(arg, value, parent, where, key)
            except ConfigError as exc:
                errors.append(str(exc))
        raise ConfigError(errors[0])
    if dataclasses.is_dataclass(tp):
        return from_dict(tp, value, here)
    if origin is list:
        if not isinstance(value, list):
            raise ConfigError(f"{_where(parent, where, key)}: {key!r} must be a list, got {type(value).__name__}")
        return [_coerce(args[0], v, parent, where, key) for v in value] if args else list(value)
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{_where(parent, where, key)}: {key!r} must be a mapping, got {type(value).__name__}")
        vt = args[1] if args else Any
        return {k: _coerce(vt, v, value, here, k) for k, v in value.items()}
    if tp is Any:
        return value
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if tp in (int, float, str, bool) and not (isinstance(value, tp) and not (tp is int and isinstance(value, bool))):
        raise ConfigError(
            f"{_where(parent, where, key)}: {key!r} must be {tp.__name__}, got {value!r} ({type(value).__name__})"
        )
    return value


# --------------------------------------------------------------------------- finding and loading files


def search_dirs(kind: str) -> list[Path]:
    """Where task cards ('tasks') or suites ('benchmarks') are looked up, in order: include dirs and installed
    plugins first (plugins.py), then ``./<kind>``, the checkout's and the installed package's."""
    here = Path(__file__).resolve().parent
    return [*card_dirs(kind), *builtin_dirs(kind, here)]


def builtin_dirs(kind: str, here: Path) -> list[Path]:
    return [Path.cwd() / kind, here.parent.parent / kind, here / "_cards" / kind]


def find_file(name: str, kind: str) -> Path:
    """Resolve a card/suite name (or a path) to a YAML file.

    A name defined both by an include dir or plugin and elsewhere is an error naming both files (pass the path
    of the one you mean, or rename one); between distillbench's own folders the first found is used.
    """
    p = Path(name)
    if p.suffix in (".yaml", ".yml") or "/" in name:
        if p.is_file():
            return p
        raise ConfigError(f"{name}: file not found")
    label = "task card" if kind == "tasks" else "suite"
    outside = _candidates(name, card_dirs(kind))
    here = Path(__file__).resolve().parent
    own = _candidates(name, builtin_dirs(kind, here))[:1]
    found = list(dict.fromkeys([*outside, *own]))
    if len(found) > 1:
        raise ConfigError(
            f"{label} name {name!r} is defined more than once: {', '.join(map(str, found))}; "
            f"pass the path of the one you mean, or rename one"
        )
    if found:
        return found[0]
    available = list_names(kind)
    import difflib

    close = difflib.get_close_matches(name, available, n=1, cutoff=0.5)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    where = ", ".join(dict.fromkeys(str(d.resolve()) for d in search_dirs(kind) if d.is_dir()))
    raise ConfigError(
        f"unknown {label} {name!r}.{hint} Known: {', '.join(available) or '(none)'}. Searched: {where}"
        + ("" if include_paths() else " (add folders with --include-path DIR)")
        + "."
    )


def _candidates(name: str, dirs: list[Path]) -> list[Path]:
    """The distinct files called ``name.yaml``/``name.yml`` in ``dirs``, in order."""
    files = [d / f"{name}{ext}" for d in dirs for ext in (".yaml", ".yml")]
    return list(dict.fromkeys(f.resolve() for f in files if f.is_file()))


def list_names(kind: str) -> list[str]:
    """Card or suite names found in the search directories (templates starting with '_' skipped)."""
    names: set[str] = set()
    for d in search_dirs(kind):
        if d.is_dir():
            names.update(p.stem for p in d.glob("*.y*ml") if not p.stem.startswith("_"))
    return sorted(names)


def load_card(name: str) -> TaskCard:
    path = find_file(name, "tasks")
    card = from_dict(TaskCard, load_yaml(path), where=f"task card {path.name}")
    card.path = str(path)
    return card


def load_suite(name: str) -> SuiteConfig:
    path = find_file(name, "benchmarks")
    suite = from_dict(SuiteConfig, load_yaml(path), where=f"suite {path.name}")
    suite.path = str(path)
    return suite


def to_plain(obj: Any) -> Any:
    """A dataclass (or nested structure) as plain JSON-able data."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_plain(getattr(obj, f.name)) for f in dataclasses.fields(obj) if f.metadata.get("yaml", True)}
    if isinstance(obj, dict):
        return {str(k): to_plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_plain(v) for v in obj]
    return obj


def config_hash(*parts: Any) -> str:
    """A short, stable hash of configuration parts (canonical JSON)."""
    blob = json.dumps([to_plain(p) for p in parts], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]
