from __future__ import annotations

import pytest
import torch

from distillbench.errors import ConfigError, DistillbenchError, UnknownNameError
from distillbench.models.spec import build_model


def test_local_architectures_build_and_run() -> None:
    x = torch.randn(2, 1, 28, 28)
    cnn = build_model("local:cnn(width=8, depth=2)", num_classes=10, in_channels=1)
    res = build_model("local:resnet(width=8, blocks=[1, 1])", num_classes=10, in_channels=1, image_size=28)
    assert cnn(x).shape == (2, 10) and res(x).shape == (2, 10)
    assert dict(cnn.named_modules())["stages.1"] is not None
    assert dict(res.named_modules())["layer2"] is not None
    assert sum(p.numel() for p in res.parameters()) > 3 * sum(p.numel() for p in cnn.parameters())


def test_typo_in_architecture_argument_is_an_error() -> None:
    with pytest.raises(ConfigError, match="widht"):
        build_model("local:cnn(widht=8)", num_classes=10, in_channels=1)


def test_unknown_scheme_and_architecture_suggest() -> None:
    with pytest.raises(UnknownNameError, match="Did you mean 'timm'"):
        build_model("tim:resnet18", num_classes=10)
    with pytest.raises(UnknownNameError, match="Did you mean 'resnet'"):
        build_model("local:resnt", num_classes=10)


def test_timm_models_build_offline_without_weights() -> None:
    model = build_model("timm:resnet10t", num_classes=5, in_channels=1)
    assert model.eval()(torch.randn(1, 1, 32, 32)).shape == (1, 5)


def test_timm_pretrained_offline_and_unknown_names() -> None:
    with pytest.raises(DistillbenchError, match="HF_HUB_OFFLINE"):
        build_model("timm:resnet10t(pretrained=True)", num_classes=5)
    with pytest.raises(ConfigError, match=r"unknown timm model 'resnet10tt'.*resnet10t"):
        build_model("timm:resnet10tt", num_classes=5)


def test_torchvision_models_build_without_weights() -> None:
    model = build_model("torchvision:mobilenet_v3_small", num_classes=4, in_channels=3)
    assert model.eval()(torch.randn(1, 3, 32, 32)).shape == (1, 4)
    with pytest.raises(ConfigError, match="3-channel"):
        build_model("torchvision:mobilenet_v3_small", num_classes=4, in_channels=1)
