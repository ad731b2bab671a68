"""Best and last epoch: the selection on fixed validation curves, both epochs tested, a real tiny training
whose best_val is the argmax of its validation curve, and a teacher card that selects its best epoch."""

from __future__ import annotations

import copy
import math
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from distillbench.config import TrainConfig, load_card
from distillbench.epochs import best_epoch, evaluate_epochs, val_curve, weights_copy
from distillbench.errors import ConfigError
from distillbench.methods.base import build_method
from distillbench.registry import TASKS
from distillbench.train import seed_everything, train_model
from distillbench.worker import run_job
from tests.conftest import smoke_job

CPU = torch.device("cpu")


def no_amp():
    return torch.autocast("cpu", enabled=False)


@pytest.mark.parametrize(
    ("curve", "higher", "best"),
    [
        ([0.50, 0.70, None, 0.70, 0.60], True, 2),  # ties: the earliest; None: not evaluated
        ([0.30, 0.20, math.nan, 0.25], False, 2),  # lower is better (WER); NaN never wins
        ([0.1, 0.2, 0.3], True, 3),  # still rising: the last epoch
        ([None, None], True, None),
        ([], True, None),
    ],
)
def test_best_epoch_on_fixed_curves(curve: list, higher: bool, best: int | None) -> None:
    assert best_epoch(curve, higher) == best


def test_val_curve_takes_the_primary_metric() -> None:
    history = [{"accuracy": 0.5, "macro_f1": 0.4}, None, {"accuracy": 0.75, "macro_f1": 0.7}]
    assert val_curve(history, "accuracy") == [0.5, None, 0.75]


def test_select_best_val_needs_validation() -> None:
    with pytest.raises(ValueError, match="val_every"):
        TrainConfig(select="best_val", val_every=0)
    with pytest.raises(ValueError, match="select must be one of"):
        TrainConfig(select="best_test")


@pytest.fixture(scope="module")
def digits():
    card = load_card("digits")
    adapter = TASKS.get(card.task)(card)
    data = adapter.load_data(smoke=False)
    return card, adapter, data


def _trained(digits, epochs: int = 2):
    card, adapter, data = digits
    seed_everything(0)
    model = adapter.build_model(card.students[0].model, data)
    cfg = TrainConfig(epochs=epochs, batch_size=64, lr=0.05, max_batches_per_epoch=8)
    stats = train_model(adapter, model, data, cfg, build_method("no_kd"), seed=0, device=CPU)
    return model, stats


@pytest.mark.parametrize("select", ["last", "best_val"])
def test_both_epochs_are_tested_and_the_selected_one_is_reported(digits, select: str) -> None:
    """A fake history says epoch 1 was best: its weights are a trained model's, the last epoch's a fresh one's."""
    card, adapter, data = digits
    trained, _ = _trained(digits)
    seed_everything(5)
    fresh = adapter.build_model(card.students[0].model, data).eval()
    expect_best = adapter.evaluate(trained.eval(), data.test, CPU, no_amp)
    expect_last = adapter.evaluate(fresh, data.test, CPU, no_amp)
    history = [{"accuracy": 0.9, "macro_f1": 0.8}, {"accuracy": 0.2, "macro_f1": 0.1}]
    model = copy.deepcopy(fresh)
    quality, predictions = evaluate_epochs(
        adapter, model, data, CPU, no_amp, select=select, history=history, best=1, best_state=weights_copy(trained)
    )
    assert quality["selection"] == select
    assert quality["epochs"]["val_curve"] == [0.9, 0.2]
    assert quality["epochs"]["last"] == {k: expect_last[k] for k in ("accuracy", "macro_f1")}
    assert quality["epochs"]["best_val"] == {"epoch": 1, **{k: expect_best[k] for k in ("accuracy", "macro_f1")}}
    chosen, held = (expect_best, trained) if select == "best_val" else (expect_last, fresh)
    assert quality["accuracy"] == chosen["accuracy"] and quality["val"] == history[0 if select == "best_val" else 1]
    assert [p["prediction"] for p in predictions] == [p["prediction"] for p in chosen["predictions"]]
    assert "predictions" not in quality
    for a, b in zip(model.state_dict().values(), held.state_dict().values(), strict=True):
        assert torch.equal(a, b)  # the model keeps the selected weights


def test_a_real_training_keeps_the_argmax_epoch_of_its_validation_curve(digits) -> None:
    _, adapter, data = digits
    model, stats = _trained(digits, epochs=4)
    curve = val_curve(stats.val_history, "accuracy")
    assert len(curve) == 4 and all(v is not None for v in curve)
    assert stats.best_epoch == curve.index(max(curve)) + 1
    best = copy.deepcopy(model)
    best.load_state_dict(stats.best_state)
    again = adapter.evaluate(best.eval(), data.val, CPU, no_amp)
    assert again["accuracy"] == curve[stats.best_epoch - 1]  # the kept weights are that epoch's
    assert 0 < stats.val_time_s < stats.wall_time_s


def test_validation_does_not_change_training(digits) -> None:
    card, adapter, data = digits
    losses = {}
    for every in (0, 1):
        seed_everything(0)
        model = adapter.build_model(card.students[0].model, data)
        cfg = TrainConfig(epochs=2, batch_size=64, lr=0.05, max_batches_per_epoch=4, val_every=every)
        stats = train_model(adapter, model, data, cfg, build_method("no_kd"), seed=0, device=CPU)
        losses[every] = stats.step_losses
        assert len(stats.val_history) == 2 and (stats.best_epoch is None) == (every == 0)
    assert losses[0] == losses[1]


def test_a_teacher_card_selecting_best_val_records_both_epochs(tmp_path, write) -> None:
    """A constant lr of 0.5 makes the digits teacher's validation accuracy dip in its 6th epoch (measured:
    0.378, 0.811, 0.917, 0.950, 0.967, 0.917), so the best epoch (5) is not the last."""
    base = load_card("digits")
    text = (
        Path(base.path)
        .read_text()
        .replace(
            "teacher_train: {epochs: 3, batch_size: 64, lr: 0.05}",
            "teacher_train: {epochs: 6, batch_size: 64, lr: 0.5, schedule: constant, select: best_val}",
        )
    )
    assert "select: best_val" in text
    card = write("tasks/digits-best.yaml", text)
    job = replace(smoke_job(str(card), "teacher", None, str(tmp_path / "cache")), smoke=False)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the curve above was measured with one thread; two threads reduce in another order
    try:
        result = run_job(job)
    finally:
        torch.set_num_threads(threads)
    assert result.status == "ok", result.error
    q = result.quality
    curve = q["epochs"]["val_curve"]
    best = q["epochs"]["best_val"]["epoch"]
    assert q["selection"] == "best_val" and len(curve) == 6
    assert best == curve.index(max(curve)) + 1 and best < 6
    assert q["accuracy"] == q["epochs"]["best_val"]["accuracy"] != q["epochs"]["last"]["accuracy"]
    assert q["val"]["accuracy"] == max(curve)
    blob = torch.load(result.training["cache_path"], weights_only=True)
    assert set(blob["epoch_weights"]) == {"last", "best_val"}  # students distil from blob["state_dict"]: the best
    assert all(torch.equal(blob["state_dict"][k], v) for k, v in blob["epoch_weights"]["best_val"].items())
    cached = run_job(job)  # from the teacher cache: the same figures, both epochs still there
    assert cached.training["cached"] is True and cached.quality["epochs"] == q["epochs"]
    with pytest.raises(ConfigError, match="select"):
        load_card(str(write("tasks/bad.yaml", text.replace("select: best_val", "select: best"))))


def test_only_a_non_default_selection_changes_the_teacher_cache_key() -> None:
    """Teachers cached before ``select``/``val_every`` existed keep their keys (checked against commit fafb150:
    digits -> digits-1f648b2799a84c4c for cache /c, data version v1); choosing best_val trains another teacher."""
    from distillbench.worker import teacher_cache_path, train_config

    card = load_card("digits")
    job = smoke_job("digits", "teacher", None, "/c")
    cfg = train_config(card, card.teacher, card.teacher_train, False)
    key = teacher_cache_path(job, card, cfg, "v1")
    assert teacher_cache_path(job, card, replace(cfg, select="last", val_every=1), "v1") == key
    assert teacher_cache_path(job, card, replace(cfg, select="best_val"), "v1") != key
    assert teacher_cache_path(job, card, replace(cfg, val_every=2), "v1") != key
