"""Small dense detectors for the embedded detection suite (trainable on a laptop CPU in minutes).

``local:fcos``: torchvision's FCOS (Tian, Shen, Chen & He 2019, "FCOS: Fully Convolutional One-Stage
Object Detection", ICCV, arXiv:1904.01355) and ``local:retinanet``: torchvision's RetinaNet (Lin,
Goyal, Girshick, He & Dollár 2017, "Focal Loss for Dense Object Detection", ICCV, arXiv:1708.02002),
both on a small VGG-style backbone (``width`` channels, doubling twice; ``depth`` 3x3 conv-BN-ReLU
layers per stage) with a feature pyramid (Lin et al. 2017, "Feature Pyramid Networks for Object
Detection", CVPR) of ``fpn_width`` channels on three levels, strides 8, 16 and 32.

Module paths a task card can name as features: ``backbone.fpn.layer_blocks.<i>`` (FPN level i:
0 is stride 8), ``backbone.body.layer<j>`` (backbone stages), ``head.classification_head``; with
``edge_bins`` also ``head.regression_head.edges`` and ``head.positives`` (``edge_distribution.py``).
The transform's ``min_size`` / ``max_size`` are the data's image size, so images are not rescaled.

FCOS assigns a location to a level by its largest distance d to the box edges, within
``[4 s, 8 s)`` for an "anchor size" s per level (no lower bound at the first level, no upper bound
at the last). With the sizes (2, 4, 8) used here, level 0 takes d < 16 px, level 1 16-32 px and
level 2 the rest, which spreads 14-44 px objects over the levels (torchvision's COCO default, 8 at
stride 8, would put them all on level 0).
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from distillbench.errors import ConfigError
from distillbench.registry import ARCHITECTURES

ANCHOR_SIZES = ((2,), (4,), (8,))


def _stage(cin: int, cout: int, depth: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(depth):
        stride = 2 if i == 0 else 1
        layers += [nn.Conv2d(cin if i == 0 else cout, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout)]
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class PyramidBackbone(nn.Module):
    """Backbone stages ``body.stem, body.layer1..layer4`` (strides 2..32) + an FPN on layers 2-4."""

    def __init__(self, in_channels: int, width: int, depth: int, fpn_width: int) -> None:
        from torchvision.ops import FeaturePyramidNetwork

        super().__init__()
        chans = [width, width, 2 * width, 4 * width, 4 * width]
        self.body = nn.ModuleDict(
            {
                "stem": _stage(in_channels, chans[0], 1),
                "layer1": _stage(chans[0], chans[1], depth),
                "layer2": _stage(chans[1], chans[2], depth),
                "layer3": _stage(chans[2], chans[3], depth),
                "layer4": _stage(chans[3], chans[4], depth),
            }
        )
        self.fpn = FeaturePyramidNetwork(chans[2:], fpn_width)
        self.out_channels = fpn_width

    def forward(self, x: torch.Tensor) -> OrderedDict[str, torch.Tensor]:
        feats: OrderedDict[str, torch.Tensor] = OrderedDict()
        for name, stage in self.body.items():
            x = stage(x)
            if name in ("layer2", "layer3", "layer4"):
                feats[str(len(feats))] = x
        return self.fpn(feats)


def _check(image_size: int, fpn_width: int) -> None:
    if image_size % 32:
        raise ConfigError(f"image_size must be a multiple of 32 (the coarsest stride), got {image_size}")
    if fpn_width % 32:
        raise ConfigError(f"fpn_width must be a multiple of 32 (GroupNorm(32) in torchvision's heads), got {fpn_width}")


@ARCHITECTURES.register("fcos")
def fcos(
    num_classes: int,
    image_size: int = 128,
    in_channels: int = 3,
    width: int = 16,
    depth: int = 1,
    fpn_width: int = 32,
    head_convs: int = 1,
    score_thresh: float = 0.05,
    edge_bins: int = 0,
    edge_max: float = 8.0,
) -> nn.Module:
    """FCOS with a ``width``/``depth`` backbone, ``fpn_width`` FPN and ``head_convs`` conv layers per head tower.

    ``edge_bins`` > 0 predicts each box edge as a distribution over ``edge_bins + 1`` distances from 0 to
    ``edge_max`` anchor sizes (General Focal Loss; ``models/edge_distribution.py``), 0 regresses 4 distances.
    """
    from torchvision.models.detection import FCOS
    from torchvision.models.detection.anchor_utils import AnchorGenerator
    from torchvision.models.detection.fcos import FCOSHead

    _check(image_size, fpn_width)
    if edge_bins < 0 or edge_max <= 0:
        raise ConfigError(f"edge_bins must be >= 0 and edge_max positive, got {edge_bins} and {edge_max}")
    backbone = PyramidBackbone(in_channels, width, depth, fpn_width)
    anchors = AnchorGenerator(ANCHOR_SIZES, ((1.0,),) * len(ANCHOR_SIZES))
    if edge_bins:
        from distillbench.models.edge_distribution import EdgeDistributionFCOSHead

        head = EdgeDistributionFCOSHead(fpn_width, 1, num_classes, head_convs, edge_bins, edge_max)
    else:
        head = FCOSHead(fpn_width, 1, num_classes, num_convs=head_convs)
    return FCOS(
        backbone,
        num_classes,
        min_size=image_size,
        max_size=image_size,
        anchor_generator=anchors,
        head=head,
        score_thresh=score_thresh,
        detections_per_img=50,
        topk_candidates=200,
    )


@ARCHITECTURES.register("retinanet")
def retinanet(
    num_classes: int,
    image_size: int = 128,
    in_channels: int = 3,
    width: int = 16,
    depth: int = 1,
    fpn_width: int = 32,
    score_thresh: float = 0.05,
) -> nn.Module:
    """RetinaNet (3 scales x 3 aspect ratios per location) on the same backbone and FPN as ``fcos``."""
    from torchvision.models.detection import RetinaNet
    from torchvision.models.detection.anchor_utils import AnchorGenerator

    _check(image_size, fpn_width)
    backbone = PyramidBackbone(in_channels, width, depth, fpn_width)
    sizes = tuple((s, int(s * 1.26), int(s * 1.59)) for s in (16, 32, 64))
    anchors = AnchorGenerator(sizes, ((0.5, 1.0, 2.0),) * len(sizes))
    return RetinaNet(
        backbone,
        num_classes,
        min_size=image_size,
        max_size=image_size,
        anchor_generator=anchors,
        score_thresh=score_thresh,
        detections_per_img=50,
        topk_candidates=200,
    )
