"""Small local architectures for the embedded default suite (fast on a laptop CPU).

``cnn``: a plain VGG-style stack (LeCun et al. 1998 in spirit): ``stages.<i>`` are conv-BN-ReLU
blocks, each halving the resolution. ``resnet``: a CIFAR-style ResNet (He et al. 2016, "Deep
Residual Learning for Image Recognition", CVPR) with ``layer1`` ... ``layerN`` of basic blocks.
Module paths like ``stages.1`` or ``layer2`` are what task cards name as features.
"""

from __future__ import annotations

import torch
from torch import nn

from distillbench.registry import ARCHITECTURES


def _conv_bn(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)
    )


class PlainCNN(nn.Module):
    def __init__(self, num_classes: int, in_channels: int, width: int, depth: int) -> None:
        super().__init__()
        chans = [in_channels] + [width * 2**i for i in range(depth)]
        self.stages = nn.Sequential(
            *[nn.Sequential(_conv_bn(chans[i], chans[i + 1]), nn.MaxPool2d(2)) for i in range(depth)]
        )
        self.head = nn.Linear(chans[-1], num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.stages(x).mean(dim=(2, 3)))


@ARCHITECTURES.register("cnn")
def cnn(num_classes: int, in_channels: int = 1, width: int = 16, depth: int = 2) -> nn.Module:
    """``depth`` conv stages, ``width`` channels doubling per stage, global pooling, linear head."""
    return PlainCNN(num_classes, in_channels, width, depth)


class BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv1 = _conv_bn(cin, cout, stride)
        self.conv2 = nn.Sequential(nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout))
        self.shortcut = (
            nn.Identity()
            if stride == 1 and cin == cout
            else nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.conv2(self.conv1(x)) + self.shortcut(x))


class SmallResNet(nn.Module):
    def __init__(self, num_classes: int, in_channels: int, width: int, blocks: list[int], stem_stride: int) -> None:
        super().__init__()
        self.stem = _conv_bn(in_channels, width, stem_stride)
        cin = width
        for i, n in enumerate(blocks):
            cout = width * 2**i
            layer = [BasicBlock(cin if j == 0 else cout, cout, 2 if (i > 0 and j == 0) else 1) for j in range(n)]
            self.add_module(f"layer{i + 1}", nn.Sequential(*layer))
            cin = cout
        self.num_layers = len(blocks)
        self.fc = nn.Linear(cin, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        for i in range(self.num_layers):
            x = getattr(self, f"layer{i + 1}")(x)
        return self.fc(x.mean(dim=(2, 3)))


@ARCHITECTURES.register("resnet")
def resnet(
    num_classes: int,
    in_channels: int = 1,
    width: int = 16,
    blocks: list[int] | tuple[int, ...] = (2, 2, 2),
    stem_stride: int = 1,
) -> nn.Module:
    """CIFAR-style ResNet: a 3x3 stem, then ``len(blocks)`` stages of basic blocks (stride 2 after the first)."""
    return SmallResNet(num_classes, in_channels, width, list(blocks), stem_stride)
