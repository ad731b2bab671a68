"""Shipped teacher artifacts: build, verify, runs that load them, and every kind of bad artifact (digits card)."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from distillbench.cli import app
from distillbench.config import load_card, load_suite
from distillbench.errors import ConfigError
from distillbench.jobs import expand_jobs
from distillbench.registry import TASKS
from distillbench.runner import run_suite
from distillbench.teachers.build import build_teacher
from distillbench.teachers.manifest import (
    card_sections,
    diff_sections,
    find_shipped,
    teacher_key,
    teacher_source,
    teachers_root,
)
from distillbench.teachers.verify import inspect, verify
from distillbench.worker import get_teacher, run_job
from tests.conftest import ROOT, smoke_job

DIGITS = (ROOT / "tasks" / "digits.yaml").read_text()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The digits teacher built once into a temporary teachers root (about 10 s)."""
    root = tmp_path_factory.mktemp("teachers")
    build_teacher("digits", root=root, cache_dir=str(tmp_path_factory.mktemp("cache")), say=lambda _: None)
    return root


@pytest.fixture
def root(built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the built root, made the teachers root of this test."""
    mine = tmp_path / "teachers"
    shutil.copytree(built, mine)
    monkeypatch.setenv("DISTILLBENCH_TEACHERS", str(mine))
    return mine


def _card(tmp_path: Path, text: str) -> str:
    path = tmp_path / "cards" / "digits.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(path)


def test_the_manifest_records_what_defines_and_describes_the_teacher(root: Path) -> None:
    m = json.loads((root / "digits" / "manifest.json").read_text())
    card = load_card("digits")
    assert m["card"] == "digits" and m["teacher"] == "resnet-w16" and m["teacher_key"] == teacher_key(card)
    assert m["card_sections"]["teacher_train"] == {"epochs": 3, "batch_size": 64}  # defaults left out
    assert m["weights"]["dtype"] == "fp32" and m["weights"]["rebuilt_from_spec"]["tensors"] == 0  # all random init
    assert m["training"]["epochs"] == 3 and len(m["training"]["val_curve"]) == 3 and m["training"]["steps"] > 0
    assert m["build"]["code_fingerprint"].startswith("0.1.0+") and m["build"]["torch"] == torch.__version__
    assert set(m["quality"]["test"]) == {"accuracy", "macro_f1"} and m["quality"]["test"]["accuracy"] > 0.9
    build = [json.loads(line) for line in (root / "digits" / "build" / "results.jsonl").read_text().splitlines()]
    assert build[0]["role"] == "teacher" and (root / "digits" / "build" / build[0]["config"]["predictions"]).is_file()
    assert not list(root.glob(".*"))  # no staging folder left behind


def test_teacher_key_ignores_feature_points_and_code_and_names_what_changed(tmp_path: Path) -> None:
    card = load_card("digits")
    moved = load_card(_card(tmp_path, DIGITS.replace("final: layer2}", "final: layer1}")))
    assert teacher_key(moved) == teacher_key(card)  # features change no weight
    longer = load_card(_card(tmp_path, DIGITS.replace("teacher_train: {epochs: 3", "teacher_train: {epochs: 4")))
    assert teacher_key(longer) != teacher_key(card)
    assert diff_sections(card_sections(card), card_sections(longer)) == ["teacher_train.epochs 3 -> 4"]
    tuned = load_card(_card(tmp_path, DIGITS.replace("lr: 0.05}\nstudents", "lr: 0.1}\nstudents")))
    assert diff_sections(card_sections(card), card_sections(tuned)) == ["teacher_train.lr (unset) -> 0.1"]


def test_verify_reproduces_the_recorded_test_quality_and_ls_lists_it(root: Path) -> None:
    [check] = verify(root)
    assert check.status == "ok" and check.hash_ok and check.key == "match" and check.measured == check.recorded
    result = CliRunner().invoke(app, ["teachers", "ls"])
    assert result.exit_code == 0 and "digits" in result.output and "match" in result.output


def test_a_run_loads_the_shipped_teacher_for_the_teacher_and_every_student(root: Path, tmp_path: Path, caplog) -> None:
    suite = tmp_path / "suite.yaml"
    suite.write_text("name: t\ntasks: [{card: digits, methods: [kd]}]\nseeds: [0]\n")
    with caplog.at_level(logging.INFO, logger="distillbench"):
        summary = run_suite(
            str(suite), out_dir=tmp_path / "runs", cache_dir=str(tmp_path / "c"), isolate=False, show_progress=False,
            formats=(),
        )  # fmt: skip
    sha = json.loads((root / "digits" / "manifest.json").read_text())["weights"]["sha256"]
    assert any("using the shipped teacher" in m for m in caplog.messages)
    teacher = next(r for r in summary.results if r.role == "teacher")
    recorded = json.loads((root / "digits" / "manifest.json").read_text())["quality"]["test"]
    assert teacher.training["source"] == "shipped artifact" and teacher.training["sha256"] == sha
    assert teacher.training["built_with_code"] and teacher.quality["accuracy"] == recorded["accuracy"]
    student = next(r for r in summary.results if r.role == "student")
    assert student.config["teacher_training"]["source"] == "shipped artifact"
    assert student.config["teacher_training"]["sha256"] == sha


def test_shipped_outputs_are_copied_not_built_and_a_bad_copy_is_refused(root: Path, tmp_path: Path) -> None:
    """``teachers ship-outputs`` takes kd's cached logits from a real run; a fresh cache then copies them."""
    from distillbench.teachers.outputs import OUTPUTS_DIR, fetch, read_index

    suite = tmp_path / "suite.yaml"
    suite.write_text("name: t\ntasks: [{card: digits, methods: [kd]}]\nseeds: [0]\n")

    def student(cache: str) -> dict:
        summary = run_suite(str(suite), out_dir=tmp_path / cache, cache_dir=str(tmp_path / cache), isolate=False,
                            show_progress=False, formats=())  # fmt: skip
        return next(r for r in summary.results if r.role == "student").training

    first = student("c1")
    assert first["teacher_outputs"]["built"] and not first["teacher_outputs"]["shipped_with_teacher"]
    result = CliRunner().invoke(app, ["teachers", "ship-outputs", "digits", "--from-cache", str(tmp_path / "c1")])
    assert result.exit_code == 0 and "shipped digits-" in result.output, result.output
    index = read_index(root / "digits" / OUTPUTS_DIR)
    assert len(index) == 2 and {e["teacher_sha256"] for e in index.values()} == {
        first["teacher_outputs"]["teacher"][7:]
    }
    second = student("c2")
    outputs = second["teacher_outputs"]
    assert (
        outputs["shipped_with_teacher"]
        and not outputs["built"]
        and outputs["sha256"] == first["teacher_outputs"]["sha256"]
    )
    assert second["final_loss"] == first["final_loss"]  # the same soft targets, the same training
    [check] = verify(root)
    assert check.status == "ok"
    tensors = next(root / "digits" / OUTPUTS_DIR / n for n in index if n.endswith(".safetensors"))
    tensors.write_bytes(tensors.read_bytes()[:-8] + b"tampered")
    assert not fetch(tmp_path / "c3" / tensors.name, root / "digits" / OUTPUTS_DIR, (".json",))  # refused: built
    [check] = verify(root)
    assert check.status == "failed" and any("does not match its sha256" in n for n in check.notes)
    bad = CliRunner().invoke(app, ["teachers", "ship-outputs", "digits", "--from-cache", str(tmp_path / "nope")])
    assert bad.exit_code == 2 and "not a folder" in bad.stderr


def test_a_changed_card_trains_the_teacher_and_says_why(root: Path, tmp_path: Path, caplog) -> None:
    card = load_card(_card(tmp_path, DIGITS.replace("teacher_train: {epochs: 3", "teacher_train: {epochs: 4")))
    with caplog.at_level(logging.WARNING):
        assert teacher_source(card, smoke=False, shipped=True) == ""
    assert any("card changed since the artifact was built: teacher_train.epochs 3 -> 4" in m for m in caplog.messages)
    assert any("training the teacher" in m for m in caplog.messages)


def test_no_shipped_teachers_and_smoke_runs_train(root: Path, tmp_path: Path) -> None:
    card = load_card("digits")
    assert teacher_source(card, smoke=False, shipped=True).startswith("shipped:")
    assert teacher_source(card, smoke=False, shipped=False) == ""
    assert teacher_source(card, smoke=True, shipped=True) == ""
    suite = load_suite("quick")
    shipped = expand_jobs(suite, cache_dir=str(tmp_path))
    trained = expand_jobs(suite, cache_dir=str(tmp_path), shipped_teachers=False)
    assert all(j.teacher.startswith("shipped:") for j in shipped) and not any(j.teacher for j in trained)
    assert not {j.job_id for j in shipped} & {j.job_id for j in trained}  # students of another teacher: other jobs


@pytest.mark.parametrize("damage", ["missing", "changed", "other card", "bad manifest"])
def test_a_bad_artifact_is_announced_and_the_teacher_trained(root: Path, damage: str, caplog) -> None:
    folder = root / "digits"
    if damage == "missing":
        (folder / "model.safetensors").unlink()
        expected = "model.safetensors is missing"
    elif damage == "changed":
        with open(folder / "model.safetensors", "ab") as f:
            f.write(b"\0")
        expected = "does not match its manifest"
    elif damage == "other card":
        m = json.loads((folder / "manifest.json").read_text())
        (folder / "manifest.json").write_text(json.dumps({**m, "card": "image_classification"}))
        expected = "the artifact is for card 'image_classification', not 'digits'"
    else:
        (folder / "manifest.json").write_text("{not json")
        expected = "unreadable manifest"
    with caplog.at_level(logging.WARNING):
        assert teacher_source(load_card("digits"), smoke=False, shipped=True) == ""
    assert any(expected in m and "training the teacher" in m for m in caplog.messages), caplog.messages
    [check] = verify(root)
    assert check.status == "failed"
    result = CliRunner().invoke(app, ["teachers", "verify"])
    assert result.exit_code == 1 and "failed" in result.output


def test_an_artifact_that_changes_during_a_run_fails_the_job_clearly(root: Path, tmp_path: Path) -> None:
    job = smoke_job("digits", "teacher", None, str(tmp_path))
    job.smoke = False
    job.teacher = teacher_source(load_card("digits"), smoke=False, shipped=True)
    with open(root / "digits" / "model.safetensors", "ab") as f:
        f.write(b"\0")
    with pytest.raises(ConfigError, match="changed or went missing since the run started"):
        run_job(job)


def test_verify_flags_a_stale_artifact_and_a_quality_it_does_not_reproduce(root: Path) -> None:
    m = json.loads((root / "digits" / "manifest.json").read_text())
    m["quality"]["test"]["accuracy"] += 0.01
    (root / "digits" / "manifest.json").write_text(json.dumps(m))
    [check] = verify(root)
    assert check.status == "failed" and any("test accuracy: recorded" in n for n in check.notes)
    m["teacher_key"] = "0" * 16
    m["card_sections"]["teacher_train"]["epochs"] = 30
    (root / "digits" / "manifest.json").write_text(json.dumps(m))
    check = inspect(root / "digits")
    assert check.status == "stale" and "teacher_train.epochs 30 -> 3" in check.notes[0]


def _with_checkpoint(name: str) -> str:
    return DIGITS.replace("  features: {early: layer1,", f"  checkpoint: {name}\n  features: {{early: layer1,")


def _teacher(card_path: str, tmp_path: Path):
    card = load_card(card_path)
    adapter = TASKS.get(card.task)(card)
    data = adapter.load_data(smoke=True)
    job = smoke_job(card_path, "teacher", None, str(tmp_path))
    return card, adapter, data, job


@pytest.mark.parametrize("suffix", [".pt", ".safetensors"])
def test_a_checkpoint_teacher_is_loaded_not_trained(tmp_path: Path, suffix: str) -> None:
    from safetensors.torch import save_file

    card = load_card("digits")
    adapter = TASKS.get(card.task)(card)
    data = adapter.load_data(smoke=True)
    torch.manual_seed(123)
    source = adapter.build_model(card.teacher.model, data)
    state = {k: v.contiguous() for k, v in source.state_dict().items()}
    (tmp_path / "cards").mkdir()
    ckpt = tmp_path / "cards" / f"teacher{suffix}"
    torch.save({"state_dict": state}, ckpt) if suffix == ".pt" else save_file(state, str(ckpt))
    path = _card(tmp_path, _with_checkpoint(f"teacher{suffix}"))
    card, adapter, data, job = _teacher(path, tmp_path)
    job.teacher = teacher_source(card, smoke=True, shipped=True)
    assert job.teacher.startswith("checkpoint:")
    model, training = get_teacher(job, card, adapter, data, torch.device("cpu"), None)
    assert training["source"] == "checkpoint file" and training["steps"] == 0 and training["checkpoint"] == str(ckpt)
    assert all(torch.equal(v, state[k]) for k, v in model.state_dict().items())


def test_a_checkpoint_that_is_missing_or_does_not_fit_is_a_clear_error(tmp_path: Path) -> None:
    path = _card(tmp_path, _with_checkpoint("nowhere.pt"))
    with pytest.raises(ConfigError, match=r"teacher checkpoint 'nowhere.pt' .* does not exist"):
        teacher_source(load_card(path), smoke=False, shipped=True)
    card = load_card("digits")
    adapter = TASKS.get(card.task)(card)
    data = adapter.load_data(smoke=True)
    student = adapter.build_model(card.students[0].model, data)  # another architecture's weights
    torch.save(student.state_dict(), tmp_path / "cards" / "nowhere.pt")
    card, adapter, data, job = _teacher(path, tmp_path)
    with pytest.raises(ConfigError, match=r"does not fit the teacher's model: missing: .*; unexpected: "):
        get_teacher(job, card, adapter, data, torch.device("cpu"), None)


def test_epochs_0_uses_the_model_as_built_and_records_it(tmp_path: Path) -> None:
    path = _card(tmp_path, DIGITS.replace("teacher_train: {epochs: 3", "teacher_train: {epochs: 0"))
    card, adapter, data, job = _teacher(path, tmp_path)
    torch.manual_seed(card.teacher_seed)
    from distillbench.train import seed_everything

    seed_everything(card.teacher_seed)
    fresh = adapter.build_model(card.teacher.model, data)
    model, training = get_teacher(job, card, adapter, data, torch.device("cpu"), None)
    assert training["source"] == "pretrained (as built)" and training["epochs"] == 0
    assert all(torch.equal(v, fresh.state_dict()[k]) for k, v in model.state_dict().items())
    record = run_job(job)
    assert record.status == "ok" and record.training["source"] == "pretrained (as built)"
    assert 0.0 <= record.quality["accuracy"] <= 1.0 and record.quality["epochs"]["last"]


def test_the_teachers_root_defaults_to_the_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISTILLBENCH_TEACHERS")
    assert teachers_root() == ROOT / "teachers"


@pytest.mark.skipif(not (ROOT / "teachers" / "digits" / "manifest.json").is_file(), reason="no shipped digits teacher")
def test_the_shipped_digits_teacher_is_intact_and_current(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISTILLBENCH_TEACHERS")
    lookup = find_shipped(load_card("digits"))
    assert lookup.shipped is not None, lookup.reason
    [check] = verify(names=["digits"])
    assert check.status == "ok", check.notes


class _Net(torch.nn.Module):
    """A 'pretrained' layer (the same values in every build, as weights read from a package) and a random head."""

    def __init__(self) -> None:
        super().__init__()
        self.pretrained = torch.nn.Linear(4, 4)
        self.head = torch.nn.Linear(4, 2)
        with torch.no_grad():
            self.pretrained.weight.copy_(torch.arange(16.0).reshape(4, 4) / 7)
            self.pretrained.bias.zero_()


def test_only_what_training_changed_is_stored_and_the_rest_rebuilt_from_the_spec(tmp_path: Path) -> None:
    from distillbench.teachers.weights import deterministic_keys, export_weights, load_artifact_weights

    builds = []
    for seed in (0, 1):
        torch.manual_seed(seed)
        builds.append(_Net().state_dict())
    assert deterministic_keys(*builds) == {"pretrained.weight", "pretrained.bias"}
    torch.manual_seed(0)
    trained = _Net()
    with torch.no_grad():
        trained.head.weight += 1 / 3
        trained.pretrained.bias += 0.5  # fine-tuned: stored; pretrained.weight frozen: rebuilt
    path = tmp_path / "model.safetensors"
    entry = export_weights(path, trained.state_dict(), builds[0], deterministic_keys(*builds), "fp16")
    assert entry["tensors"] == 3 and entry["rebuilt_from_spec"]["tensors"] == 1 and entry["parameters_stored"] == 14
    torch.manual_seed(7)
    fresh = _Net()
    load_artifact_weights(fresh, path, entry)
    assert torch.equal(fresh.pretrained.weight, builds[0]["pretrained.weight"])
    assert torch.equal(fresh.head.weight, trained.head.weight.half().float())  # the stored, rounded values
    assert fresh.head.weight.dtype == torch.float32
    other = _Net()
    with torch.no_grad():
        other.pretrained.weight[0, 0] = 9.0  # the installed package's weights are not the artifact's base
    with pytest.raises(ConfigError, match="differ from those it was built with"):
        load_artifact_weights(other, path, entry)
