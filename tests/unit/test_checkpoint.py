"""Per-epoch checkpoints: a training killed part-way resumes from its last epoch and ends where an
uninterrupted one ends; checkpoints of another configuration or damaged ones are ignored."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import torch

from distillbench.checkpoint import load_checkpoint, save_checkpoint, student_checkpoint
from distillbench.config import TrainConfig
from distillbench.methods.base import build_method
from distillbench.train import seed_everything, train_model
from tests.conftest import smoke_models


class Killed(Exception):
    """Stands in for the process being killed in the middle of an epoch."""


@pytest.fixture(scope="module")
def setup():
    return smoke_models("digits")


def _train(setup, model, checkpoint: Path | None, progress=None):
    card, adapter, data, teacher, _ = setup
    cfg = TrainConfig(epochs=3, batch_size=16, lr=0.05, max_batches_per_epoch=3)
    return train_model(
        adapter,
        model,
        data,
        cfg,
        build_method("fitnet", card.methods["fitnet"]),  # learned projection: method state is checkpointed too
        seed=0,
        device=torch.device("cpu"),
        teacher=teacher,
        student_features=card.students[0].features,
        teacher_features=card.teacher.features,
        progress=progress,
        checkpoint=checkpoint,
        checkpoint_key="job-1",
    )


def test_killed_training_resumes_from_its_last_epoch_and_ends_the_same(setup, tmp_path: Path) -> None:
    student = setup[4]
    reference = copy.deepcopy(student)
    seed_everything(1)
    full = _train(setup, reference, None)

    def kill_in_third_epoch(step: int, total: int, text: str) -> None:
        if step == 8:  # epochs 1 and 2 (3 steps each) are checkpointed; epoch 3 is in progress
            raise Killed

    ckpt = student_checkpoint(tmp_path, "job-1")
    killed = copy.deepcopy(student)
    seed_everything(1)
    with pytest.raises(Killed):
        _train(setup, killed, ckpt, kill_in_third_epoch)
    saved = load_checkpoint(ckpt, "job-1")
    assert saved["epoch"] == 2 and len(saved["stats"]["val_history"]) == 2 and saved["best_state"]
    resumed_model = copy.deepcopy(student)  # a fresh process: weights as built, not as trained
    seed_everything(1)
    resumed = _train(setup, resumed_model, ckpt)
    assert resumed.resumed_from_epoch == 2 and full.resumed_from_epoch is None
    assert resumed.steps == full.steps == 9 and resumed.samples == full.samples
    assert resumed.epoch_losses == pytest.approx(full.epoch_losses, abs=1e-6)
    # the validation curve and the best epoch's weights survive the kill (epochs 1-2 come from the checkpoint)
    assert len(full.val_history) == 3 and resumed.val_history == full.val_history
    assert resumed.best_epoch == full.best_epoch is not None
    for k, v in full.best_state.items():
        assert torch.allclose(v.float(), resumed.best_state[k].float(), atol=1e-6)
    for a, b in zip(reference.state_dict().values(), resumed_model.state_dict().values(), strict=True):
        assert torch.allclose(a.float(), b.float(), atol=1e-6)
    assert sorted(p.name for p in ckpt.parent.iterdir()) == ["job-1.pt"]  # no temporary files left behind


def test_a_checkpoint_of_another_config_or_a_damaged_one_is_ignored(tmp_path: Path, caplog) -> None:
    path = tmp_path / "c.pt"
    save_checkpoint(path, {"key": "a", "epoch": 1})
    assert load_checkpoint(path, "a")["epoch"] == 1
    assert load_checkpoint(path, "b") is None and "another configuration" in caplog.text
    path.write_bytes(b"torn")
    assert load_checkpoint(path, "a") is None and "unreadable checkpoint" in caplog.text
    assert load_checkpoint(tmp_path / "missing.pt", "a") is None
