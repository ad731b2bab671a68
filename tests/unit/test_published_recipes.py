"""Issue 18: the CRD / DKD CIFAR models and recipe, the Hinton 2015 MLPs, augmentation, the new card options,
the idx image sources and ``distillbench show``."""

from __future__ import annotations

import gzip
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from distillbench.config import Augment, TrainConfig, load_card
from distillbench.data import augment
from distillbench.errors import ConfigError, DataError, MissingDependencyError
from distillbench.models import build_model
from distillbench.recipe import resolve
from distillbench.train import _lr_factor, _optimizer

#: published parameter counts for 100 classes (CRD / DKD papers and their code's model zoo)
PUBLISHED = {"resnet8x4": 1.23e6, "resnet32x4": 7.43e6, "wrn_40_2": 2.25e6, "wrn_16_2": 0.70e6}


def n_params(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("arch", sorted(PUBLISHED))
def test_cifar_models_match_published_parameter_counts(arch: str) -> None:
    model = build_model(f"local:{arch}", num_classes=100, in_channels=3, image_size=32)
    assert abs(n_params(model) - PUBLISHED[arch]) / PUBLISHED[arch] < 0.01
    assert model(torch.randn(2, 3, 32, 32)).shape == (2, 100)


def test_cifar_feature_paths_have_the_published_shapes() -> None:
    from distillbench.features import FeatureHooks

    x = torch.randn(2, 3, 32, 32)
    resnet = build_model("local:resnet8x4", num_classes=100, in_channels=3)
    paths = {"early": "layer1", "hint": "layer2", "final": "layer3", "pool": "pool"}
    with FeatureHooks(resnet, paths, "s") as hooks:
        resnet(x)
        shapes = {k: tuple(v.shape) for k, v in hooks.take().items()}
    assert shapes == {"early": (2, 64, 32, 32), "hint": (2, 128, 16, 16), "final": (2, 256, 8, 8), "pool": (2, 256)}
    wrn = build_model("local:wrn_16_2", num_classes=100, in_channels=3)
    with FeatureHooks(wrn, {"hint": "block2", "final": "block3"}, "s") as hooks:
        wrn(x)
        assert {k: tuple(v.shape) for k, v in hooks.take().items()} == {
            "hint": (2, 64, 16, 16),
            "final": (2, 128, 8, 8),
        }


def test_hinton_mlps_sizes_dropout_and_max_norm() -> None:
    teacher = build_model("local:hinton_teacher", num_classes=10, in_channels=1, image_size=28)
    student = build_model("local:hinton_student", num_classes=10, in_channels=1, image_size=28)
    # 784*1200+1200 + 1200*1200+1200 + 1200*10+10 and 784*800+800 + 800*800+800 + 800*10+10
    assert n_params(teacher) == 2_395_210 and n_params(student) == 1_276_810
    assert teacher.input_dropout.p == 0.2 and teacher.hidden[0][2].p == 0.5 and student.hidden[0][2].p == 0.0
    assert student.max_norm is None and teacher.max_norm == pytest.approx(15**0.5)
    layer = teacher.hidden[0][0]
    with torch.no_grad():
        layer.weight.mul_(100.0)  # as if an optimiser step broke the bound
    teacher.eval()(torch.rand(3, 1, 28, 28))  # the forward pre-hook projects first
    norms = layer.weight.detach().norm(dim=1)
    assert norms.max().item() == pytest.approx(15**0.5, rel=1e-5) and norms.min().item() > 15**0.5 * 0.999
    unconstrained = student.hidden[0][0].weight.detach().clone()
    student.apply_max_norm()  # no bound: nothing changes
    assert torch.equal(unconstrained, student.hidden[0][0].weight)
    before = layer.weight.detach().clone()
    teacher.apply_max_norm()  # idempotent
    assert torch.allclose(before, layer.weight.detach(), rtol=1e-6)


def test_multistep_schedule_and_nesterov_option() -> None:
    cfg = TrainConfig(epochs=240, schedule="multistep", milestones=[150, 180, 210], gamma=0.1, nesterov=False)
    per_epoch = 782  # 50,000 / 64
    factors = [
        _lr_factor(e * per_epoch, 240 * per_epoch, 0, cfg.schedule, per_epoch, cfg)
        for e in (0, 149, 150, 179, 180, 210, 239)
    ]
    assert factors == pytest.approx([1.0, 1.0, 0.1, 0.1, 0.01, 0.001, 0.001])
    opt = _optimizer([torch.nn.Parameter(torch.zeros(1))], cfg)
    assert opt.param_groups[0]["nesterov"] is False and opt.param_groups[0]["momentum"] == 0.9
    assert _optimizer([torch.nn.Parameter(torch.zeros(1))], TrainConfig()).param_groups[0]["nesterov"] is True
    with pytest.raises(ValueError, match="milestones"):
        TrainConfig(schedule="multistep")
    with pytest.raises(ValueError, match="keys: crop, padding, flip"):
        TrainConfig(augment={"pad": 4})
    with pytest.raises(ValueError, match="padding >= 0"):
        TrainConfig(augment={"padding": -1})
    with pytest.raises(ValueError, match="increasing"):
        TrainConfig(schedule="multistep", milestones=[180, 150])


def test_augmentation_equals_the_per_image_recipe() -> None:
    opts = Augment(padding=4, flip=True)
    x = torch.arange(2 * 3 * 32 * 32, dtype=torch.float32).reshape(2, 3, 32, 32)
    params = augment.ViewParams(torch.tensor([0, 8]), torch.tensor([3, 8]), torch.tensor([True, False]))
    out = augment.apply_params(x, params, opts, fill=-1.0)
    padded = torch.nn.functional.pad(x, (4, 4, 4, 4), value=-1.0)
    assert torch.equal(out[0], padded[0, :, 0:32, 3:35].flip(-1))  # window (0, 3) of the padded image, mirrored
    assert torch.equal(out[1], padded[1, :, 8:40, 8:40])
    assert float(out[0, 0, 0, 0]) == -1.0  # padding carries the fill value
    gen_a, gen_b = torch.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    a, b = augment.augment_batch(x, opts, gen_a), augment.augment_batch(x, opts, gen_b)
    assert torch.equal(a, b) and a.shape == x.shape  # seeded: the same views again
    jitter = augment.sample_params(1000, 28, 28, Augment(padding=2), torch.Generator().manual_seed(0))
    assert set(jitter.top.tolist()) == {0, 1, 2, 3, 4} and not jitter.flip.any()  # shifts of -2..2, no flip


def test_image_adapter_augments_only_training_batches() -> None:
    from distillbench.adapters.image_classification import ImageClassification

    adapter = ImageClassification(load_card("digits"))
    data = adapter.load_data()
    assert data.info["augmentation"] == {"resnet-w16": "none", "cnn-w4": "none"}  # off by default on digits
    plain = TrainConfig(batch_size=64)
    aug = TrainConfig(batch_size=64, augment={"padding": 2, "flip": True})
    b0 = next(adapter.train_batches(data.train, plain, seed=3))
    b1 = next(adapter.train_batches(data.train, aug, seed=3))
    b2 = next(adapter.train_batches(data.train, aug, seed=3))
    assert torch.equal(b0["labels"], b1["labels"]) and not torch.equal(b0["x"], b1["x"])  # same order, new views
    assert torch.equal(b1["x"], b2["x"])
    assert torch.equal(next(adapter.batches(data.test, 8))["x"], adapter._as_tensors(data.test)[0][:8])


def test_augment_is_rejected_where_the_task_cannot_use_it() -> None:
    from distillbench.adapters.base import TaskAdapter

    fake = SimpleNamespace(card=SimpleNamespace(task="sentiment"))
    with pytest.raises(ConfigError, match="does not support 'augment'"):
        TaskAdapter.train_batches(fake, None, TrainConfig(augment={"flip": True}))  # type: ignore[arg-type]


def write_idx(folder: Path, n_train: int = 40, n_test: int = 10, gz: bool = True) -> None:
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    for stem, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = (np.arange(n) % 10).astype(np.uint8)
        for kind, arr, magic in (("images-idx3", images, 3), ("labels-idx1", labels, 1)):
            raw = bytes([0, 0, 8, magic]) + np.asarray(arr.shape, dtype=">u4").tobytes() + arr.tobytes()
            name = f"{stem}-{kind}-ubyte"
            (folder / name).write_bytes(raw) if not gz else (folder / f"{name}.gz").write_bytes(gzip.compress(raw))


def test_mnist_idx_reads_a_folder_with_and_without_holdout(tmp_path: Path) -> None:
    from distillbench.data.base import build_source

    write_idx(tmp_path / "mnist")
    held = build_source("mnist_idx", {"root": str(tmp_path / "mnist"), "val_fraction": 0.25}).load()
    assert held.sizes() == {"train": 30, "val": 10, "test": 10} and held.info["val_is_test"] is False
    full = build_source("mnist_idx", {"root": str(tmp_path / "mnist"), "holdout": False}).load()
    assert full.sizes() == {"train": 40, "val": 10, "test": 10} and full.info["val_is_test"] is True
    assert np.array_equal(np.asarray(full.val["image"]), np.asarray(full.test["image"]))
    write_idx(tmp_path / "plain", gz=False)
    assert build_source("mnist_idx", {"root": str(tmp_path / "plain")}).load().info["image_size"] == 28
    with pytest.raises(DataError, match=r"needs data\.options\.root"):
        build_source("mnist_idx", {}).load()
    (tmp_path / "broken").mkdir()
    with pytest.raises(MissingDependencyError, match="train-images-idx3-ubyte"):
        build_source("mnist_idx", {"root": str(tmp_path / "broken")}).load()


def test_fashion_mnist_missing_names_the_apt_package(tmp_path: Path) -> None:
    from distillbench.data.base import build_source

    with pytest.raises(MissingDependencyError, match="apt-get install dataset-fashion-mnist"):
        build_source("embedded_fashion_mnist", {"root": str(tmp_path / "nowhere")}).load()


@pytest.mark.skipif(
    not Path("/usr/share/datasets/fashion-mnist").is_dir(),
    reason="Debian's dataset-fashion-mnist is not installed (apt-get install dataset-fashion-mnist)",
)
def test_fashion_mnist_full_split() -> None:
    from distillbench.data.base import build_source

    data = build_source("embedded_fashion_mnist", {}).load(max_samples=100)
    assert data.info["class_names"][9] == "Ankle boot" and data.info["split"].startswith("official test")
    assert data.sizes() == {"train": 100, "val": 100, "test": 100}
    from distillbench.data.idx_images import FASHION_DIR, read_idx

    labels = read_idx(Path(FASHION_DIR) / "t10k-labels-idx1-ubyte.gz")
    assert labels.shape == (10_000,) and np.bincount(labels).tolist() == [1000] * 10


@pytest.mark.parametrize(
    ("card", "teacher", "student", "dkd_beta"),
    [
        ("paper-cifar100-resnet32x4-resnet8x4", "resnet32x4", "resnet8x4", 8.0),
        ("paper-cifar100-wrn40_2-wrn16_2", "wrn_40_2", "wrn_16_2", 6.0),
    ],
)
def test_show_holds_the_cifar_cards_to_the_published_recipe(
    card: str, teacher: str, student: str, dkd_beta: float
) -> None:
    recipe = resolve(load_card(card))
    data = recipe["data"]
    assert data["options"]["name"] == "uoft-cs/cifar100" and data["options"]["holdout"] is False
    assert (
        data["options"]["splits"] == {"train": "train", "test": "test"}
        and "validation = the test split" in data["split"]
    )
    assert [m["name"] for m in recipe["models"]] == [teacher, student]
    for m in recipe["models"]:
        t = m["train"]
        assert (t["optimizer"], t["momentum"], t["nesterov"], t["lr"], t["batch_size"]) == ("sgd", 0.9, False, 0.05, 64)
        assert (t["weight_decay"], t["epochs"], t["schedule"]) == (0.0005, 240, "multistep")
        assert (t["milestones"], t["gamma"], t["warmup_epochs"]) == ([150, 180, 210], 0.1, 0.0)
        augment = {"crop": None, "padding": 4, "flip": True, "replay": False, "replay_seed": 0, "replay_top_k": None}
        assert t["augment"] == augment  # the recipe's per-image random views, no replay
        assert abs(m["params"] - PUBLISHED[m["name"]]) / PUBLISHED[m["name"]] < 0.01
    methods = recipe["methods"]
    assert methods["kd"]["temperature"] == 4.0 and methods["kd"]["alpha"] == 0.9  # CE 0.1 / KD 0.9
    assert (methods["fitnet"]["feature"], methods["fitnet"]["weight"]) == ("hint", 100.0)
    assert methods["at"]["beta"] == 1000.0
    assert (methods["dkd"]["alpha"], methods["dkd"]["beta"], methods["dkd"]["warmup_epochs"]) == (1.0, dkd_beta, 20.0)


def test_show_command_prints_recipe_and_counts() -> None:
    from typer.testing import CliRunner

    from distillbench.cli import app

    result = CliRunner().invoke(app, ["show", "paper-mnist-hinton2015"])
    assert result.exit_code == 0, result.output
    assert "2,395,210 parameters" in result.output and "1,276,810 parameters" in result.output
    assert "temperature=20.0" in result.output and "2-pixel zero padding" in result.output
    sentiment = CliRunner().invoke(app, ["show", "sentiment"])
    assert sentiment.exit_code == 0 and "unknown offline" in sentiment.output
