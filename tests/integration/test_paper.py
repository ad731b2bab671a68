"""The paper-* suites' code paths, offline: the real paper card through an include that swaps its hub
data and full-size models for a tiny local image folder and tiny local models, run in smoke mode,
then ``report --paper`` on the result."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from distillbench.config import list_names, load_card
from distillbench.runner import run_suite
from distillbench.validate import validate_suite
from tests.conftest import ROOT

CARD = ROOT / "tasks" / "paper-cifar100-resnet32x4-resnet8x4.yaml"


@pytest.mark.parametrize("suite", [n for n in list_names("benchmarks") if n.startswith("paper-")])
def test_paper_suites_validate_offline(suite: str) -> None:
    assert validate_suite(suite)[-1].endswith("job(s)")


def image_folder(root: Path, classes: int = 3, per_split: dict[str, int] | None = None) -> Path:
    from PIL import Image

    rng = np.random.default_rng(0)
    for split, n in (per_split or {"train": 12, "test": 6}).items():
        for c in range(classes):
            d = root / split / f"class{c}"
            d.mkdir(parents=True)
            for i in range(n):
                pixels = rng.integers(0, 60, (32, 32, 3)) + 60 * c
                Image.fromarray(pixels.astype(np.uint8)).save(d / f"{i}.png")
    return root


def test_paper_card_runs_with_local_stand_ins(tmp_path: Path) -> None:
    data = image_folder(tmp_path / "images")
    card = tmp_path / "standin-card.yaml"
    card.write_text(
        f"include: {CARD}\n"
        "# same name as the paper card, so its baseline matches as the 'same' setting\n"
        "data:\n"
        f"  options: {{name: imagefolder, data_dir: {data}, image_column: image, label_column: label,"
        " num_classes: 3}\n"
        "teacher: {name: resnet32x4, model: 'local:resnet(width=4, blocks=[1, 1, 1])',"
        " features: {early: layer1, hint: layer2, final: layer3}}\n"
        "students: [{name: resnet8x4, model: 'local:resnet(width=4, blocks=[1, 1, 1])',"
        " features: {early: layer1, hint: layer2, final: layer3}}]\n"
        "teacher_train: {epochs: 1}\nstudent_train: {epochs: 1}\n"
    )
    merged = load_card(str(card))
    assert merged.name == "paper-cifar100-resnet32x4-resnet8x4"
    assert merged.methods["dkd"]["warmup_epochs"] == 20 and merged.data.options["splits"]["test"] == "test"
    assert merged.student_train.milestones == [150, 180, 210] and merged.student_train.nesterov is False
    suite = tmp_path / "standin-suite.yaml"
    suite.write_text(
        f"include: {ROOT / 'benchmarks' / 'paper-cifar100-resnet32x4-resnet8x4.yaml'}\n"
        f"tasks: [{{card: {card}}}]\nseeds: [0]\n"
        "measure: {warmup_iters: 1, min_iters: 2, min_duration_s: 0.01, repeats: 2, batch_sizes: [8]}\n"
    )
    summary = run_suite(str(suite), smoke=True, out_dir=tmp_path / "runs", isolate=False, show_progress=False)
    assert summary.failed == 0, [r.error for r in summary.results if r.status != "ok"]
    assert {r.method for r in summary.results} == {None, "no_kd", "kd", "fitnet", "at", "dkd", "reviewkd"}
    teacher = next(r for r in summary.results if r.role == "teacher")
    assert teacher.config["data"]["val_is_test"] is True  # no holdout: all training images, val = test
    assert "4-pixel zero padding" in teacher.config["data"]["augmentation"]["resnet32x4"]
    from typer.testing import CliRunner

    from distillbench.cli import app

    args = ["report", str(summary.out_dir), "--paper", "--plots", "--format", "md,html"]
    result = CliRunner().invoke(app, [*args, "--baselines", str(ROOT / "baselines")])
    assert result.exit_code == 0, result.output
    paper = (summary.out_dir / "paper.md").read_text()
    assert "Same setting: Δ = reproduced − published" in paper and "resnet32x4 → resnet8x4" in paper
    assert (summary.out_dir / "paper.tex").read_text().count(r"\toprule") == 1
    assert (summary.out_dir / "plots" / "paper-cifar100-resnet32x4-resnet8x4-quality-vs-throughput.svg").exists()
