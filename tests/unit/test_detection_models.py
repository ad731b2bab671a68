"""Detection models: local FCOS/RetinaNet and torchvision detectors build offline and run through the adapter."""

from __future__ import annotations

import pytest
import torch

from distillbench.adapters.base import DataSplits
from distillbench.adapters.detection import Detection, dense_forward
from distillbench.errors import ConfigError, DistillbenchError
from distillbench.models.spec import build_model

CTX = {"num_classes": 3, "in_channels": 3, "image_size": 64, "detection": True}


def _batch() -> dict[str, torch.Tensor]:
    return {
        "x": torch.rand(2, 3, 64, 64),
        "boxes": torch.tensor([[[4.0, 4.0, 20.0, 24.0], [0, 0, 0, 0]], [[30.0, 10.0, 60.0, 40.0], [1, 1, 9, 9]]]),
        "labels": torch.tensor([[2, -1], [0, 1]]),
    }


@pytest.mark.parametrize(
    "spec",
    [
        "local:fcos(width=8, fpn_width=32)",
        "local:fcos(width=8, fpn_width=32, edge_bins=4)",
        "local:retinanet(width=8, fpn_width=32)",
    ],
)
def test_local_detectors_train_and_infer(spec: str) -> None:
    model = build_model(spec, **CTX)
    adapter = Detection.__new__(Detection)
    model.train()
    out = adapter.forward(model, _batch())
    assert out.logits.shape[0] == 2 and out.logits.shape[-1] == 3 and torch.isfinite(out.loss)
    out.loss.backward()
    model.eval()
    with torch.no_grad():
        dets = adapter.infer(model, {"x": torch.rand(1, 3, 64, 64)})
        no_loss = adapter.forward(model, _batch())
    assert set(dets[0]) == {"boxes", "scores", "labels"} and no_loss.loss is None
    assert no_loss.logits.shape == out.logits.shape


def test_fcos_levels_are_fpn_module_paths() -> None:
    model = build_model("local:fcos(width=8, fpn_width=32)", **CTX)
    paths = dict(model.named_modules())
    assert all(f"backbone.fpn.layer_blocks.{i}" in paths for i in range(3))
    with pytest.raises(ConfigError, match="multiple of 32"):
        build_model("local:fcos(width=8)", **{**CTX, "image_size": 48})


def test_torchvision_detector_builds_offline_without_weights() -> None:
    model = build_model("torchvision:fcos_resnet50_fpn", **CTX)
    assert model.head.classification_head.num_classes == 3 and model.transform.min_size == (64,)
    assert model.backbone.body.conv1.weight.abs().sum() > 0
    with pytest.raises(ConfigError, match="not a torchvision detector"):
        build_model("torchvision:resnet18", **CTX)
    with pytest.raises(DistillbenchError, match="pretrained weights"):
        build_model("torchvision:fcos_resnet50_fpn(weights='DEFAULT')", **CTX)


def test_models_without_dense_heads_are_refused_with_a_clear_error() -> None:
    # two-stage detectors (Faster R-CNN) and plain classifiers have no per-location classification head
    with pytest.raises(ConfigError, match="dense detectors"):
        dense_forward(torch.nn.Conv2d(3, 3, 1), [torch.rand(3, 64, 64)], None)


def test_describe_inputs_states_the_resolution() -> None:
    adapter = Detection.__new__(Detection)
    data = DataSplits(train=[], val=[], test=[], info={"image_size": 128})
    assert adapter.describe_inputs(data).startswith("3x128x128 images")


def test_edge_distribution_head_predicts_the_expectation_and_adds_dfl() -> None:
    from distillbench.features import FeatureHooks

    model = build_model("local:fcos(width=8, fpn_width=32, edge_bins=4, edge_max=2.0)", **CTX)
    head = model.head.regression_head
    torch.nn.init.zeros_(head.bbox_reg.weight)
    torch.nn.init.zeros_(head.bbox_reg.bias)
    paths = {"edges": "head.regression_head.edges", "positives": "head.positives"}
    model.train()
    with FeatureHooks(model, paths) as hooks:
        # a box centred on a stride-8 location (anchor centres are multiples of the stride), within level 0's range
        targets = [{"boxes": torch.tensor([[8.0, 8.0, 24.0, 24.0]]), "labels": torch.tensor([1])}]
        _, loss = dense_forward(model, [torch.rand(3, 64, 64)], targets)
        features = hooks.take()
    assert torch.isfinite(loss)
    edges, positives = features["edges"], features["positives"]
    assert edges.shape[2:] == (4, 5) and positives.shape == edges.shape[:2] and positives.dtype == torch.bool
    assert positives.any()
    # zero weights and biases: uniform edge distributions over 0, 0.5, ..., 2, so every expected distance is 1.0
    with torch.no_grad():
        out = model.head(list(model.backbone(torch.rand(1, 3, 64, 64)).values()))
    assert torch.allclose(out["bbox_regression"], torch.ones_like(out["bbox_regression"]))
    assert out["bbox_edges"].shape == (1, out["cls_logits"].shape[1], 4, 5)
