"""Soft-label replay (teacher_replay.py, FKD): views recorded per epoch and sample, the teacher's outputs on them.

The replayed outputs equal the teacher's online outputs on the very views training makes (float16 rounding
only), a job records where its outputs came from, and a second job replays them without running the teacher.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import torch

from distillbench.config import load_card
from distillbench.data.augment import epoch_views
from distillbench.methods.base import build_method
from distillbench.registry import TASKS
from distillbench.teacher_outputs import CacheOptions
from distillbench.teacher_replay import bytes_per_view, load_or_build, replay_plan
from distillbench.worker import get_teacher, run_job, train_config
from tests.conftest import ROOT, smoke_job

AUGMENT = {"padding": 2, "flip": True, "replay": True, "replay_seed": 3}


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A card with replayed augmentation (the image card's, plus ``augment``), its smoke data and its teacher as
    built (untrained: what the replay records does not depend on the weights)."""
    base = tmp_path_factory.getbasetemp()
    card_path = base / "image-replay.yaml"
    card_path.write_text(
        f"include: {ROOT / 'tasks' / 'image_classification.yaml'}\nname: image-replay\nteacher_train: {{epochs: 0}}\n"
        f"student_train: {{epochs: 2, batch_size: 64, optimizer: sgd, lr: 0.05, augment: {AUGMENT}}}\n"
    )
    cache = str(base / "replay-cache")
    card = load_card(str(card_path))
    adapter = TASKS.get(card.task)(card)
    data = adapter.load_data(smoke=True)
    teacher, training = get_teacher(smoke_job(str(card_path), "teacher", None, cache), card, adapter, data,
                                    torch.device("cpu"), None)  # fmt: skip
    cfg = replace(train_config(card, card.students[0], card.student_train, smoke=True), epochs=2)
    return {"path": str(card_path), "cache": cache, "card": card, "adapter": adapter, "data": data,
            "teacher": teacher, "training": training, "cfg": cfg}  # fmt: skip


def _replay(image: dict[str, Any], method: str, cache_dir: str, cfg: Any = None) -> tuple[Any, dict[str, Any]]:
    card = image["card"]
    return load_or_build(
        image["adapter"], image["teacher"], image["data"], cfg or image["cfg"],
        method=build_method(method, card.methods.get(method)), teacher_training=image["training"],
        data_key={"card": card.name}, cache_dir=cache_dir, card_name=card.name, device=torch.device("cpu"),
        precision="fp32", amp=lambda: torch.autocast("cpu", enabled=False),
    )  # fmt: skip


def test_replayed_outputs_are_the_teachers_on_the_training_views(image: dict[str, Any], tmp_path: Path) -> None:
    replay, record = _replay(image, "kd", str(tmp_path))
    n, adapter, cfg = len(image["data"].train), image["adapter"], image["cfg"]
    assert record["source"] == "replay" and record["epochs"] == 2 and record["samples"] == n and record["built"]
    assert record["bytes_per_sample_epoch"] == 3 + 2 * 10 == bytes_per_view(replay.tensors)  # 10 digit classes
    for epoch in range(2):
        outputs, views = replay.epoch(epoch)
        table = epoch_views(n, 28, 28, cfg.augmentation(), epoch)
        assert torch.equal(views.top, table.top) and torch.equal(views.flip, table.flip)
        # a student's batches (its own seed and order) carry the recorded views: the teacher on them matches
        batch = next(adapter.train_batches(image["data"].train, cfg, seed=999, epoch=epoch))
        with torch.no_grad():
            online = adapter.forward(image["teacher"].eval(), batch).logits
        replayed = outputs.lookup(batch["index"], torch.device("cpu")).logits
        assert torch.allclose(replayed, online, rtol=2**-10, atol=1e-3)  # float16 rounding only
    first, second = replay.epoch(0)[1], replay.epoch(1)[1]
    assert not torch.equal(first.top, second.top)  # a new view of each sample every epoch
    assert 0.3 < first.flip.float().mean() < 0.7 and int(first.top.max()) == 4  # padding 2: offsets 0..4


def test_top_k_replay_keeps_k_logits_per_view(image: dict[str, Any], tmp_path: Path) -> None:
    cfg = replace(image["cfg"], augment={**AUGMENT, "replay_top_k": 3})
    replay, record = _replay(image, "kd", str(tmp_path), cfg)
    assert record["source"] == "replay" and record["top_k"] == 3 and record["bytes_per_sample_epoch"] == 3 + 3 * 6
    logits = replay.epoch(1)[0].lookup(torch.arange(4), torch.device("cpu")).logits
    assert ((logits > -1e3).sum(-1) == 3).all()  # the other classes get exactly 0 probability after the softmax
    full, _ = _replay(image, "kd", str(tmp_path))
    assert torch.equal(
        logits.topk(3).indices, full.epoch(1)[0].lookup(torch.arange(4), torch.device("cpu")).logits.topk(3).indices
    )
    _, online = _replay(image, "dkd", str(tmp_path), cfg)  # dkd needs every class: the teacher runs online
    assert online["source"] == "online" and "top-3 logits and 'dkd' needs them all" in online["reason"]


def test_what_cannot_be_replayed_says_why() -> None:
    opts = CacheOptions()
    assert replay_plan(build_method("kd"), None, opts) == "augment.replay is off"
    assert "features" in (replay_plan(build_method("fitnet"), AUGMENT, opts) or "")
    assert replay_plan(build_method("kd"), AUGMENT, opts) is None
    assert "limit" in _too_big()


def _too_big() -> str:
    from distillbench.teacher_outputs_build import NotCacheable
    from distillbench.teacher_replay import build_replay

    card = load_card("image_classification")
    adapter = TASKS.get(card.task)(card)
    data = adapter.load_data(smoke=True)
    cfg = replace(train_config(card, card.students[0], card.student_train, smoke=True), augment=AUGMENT, epochs=3)
    teacher = adapter.build_model(card.students[0].model, data)
    with pytest.raises(NotCacheable) as err:
        amp = lambda: torch.autocast("cpu", enabled=False)  # noqa: E731
        build_replay(adapter, teacher, data, cfg, device=torch.device("cpu"), amp=amp, sparse_ok=False,
                     options=CacheOptions(max_bytes=1000))  # fmt: skip
    return str(err.value)


def test_jobs_replay_without_running_the_teacher(image: dict[str, Any], teacher_forwards: dict[str, int]) -> None:
    calls = teacher_forwards
    first = run_job(smoke_job(image["path"], "student", "kd", image["cache"], seed=0))
    built_with = calls["eval"]
    second = run_job(smoke_job(image["path"], "student", "dkd", image["cache"], seed=1))
    r1, r2 = first.training["teacher_outputs"], second.training["teacher_outputs"]
    assert first.status == second.status == "ok", (first.error, second.error)
    assert r1["source"] == r2["source"] == "replay" and r1["built"] and not r2["built"] and r1["sha256"] == r2["sha256"]
    assert built_with > 0 and calls["eval"] == built_with  # the second job never ran the teacher
    feature = run_job(smoke_job(image["path"], "student", "fitnet", image["cache"]))
    assert feature.training["teacher_outputs"]["source"] == "online"  # features: the teacher sees each view live
