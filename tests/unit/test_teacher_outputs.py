"""Cached teacher outputs (teacher_outputs.py): built once, looked up by sample index, close to the online pass.

Stated tolerance: the losses of kd, dkd, mlkd, dist (logits) and fitnet (features) on a batch with the cached
float16 outputs agree with those on the teacher's online float32 outputs within 1e-3 relative.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

from distillbench.config import load_card
from distillbench.methods.base import build_method
from distillbench.methods.kd import soft_kl
from distillbench.registry import TASKS
from distillbench.teacher_outputs import SPARSE_FILL, CacheOptions, TeacherOutputs, load_or_build, plan
from distillbench.teacher_outputs_build import NotCacheable, build_outputs
from distillbench.types import ModelOutput
from distillbench.worker import get_teacher, run_job, train_config
from tests.conftest import smoke_job

REL_TOL = 1e-3


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The image card's smoke data and its trained (cached) teacher."""
    cache = str(tmp_path_factory.getbasetemp() / "tcache-teacher")
    card = load_card("image_classification")
    adapter = TASKS.get(card.task)(card)
    data = adapter.load_data(smoke=True)
    job = smoke_job("image_classification", "teacher", None, cache)
    teacher, training = get_teacher(job, card, adapter, data, torch.device("cpu"), None)
    return {"cache": cache, "card": card, "adapter": adapter, "data": data, "teacher": teacher, "training": training}


def _outputs(image: dict[str, Any], method: str, cache_dir: str, augment: Any = None) -> tuple[Any, dict[str, Any]]:
    card = image["card"]
    return load_or_build(
        image["adapter"],
        image["teacher"],
        image["data"],
        method=build_method(method, card.methods[method]),
        augment=augment,
        teacher_training=image["training"],
        teacher_features=card.teacher.features,
        data_key={"card": card.name, "train": len(image["data"].train)},
        cache_dir=cache_dir,
        card_name=card.name,
        batch_size=16,
        device=torch.device("cpu"),
        precision="fp32",
        amp=lambda: torch.autocast("cpu", enabled=False),
    )


@pytest.mark.parametrize("method", ["kd", "dkd", "mlkd", "dist", "fitnet"])
def test_cached_loss_matches_the_online_loss(image: dict[str, Any], method: str, tmp_path: Path) -> None:
    outputs, record = _outputs(image, method, str(tmp_path))
    assert record["source"] == "cache" and record["dtype"] == "float16" and len(record["sha256"]) == 64
    adapter, card = image["adapter"], image["card"]
    m = build_method(method, card.methods[method])
    torch.manual_seed(0)
    student = adapter.build_model(card.students[0].model, image["data"])
    cfg = train_config(card, card.students[0], card.student_train, smoke=True)
    batch = next(adapter.train_batches(image["data"].train, cfg, seed=7))
    hooks_t = {"hint": card.teacher.features["hint"]}
    from distillbench.features import FeatureHooks

    with torch.no_grad(), FeatureHooks(image["teacher"], hooks_t) as ht:
        online = adapter.forward(image["teacher"], batch)
        online.features = ht.take()
    cached = outputs.lookup(batch["index"], torch.device("cpu"))
    assert cached.logits.dtype == torch.float32 and cached.logits.shape == online.logits.shape
    assert torch.allclose(cached.logits, online.logits, rtol=2**-10, atol=1e-4)  # float16 rounding only
    with FeatureHooks(student, {"hint": card.students[0].features["hint"]}) as hs:
        s_out = adapter.forward(student, batch)
        s_out.features = hs.take()
    m.setup(s_out, online)
    a, b = m.loss(s_out, online, batch)["loss"].item(), m.loss(s_out, cached, batch)["loss"].item()
    assert abs(a - b) <= REL_TOL * abs(a), f"{method}: online {a} vs cached {b}"


def test_built_once_then_reused_without_a_teacher_forward(
    image: dict[str, Any], teacher_forwards: dict[str, int]
) -> None:
    import shutil

    shutil.rmtree(Path(image["cache"]) / "teacher_outputs", ignore_errors=True)
    calls = teacher_forwards
    first = run_job(smoke_job("image_classification", "student", "kd", image["cache"], seed=0))
    built_with = calls["eval"]
    second = run_job(smoke_job("image_classification", "student", "dkd", image["cache"], seed=1))
    r1, r2 = first.training["teacher_outputs"], second.training["teacher_outputs"]
    assert first.status == second.status == "ok"
    assert r1["source"] == r2["source"] == "cache" and r1["built"] and not r2["built"]
    assert r1["path"] == r2["path"] and r1["sha256"] == r2["sha256"] and r1["dtype"] == "float16"
    assert built_with == -(-len(image["data"].train) // 64)  # one pass over the split, in training-size batches
    assert calls["eval"] == built_with  # the second job never ran the teacher
    alone = run_job(smoke_job("image_classification", "student", "no_kd", image["cache"]))
    assert alone.training["teacher_outputs"]["source"] == "none"


def test_augmented_inputs_run_the_teacher_online(image: dict[str, Any], tmp_path: Path) -> None:
    assert "augment" in (plan(build_method("kd"), {"flip": True}, CacheOptions()) or "")
    outputs, record = _outputs(image, "kd", str(tmp_path), augment={"flip": True})
    assert outputs is None and record["source"] == "online" and "augmented" in record["reason"]
    assert not (tmp_path / "teacher_outputs").exists() or not list((tmp_path / "teacher_outputs").glob("*.safetensors"))
    assert "cacheable" in plan(build_method("tinybert"), None, CacheOptions())  # type: ignore[operator]
    assert "disabled" in plan(build_method("kd"), None, CacheOptions(enabled=False))  # type: ignore[operator]


def test_a_corrupt_cache_is_detected_and_rebuilt(
    image: dict[str, Any], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _, first = _outputs(image, "kd", str(tmp_path))
    path = Path(first["path"])
    raw = bytearray(path.read_bytes())
    raw[-8:] = bytes(8)  # flip the last logits
    path.write_bytes(bytes(raw))
    with caplog.at_level(logging.WARNING, logger="distillbench.teacher_outputs"):
        _, second = _outputs(image, "kd", str(tmp_path))
    assert second["built"] and "sha256" in second["rebuilt_because"] and "rebuilding" in caplog.text
    assert second["sha256"] == first["sha256"]  # the same outputs again
    path.with_suffix(".json").unlink()
    _, third = _outputs(image, "kd", str(tmp_path))
    assert third["built"] and "manifest" in third["rebuilt_because"]
    _, fourth = _outputs(image, "kd", str(tmp_path))
    assert not fourth["built"] and fourth["rebuilt_because"] is None


class _SeqTeacher(nn.Module):
    """Per-position logits from a table (sample, position, class), with a hooked feature of the batch's width."""

    def __init__(self, table: torch.Tensor) -> None:
        super().__init__()
        self.table = table
        self.body = nn.Identity()

    def forward(self, index: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        width = int(lengths.max())
        mask = torch.arange(width)[None] < lengths[:, None]
        self.body(torch.zeros(len(index), width, 3))  # a feature that follows the padding
        return self.table[index, :width] * mask[..., None], mask


class _SeqAdapter:
    """A token-level task in miniature: batches of variable length, a prefix mask."""

    registry_name = "seq"

    def __init__(self, lengths: list[int]) -> None:
        self.lengths = torch.as_tensor(lengths)

    def batches(self, ds: Any, batch_size: int, shuffle: bool = False, seed: int = 0) -> Any:
        for start in range(0, len(self.lengths), batch_size):
            index = torch.arange(start, min(start + batch_size, len(self.lengths)))
            yield {"index": index, "lengths": self.lengths[index]}

    def forward(self, model: nn.Module, batch: Any) -> ModelOutput:
        logits, mask = model(batch["index"], batch["lengths"])
        return ModelOutput(logits=logits, mask=mask)


def _seq_build(classes: int, features: dict[str, str] | None = None, **opts: Any) -> tuple[torch.Tensor, Any]:
    lengths = [3, 1, 4, 2, 5]
    table = torch.randn(len(lengths), 5, classes, generator=torch.Generator().manual_seed(0)) * 3
    data = type("D", (), {"train": list(range(len(lengths)))})()
    teacher = _SeqTeacher(table)
    tensors = build_outputs(
        _SeqAdapter(lengths),  # type: ignore[arg-type]
        teacher,
        data,  # type: ignore[arg-type]
        batch_size=2,
        device=torch.device("cpu"),
        amp=lambda: torch.autocast("cpu", enabled=False),
        feature_paths=features or {},
        sparse_ok=opts.pop("sparse_ok", True),
        options=CacheOptions(**opts),
    )
    return table, TeacherOutputs(tensors)


def test_per_position_logits_are_stored_without_padding_and_looked_up_by_index() -> None:
    table, outputs = _seq_build(classes=6)
    assert outputs.tensors["offsets"].tolist() == [0, 3, 4, 8, 10, 15]  # one row per valid position
    out = outputs.lookup(torch.tensor([4, 1]), torch.device("cpu"))
    assert out.mask.tolist() == [[True] * 5, [True, False, False, False, False]]
    assert torch.allclose(out.logits[0], table[4], rtol=2**-10)
    assert torch.allclose(out.logits[1, 0], table[1, 0], rtol=2**-10) and not out.logits[1, 1:].any()


@pytest.mark.parametrize("classes", [6, 3])
def test_soft_targets_are_the_log_softmax_of_the_looked_up_logits(classes: int) -> None:
    """Per-position tables: log_probs at T equal log_softmax(looked-up logits / T) bit for bit on valid rows."""
    _, outputs = _seq_build(classes=classes)
    out = outputs.lookup(torch.tensor([4, 1, 2]), torch.device("cpu"), (2.0,))
    expect = torch.log_softmax(out.logits / 2.0, dim=-1)
    assert set(out.log_probs) == {2.0} and out.log_probs[2.0].shape == out.logits.shape
    assert torch.equal(out.log_probs[2.0][out.mask], expect[out.mask])
    assert outputs.soft_targets(2.0) is outputs.soft_targets(2.0)  # computed once per temperature
    assert outputs.lookup(torch.tensor([0]), torch.device("cpu")).log_probs == {}
    _, top_k = _seq_build(classes=8, top_k=2, top_k_above=4)
    assert top_k.lookup(torch.tensor([0]), torch.device("cpu"), (2.0,)).log_probs == {}  # rebuilt per batch


def test_top_k_logits_give_the_truncated_renormalised_distribution() -> None:
    table, outputs = _seq_build(classes=8, top_k=2, top_k_above=4)
    assert outputs.tensors["logits.values"].shape == (15, 2) and int(outputs.tensors["num_classes"]) == 8
    out = outputs.lookup(torch.tensor([0]), torch.device("cpu"))
    row, full = out.logits[0, 0], table[0, 0]
    top = full.topk(2).indices
    assert (
        torch.allclose(row[top], full[top], rtol=2**-10)
        and (row[[i for i in range(8) if i not in top]] == SPARSE_FILL).all()
    )
    # golden: teacher [2, 1, masked, masked] vs a uniform student: KL = sum p log(4 p) over softmax([2, 1])
    sparse = torch.tensor([[2.0, 1.0, SPARSE_FILL, SPARSE_FILL]])
    assert soft_kl(torch.zeros(1, 4), sparse, 1.0).item() == pytest.approx(0.8040913, abs=1e-6)
    with pytest.raises(NotCacheable, match="full distribution"):
        _seq_build(classes=8, top_k=2, top_k_above=4, sparse_ok=False)
    assert not build_method("dkd").sparse_teacher_ok() and build_method("kd").sparse_teacher_ok()
    assert not build_method("kd", {"logit_standardization": True}).sparse_teacher_ok()


def test_features_that_follow_the_padding_or_exceed_the_limit_are_not_cached() -> None:
    with pytest.raises(NotCacheable, match="change shape with the batch"):
        _seq_build(classes=4, features={"h": "body"})
    with pytest.raises(NotCacheable, match="GiB"):
        _seq_build(classes=4, max_bytes=10)
