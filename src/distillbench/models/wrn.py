"""Wide residual networks for CIFAR: ``wrn_40_2`` and ``wrn_16_2`` (the CRD / DKD CIFAR-100 pair) and ``wrn``.

Zagoruyko & Komodakis (2016), "Wide Residual Networks", BMVC: depth 6n+4, widening factor k, pre-activation
basic blocks (BN-ReLU-conv twice), stage widths 16k / 32k / 64k after a 16-channel 3x3 stem, then BN-ReLU,
global average pooling and a linear classifier. Built as in the code that the CIFAR-100 distillation tables
were measured with (HobbitLong/RepDistiller ``models/wrn.py``, megvii-research/mdistiller
``mdistiller/models/cifar/wrn.py``): where a block changes the shape, its input is activated (BN-ReLU) before
both the first conv and the 1x1 projection shortcut; otherwise the shortcut is the raw input. No dropout
(those benchmarks use dropRate 0). Convolutions initialised N(0, sqrt(2 / (k*k*out_channels))), BN 1 / 0,
linear bias 0, as there.

``wrn_40_2``: 2.25M parameters for 100 classes; ``wrn_16_2``: 0.70M. Feature module paths for task cards:
``conv1`` (the stem), ``block1``, ``block2``, ``block3`` (each stage's output, before any activation:
RepDistiller's ``f1`` ... ``f3``), ``act`` (the final BN-ReLU of the 8x8 map) and ``pool`` (the pooled vector).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from distillbench.registry import ARCHITECTURES


class WideBasicBlock(nn.Module):
    """Pre-activation basic block: BN-ReLU-conv3x3(stride)-BN-ReLU-conv3x3 plus the shortcut."""

    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.equal = cin == cout
        self.shortcut = None if self.equal else nn.Conv2d(cin, cout, 1, stride=stride, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        act = torch.relu(self.bn1(x))
        out = self.conv2(torch.relu(self.bn2(self.conv1(act))))
        return out + (x if self.shortcut is None else self.shortcut(act))


class WideResNet(nn.Module):
    def __init__(self, depth: int, widen: int, num_classes: int, in_channels: int = 3) -> None:
        super().__init__()
        if (depth - 4) % 6 != 0 or depth < 10:
            raise ValueError(f"a wide ResNet has depth 6n+4 (10, 16, 22, 28, 40, ...), got {depth}")
        n = (depth - 4) // 6
        widths = [16, 16 * widen, 32 * widen, 64 * widen]
        self.conv1 = nn.Conv2d(in_channels, widths[0], 3, padding=1, bias=False)
        for i in range(3):
            cin, cout, stride = widths[i], widths[i + 1], 1 if i == 0 else 2
            blocks = [WideBasicBlock(cin if j == 0 else cout, cout, stride if j == 0 else 1) for j in range(n)]
            self.add_module(f"block{i + 1}", nn.Sequential(*blocks))
        self.bn1 = nn.BatchNorm2d(widths[3])
        self.act = nn.ReLU(inplace=True)
        self.pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.fc = nn.Linear(widths[3], num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                m.weight.data.normal_(0, math.sqrt(2.0 / (m.kernel_size[0] * m.kernel_size[1] * m.out_channels)))
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.block3(self.block2(self.block1(self.conv1(x))))
        return self.fc(self.pool(self.act(self.bn1(x))))


@ARCHITECTURES.register("wrn_40_2")
def wrn_40_2(num_classes: int, in_channels: int = 3) -> nn.Module:
    """WRN-40-2: the CRD / DKD CIFAR-100 teacher (2.25M parameters)."""
    return WideResNet(40, 2, num_classes, in_channels)


@ARCHITECTURES.register("wrn_16_2")
def wrn_16_2(num_classes: int, in_channels: int = 3) -> nn.Module:
    """WRN-16-2: the CRD / DKD CIFAR-100 student (0.70M parameters)."""
    return WideResNet(16, 2, num_classes, in_channels)


@ARCHITECTURES.register("wrn")
def wrn(num_classes: int, in_channels: int = 3, depth: int = 16, widen: int = 1) -> nn.Module:
    """Any WRN-depth-widen (depth 6n+4)."""
    return WideResNet(depth, widen, num_classes, in_channels)
