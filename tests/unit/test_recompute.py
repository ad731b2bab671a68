"""Saved predictions and ``report --recompute``: per task, a tiny real job's predictions file has one line
per test sample and the public libraries recompute exactly the recorded figures; a tampered file differs."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from distillbench.cli import app
from distillbench.predictions import adopt, read_predictions
from distillbench.report.recompute import NO_PREDICTIONS, check_run, speech
from distillbench.results import append_result
from distillbench.worker import run_job
from tests.conftest import smoke_job

#: one card per task adapter, and the figures recompute must find in its record
TASK_CARDS = {
    "digits": {"accuracy", "macro_f1"},
    "sentiment": {"accuracy", "macro_f1"},
    "translation": {"bleu", "chrf", "bleu_greedy", "chrf_greedy"},
    "speech": {"wer", "cer"},
    "detection": {"map", "ap50", "ap75"},
}


def _run(card: str, run_dir: Path, cache: Path) -> dict:
    """A smoke teacher job (trained, tested, predictions saved), recorded as the runner records it."""
    result = run_job(smoke_job(card, "teacher", None, str(cache)))
    assert result.status == "ok", result.error
    adopt(result.config, run_dir)
    append_result(run_dir / "results.jsonl", result)
    return result.to_dict()


@pytest.mark.parametrize("card", list(TASK_CARDS))
def test_predictions_recompute_to_the_recorded_figures(card: str, tmp_path: Path, tmp_path_factory) -> None:
    record = _run(card, tmp_path, tmp_path_factory.getbasetemp() / "recompute-cache")
    assert record["config"]["predictions"] == f"predictions/{record['job_id']}.jsonl.gz"
    rows = read_predictions(tmp_path / record["config"]["predictions"])
    main = [r for r in rows if r.get("set", "main") == "main"]
    assert len(main) == record["quality"].get("n_test", record["quality"].get("n_images"))
    assert all({"id", "reference", "prediction"} <= set(r) for r in rows)
    (check,) = check_run([record], tmp_path)
    assert check.status == "agrees", [(f.metric, f.recorded, f.recomputed) for f in check.figures]
    assert TASK_CARDS[card] <= {f.metric for f in check.figures}
    if card == "speech":  # real recordings (when installed) are recomputed separately from the synthetic set
        real = record["quality"].get("real_test", {})
        assert real or "pocketsphinx-testdata" in record["config"]["data"]["extra_test_missing"]
        assert {f"real_test.{n}.wer" for n in real} <= {f.metric for f in check.figures}
        assert sum(r["set"] != "main" for r in rows) == sum(v["n"] for v in real.values())


def test_speech_sets_are_scored_apart() -> None:
    rows = [
        {"id": 0, "set": "main", "reference": "a b c", "prediction": "a x c"},
        {"id": 1, "set": "main", "reference": "d e", "prediction": "d e"},
        {"id": 0, "set": "real_test/rec", "reference": "hello world", "prediction": "hello"},
    ]
    out = speech(rows)
    assert out["wer"] == pytest.approx(1 / 5) and out["cer"] == pytest.approx(1 / 8)  # "a b c"+"d e": 8 chars
    assert out["real_test.rec.wer"] == pytest.approx(1 / 2) and out["real_test.rec.cer"] == pytest.approx(6 / 11)


def test_a_tampered_prediction_is_reported_and_old_records_are_listed(tmp_path: Path, tmp_path_factory) -> None:
    record = _run("digits", tmp_path, tmp_path_factory.getbasetemp() / "recompute-cache")
    old = {**record, "job_id": "old", "config": {k: v for k, v in record["config"].items() if k != "predictions"}}
    append_result(tmp_path / "results.jsonl", old)
    cli = CliRunner()
    agreed = cli.invoke(app, ["report", str(tmp_path), "--recompute"])
    assert agreed.exit_code == 0, agreed.output
    assert "1 job(s) agree with the record, 0 differ, 1 have no saved predictions (older run)" in agreed.output
    assert NO_PREDICTIONS in agreed.output

    path = tmp_path / record["config"]["predictions"]
    rows = read_predictions(path)
    wrong = next(i for i, r in enumerate(rows) if r["prediction"] == r["reference"])  # a correct one, made wrong
    rows[wrong]["prediction"] = (rows[wrong]["reference"] + 1) % 10
    with gzip.open(path, "wt") as f:
        f.writelines(json.dumps(r) + "\n" for r in rows)
    (check, _) = check_run([record, old], tmp_path)
    acc = next(f for f in check.figures if f.metric == "accuracy")
    assert check.status == "differs" and acc.recomputed == pytest.approx(acc.recorded - 1 / len(rows), abs=1e-12)
    tampered = cli.invoke(app, ["report", str(tmp_path), "--recompute"])
    assert tampered.exit_code == 1 and "DIFFERS" in tampered.output


def test_detection_recompute_equals_the_adapters_coco_metrics_on_real_boxes() -> None:
    """Non-trivial AP (an untrained smoke detector scores 0): jittered ground-truth boxes as detections."""
    import numpy as np

    from distillbench.adapters.coco_eval import coco_metrics
    from distillbench.report.recompute import detection

    rng = np.random.default_rng(0)
    cats = [3, 7, 9]
    ids, gt_b, gt_l, dt_b, dt_s, dt_l = [], [], [], [], [], []
    for image_id in range(12):
        n = int(rng.integers(1, 5))
        xy = rng.uniform(0, 80, size=(n, 2))
        wh = rng.uniform(8, 40, size=(n, 2))
        boxes = np.concatenate([xy, xy + wh], axis=1).astype(np.float32)
        labels = rng.integers(0, 3, size=n)
        keep = rng.random(n) < 0.8  # some objects missed
        noisy = (boxes + rng.normal(0, 3, size=boxes.shape)).astype(np.float32)[keep]
        ids.append(image_id + 100)
        gt_b.append(boxes), gt_l.append(labels)
        dt_b.append(noisy), dt_s.append(rng.uniform(0.1, 1, size=len(noisy)).astype(np.float32))
        dt_l.append(np.where(rng.random(len(noisy)) < 0.9, labels[keep], (labels[keep] + 1) % 3))
    mine = coco_metrics(ids, gt_b, gt_l, dt_b, dt_s, dt_l, cats)
    rows = [
        {
            "id": i,
            "reference": {"boxes": gb.tolist(), "category_ids": [cats[c] for c in gl.tolist()]},
            "prediction": {"boxes": db.tolist(), "scores": ds.tolist(), "category_ids": [cats[c] for c in dl.tolist()]},
        }
        for i, gb, gl, db, ds, dl in zip(ids, gt_b, gt_l, dt_b, dt_s, dt_l, strict=True)
    ]
    again = detection(json.loads(json.dumps(rows)))  # through JSON, as the file stores them
    assert 0.2 < mine["map"] < 0.95
    assert again == {k: mine[k] for k in again}


def test_speech_recompute_equals_the_adapters_error_rates() -> None:
    from distillbench.adapters.asr_metrics import error_rates
    from distillbench.report.recompute import speech as recompute_speech

    refs = ["the cat sat", "on the mat today", "a dog", "red green blue"]
    hyps = ["the cat sad", "on mat today now", "", "red green blue"]
    mine = error_rates(refs, hyps, bootstrap=False)
    rows = [
        {"id": i, "set": "main", "reference": r, "prediction": h}
        for i, (r, h) in enumerate(zip(refs, hyps, strict=True))
    ]
    again = recompute_speech(rows)
    assert again == {"wer": mine["wer"], "cer": mine["cer"]} and mine["wer"] == pytest.approx(5 / 12)
