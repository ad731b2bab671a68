"""``distillbench report RUN --recompute``: every recorded quality figure recomputed from the saved predictions.

Each ok record with a predictions file (predictions.py; ``config["predictions"]``) is scored again from
that file with the public libraries alone — never through distillbench's own metric code — and every
figure is compared with the record:

- accuracy and macro-F1 (image classification, sentiment): scikit-learn ``accuracy_score`` and
  ``f1_score(average="macro", zero_division=0)`` on the reference and predicted class ids;
- BLEU and chrF (translation), of the beam hypotheses and of the greedy ones: sacrebleu's ``BLEU()`` and
  ``CHRF()`` ``corpus_score`` with their defaults (13a tokenisation, exponential smoothing; character
  6-grams, beta 2) — Post 2018;
- WER and CER (speech), on the main test set and on each real test set: ``jiwer.wer`` / ``jiwer.cer`` over
  the stored normalised transcripts (total edits / total reference words or characters);
- COCO box AP (detection): pycocotools ``COCOeval`` (bbox) on the stored ground truth and detections;
  ``map``, ``ap50``, ``ap75`` and AP by size are ``stats[0:6]`` (-1, no object of that size: None).
  pycocotools cannot load an empty detection list; with no detection at all every AP is 0.

A figure agrees when ``math.isclose(recorded, recomputed, rel_tol=RTOL, abs_tol=ATOL)``: these metrics are
exact functions of the predictions, so only float rounding may differ. The number of main-set rows must
equal the record's ``n_test`` (``n_images`` for detection). Records without a predictions file are
listed as made by an older run.
"""

from __future__ import annotations

import contextlib
import io
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from distillbench.predictions import read_predictions, resolve

RTOL = 1e-9
ATOL = 1e-12
NO_PREDICTIONS = "no predictions saved (older run)"


@dataclass
class Figure:
    metric: str
    recorded: float | None
    recomputed: float | None

    @property
    def agrees(self) -> bool:
        a, b = self.recorded, self.recomputed
        if a is None or b is None:
            return a is None and b is None
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return math.isclose(a, b, rel_tol=RTOL, abs_tol=ATOL)


@dataclass
class JobCheck:
    """One record's verdict: ``agrees``, ``differs``, or why it could not be checked."""

    label: str
    status: str
    figures: list[Figure] = field(default_factory=list)
    note: str = ""


def label(record: dict[str, Any]) -> str:
    who = record["model_name"] if record["role"] != "student" else f"{record['model_name']} + {record['method']}"
    return f"{record['task']}: {who} (seed {record['seed']})"


# --------------------------------------------------------------------------- per task, public libraries only


def classification(rows: list[dict[str, Any]]) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, f1_score

    y_true = [r["reference"] for r in rows]
    y_pred = [r["prediction"] for r in rows]
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, average="macro", zero_division=0)),
    }


def translation(rows: list[dict[str, Any]]) -> dict[str, float]:
    from sacrebleu.metrics import BLEU, CHRF

    refs = [[r["reference"] for r in rows]]
    out: dict[str, float] = {}
    for suffix, key in (("", "prediction"), ("_greedy", "greedy")):
        if all(key in r for r in rows):
            hyps = [r[key] for r in rows]
            out[f"bleu{suffix}"] = float(BLEU().corpus_score(hyps, refs).score)
            out[f"chrf{suffix}"] = float(CHRF().corpus_score(hyps, refs).score)
    return out


def speech(rows: list[dict[str, Any]]) -> dict[str, float]:
    import jiwer

    out: dict[str, float] = {}
    for name in dict.fromkeys(r.get("set", "main") for r in rows):
        refs = [r["reference"] for r in rows if r.get("set", "main") == name]
        hyps = [r["prediction"] for r in rows if r.get("set", "main") == name]
        prefix = "" if name == "main" else f"{name.replace('/', '.')}."
        out[f"{prefix}wer"] = float(jiwer.wer(refs, hyps))
        out[f"{prefix}cer"] = float(jiwer.cer(refs, hyps))
    return out


COCO_STATS = ("map", "ap50", "ap75", "ap_small", "ap_medium", "ap_large")


def detection(rows: list[dict[str, Any]]) -> dict[str, float | None]:
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    images, anns, results, categories = [], [], [], set()
    for r in rows:
        images.append({"id": int(r["id"])})
        for (x1, y1, x2, y2), c in zip(r["reference"]["boxes"], r["reference"]["category_ids"], strict=True):
            anns.append(
                {
                    "id": len(anns) + 1,
                    "image_id": int(r["id"]),
                    "category_id": int(c),
                    "bbox": [x1, y1, x2 - x1, y2 - y1],
                    "area": (x2 - x1) * (y2 - y1),
                    "iscrowd": 0,
                }
            )
            categories.add(int(c))
        p = r["prediction"]
        for (x1, y1, x2, y2), s, c in zip(p["boxes"], p["scores"], p["category_ids"], strict=True):
            results.append(
                {"image_id": int(r["id"]), "category_id": int(c), "bbox": [x1, y1, x2 - x1, y2 - y1], "score": s}
            )
            categories.add(int(c))
    if not results:
        return dict.fromkeys(COCO_STATS, 0.0)
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO()
        gt.dataset = {"images": images, "annotations": anns, "categories": [{"id": c} for c in sorted(categories)]}
        gt.createIndex()
        ev = COCOeval(gt, gt.loadRes(results), iouType="bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return {k: (None if s < 0 else float(s)) for k, s in zip(COCO_STATS, ev.stats[: len(COCO_STATS)], strict=True)}


#: the recomputation for each primary metric (which names the task's kind)
BY_METRIC: dict[str, Callable[[list[dict[str, Any]]], dict[str, Any]]] = {
    "accuracy": classification,
    "bleu": translation,
    "wer": speech,
    "map": detection,
}


# --------------------------------------------------------------------------- records


def recorded(quality: dict[str, Any], metric: str) -> Any:
    """A recorded figure by dotted name (``real_test.<set>.wer``); None when absent."""
    value: Any = quality
    for part in metric.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def check_record(record: dict[str, Any], run_dir: Path) -> JobCheck:
    """Recompute one record's figures from its predictions file and compare them with the record."""
    path = resolve(record, run_dir)
    if path is None:
        return JobCheck(label(record), NO_PREDICTIONS)
    if not path.is_file():
        return JobCheck(label(record), "differs", note=f"predictions file {path} is missing")
    fn = BY_METRIC.get(record.get("primary_metric", ""))
    if fn is None:
        return JobCheck(label(record), "differs", note=f"no recomputation for metric {record.get('primary_metric')!r}")
    rows = read_predictions(path)
    quality = record.get("quality") or {}
    figures = [Figure(k, _num(recorded(quality, k)), _num(v)) for k, v in fn(rows).items()]
    n_main = sum(1 for r in rows if r.get("set", "main") == "main")
    n_recorded = quality.get("n_test", quality.get("n_images"))
    figures.append(Figure("samples", _num(n_recorded), float(n_main)))
    return JobCheck(label(record), "agrees" if all(f.agrees for f in figures) else "differs", figures)


def check_run(records: Iterable[dict[str, Any]], run_dir: Path) -> list[JobCheck]:
    """Every ok record's check (reference and failed records are skipped)."""
    return [check_record(r, run_dir) for r in records if r.get("status") == "ok"]


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


def render(checks: list[JobCheck]) -> Any:
    """A rich table: per job and figure the recorded and recomputed value and the verdict."""
    from rich.table import Table

    table = Table(title=f"Quality recomputed from saved predictions (agree: |Δ| <= {RTOL:g} relative)")
    for name in ("job", "figure", "recorded", "recomputed", "result"):
        table.add_column(name, justify="right" if name in ("recorded", "recomputed") else "left")
    for c in checks:
        if not c.figures:
            table.add_row(c.label, "", "", "", c.note or c.status)
            continue
        for i, f in enumerate(c.figures):
            verdict = "agrees" if f.agrees else "DIFFERS"
            table.add_row(c.label if i == 0 else "", f.metric, _fmt(f.recorded), _fmt(f.recomputed), verdict)
    return table


def summary(checks: list[JobCheck]) -> str:
    counts = {s: sum(c.status == s for c in checks) for s in ("agrees", "differs", NO_PREDICTIONS)}
    return (
        f"{counts['agrees']} job(s) agree with the record, {counts['differs']} differ, "
        f"{counts[NO_PREDICTIONS]} have no saved predictions (older run)"
    )


def _fmt(v: float | None) -> str:
    return "—" if v is None else f"{v:.10g}"
