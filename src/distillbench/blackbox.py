"""Black-box teachers: models that only return outputs (transcripts), never logits or features.

A card declares one by its model spec's scheme (``pocketsphinx:en-us(lm='train_bigram')``, see
``models/pocketsphinx_teacher.py``); nothing else is needed, and nothing is trained. Methods can use such
a teacher only through the targets it generates, once per teacher and data version:

- ``no_kd``: the student alone (no teacher);
- ``pseudo_label`` (Distil-Whisper, Gandhi et al. 2023, arXiv:2311.00430; sequence-level KD, Kim & Rush
  2016): the student's CTC targets are the teacher's transcripts of the training audio instead of the
  ground truth; with ``max_wer`` a transcript whose WER against the ground truth is higher (or that is
  empty) falls back to the ground truth, as the online method does. ``kd_weight`` and ``ce_weight`` must be
  0 (there are no teacher frames to match, and the training split's targets *are* the pseudo-labels).

Every other method reads the teacher's logits or features: ``distillbench validate`` rejects it, as it
rejects ``init: teacher`` students and teacher ``features:``. The teacher's record is evaluated like any
teacher's (test WER/CER with saved predictions); the training transcripts are cached as
``<cache>/teachers/<card>-blackbox-<key>.train.json`` (key: data version, training size, teacher spec and
the exact language model), so every student, method and seed reuses one decoding.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import Any, ClassVar

from torch import nn

from distillbench.adapters.base import DataSplits, TaskAdapter
from distillbench.config import TaskCard, config_hash
from distillbench.data.audio import normalise
from distillbench.errors import ConfigError
from distillbench.methods.base import DistillMethod, build_method, task_loss
from distillbench.methods.pseudo_label import PseudoLabelKD
from distillbench.models.spec import parse_spec
from distillbench.types import Batch, ModelOutput

log = logging.getLogger(__name__)

#: model-spec schemes whose models return outputs only
BLACKBOX_SCHEMES = frozenset({"pocketsphinx"})
#: methods that can learn from a black-box teacher (besides those that need no teacher at all)
TARGET_METHODS = ("pseudo_label",)


def is_blackbox(spec: str) -> bool:
    """Whether a model spec names a black-box model (outputs only)."""
    try:
        return parse_spec(spec).scheme in BLACKBOX_SCHEMES
    except ConfigError:
        return False


def check_blackbox_card(card: TaskCard) -> None:
    """A card with a black-box teacher uses it only through generated targets; anything else is a ConfigError."""
    if not is_blackbox(card.teacher.model):
        return
    who = f"{card.path}: teacher {card.teacher.name!r} ({card.teacher.model}) is a black-box teacher"
    if card.task != "speech_to_text":
        raise ConfigError(f"{who} of speech; task {card.task!r} cannot use it")
    if card.teacher.features:
        raise ConfigError(f"{who}: it has no features to declare (remove teacher.features)")
    for student in card.students:
        if student.init == "teacher":
            raise ConfigError(f"{who} without weights: student {student.name!r} cannot use init: teacher")
    for name, options in card.methods.items():
        method = build_method(name, options, where=f"{card.path} methods.{name}")
        if not method.needs_teacher and not method.teacher_targets:
            continue
        if name not in TARGET_METHODS:
            raise ConfigError(
                f"{who}: it returns transcripts only, and method {name!r} reads the teacher's logits, features or "
                f"generated sequences; with a black-box teacher use {', '.join(TARGET_METHODS)} or no_kd"
            )
        if method.options.kd_weight or method.options.ce_weight:
            raise ConfigError(
                f"{who}: methods.{name} needs kd_weight: 0 (there are no teacher posteriors) and ce_weight: 0 "
                "(its training targets are the teacher's transcripts)"
            )


class TranscriptPseudoLabel(PseudoLabelKD):
    """``pseudo_label`` with a black-box teacher: the batch's targets already are the teacher's transcripts."""

    needs_teacher: ClassVar[bool] = False

    def loss(self, student: ModelOutput, teacher: ModelOutput | None, batch: Batch) -> dict[str, Any]:
        pseudo = task_loss(student)  # CTC against the training split's targets: the pseudo-labels
        return {"loss": self.options.label_weight * pseudo, "pseudo": pseudo}


def blackbox_teacher(card: TaskCard, adapter: TaskAdapter, data: DataSplits) -> tuple[nn.Module, dict[str, Any]]:
    """The black-box teacher built for the card's data (nothing to train or cache) and its training record."""
    start = time.perf_counter()
    model = adapter.build_model(card.teacher.model, data)
    info = dict(getattr(model, "info", {}))
    training = {
        "blackbox": True,
        "trained": False,
        "epochs_run": 0,
        "wall_time_s": time.perf_counter() - start,
        "config": {"select": "last"},
        "teacher": info,
        "cached": False,
        "cache_path": None,
    }
    log.info("black-box teacher %s built (%s)", card.teacher.name, info.get("lm_smoothing", ""))
    return model.eval(), training


def transcripts_path(cache_dir: str, card: TaskCard, data: DataSplits, info: dict[str, Any]) -> Path:
    """Where the teacher's training transcripts are cached (one file per teacher, LM and data version)."""
    key = config_hash(card.task, card.data, card.teacher.model, str(data.info.get("version")), len(data.train), info)
    return Path(cache_dir or ".") / "teachers" / f"{card.name}-blackbox-{key}.train.json"


def pseudo_label_data(
    cache_dir: str, card: TaskCard, adapter: TaskAdapter, data: DataSplits, method: DistillMethod
) -> tuple[DataSplits, DistillMethod, dict[str, Any]]:
    """The splits whose training targets are the black-box teacher's transcripts, and the method to train with.

    ``no_kd`` is returned unchanged (the splits too). ``pseudo_label`` becomes :class:`TranscriptPseudoLabel`
    on a training split whose ``text`` is the teacher's transcript (or, with ``max_wer``, the ground truth where
    the transcript is worse or empty); val and test keep their ground truth.
    """
    if not method.needs_teacher and not method.teacher_targets:
        return data, method, {}
    check_blackbox_card(card)
    teacher, training = blackbox_teacher(card, adapter, data)
    path = transcripts_path(cache_dir, card, data, training["teacher"])
    start = time.perf_counter()
    if path.is_file():
        hyps, cached = json.loads(path.read_text()), True
    else:
        audio = data.train.with_format("numpy")["audio"]
        hyps, cached = [normalise(teacher.transcribe(a)) for a in audio], False
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(json.dumps(hyps))
        os.replace(tmp, path)
    refs = list(data.train["text"])
    if len(hyps) != len(refs):
        raise ConfigError(f"{path}: {len(hyps)} cached transcripts for {len(refs)} training utterances; delete it")
    targets, fallback = choose_targets(refs, hyps, method.options.max_wer)
    train = data.train.remove_columns(["text"]).add_column("text", targets)
    info = dict(data.info)
    info["teacher_targets"] = {
        "path": str(path),
        "cached": cached,
        "seconds": time.perf_counter() - start,
        "teacher": card.teacher.model,
        "empty_transcripts": sum(1 for h in hyps if not h.strip()),
        "fallback_to_ground_truth": fallback,
        "train_wer": _wer(refs, hyps),
    }
    new = TranscriptPseudoLabel(method.options)
    return DataSplits(train, data.val, data.test, info), new, {"cached": cached, "cache_path": str(path)}


def choose_targets(refs: list[str], hyps: list[str], max_wer: float | None) -> tuple[list[str], int]:
    """Per utterance the teacher's transcript, or (with ``max_wer``) the reference where it is worse or empty."""
    if max_wer is None:
        return list(hyps), 0
    import jiwer

    out, fallback = [], 0
    for ref, hyp in zip(refs, hyps, strict=True):
        if not hyp.strip() or jiwer.wer(ref, hyp) > max_wer:
            out.append(ref)
            fallback += 1
        else:
            out.append(hyp)
    return out, fallback


def _wer(refs: list[str], hyps: list[str]) -> float:
    """Corpus WER of the pseudo-labels on the training split (normalised as the task scores)."""
    from distillbench.adapters.asr_metrics import error_rates

    return float(error_rates(refs, hyps, bootstrap=False)["wer"])
