"""``local:dwsep_cnn``: a small CNN of depthwise-separable convolutions.

Howard et al. (2017), "MobileNets: Efficient Convolutional Neural Networks for Mobile Vision Applications",
arXiv:1704.04861: each block is a 3x3 depthwise convolution followed by a 1x1 pointwise one, each with batch
norm and ReLU. Module paths for task cards' ``features:``: ``stem``, ``blocks.0`` ... ``blocks.<depth-1>``.
"""

from __future__ import annotations

import torch
from torch import nn

from distillbench.registry import ARCHITECTURES


def separable(cin: int, cout: int, stride: int) -> nn.Sequential:
    """Depthwise 3x3 (one filter per channel), then pointwise 1x1, each with batch norm and ReLU."""
    return nn.Sequential(
        nn.Conv2d(cin, cin, 3, stride=stride, padding=1, groups=cin, bias=False),
        nn.BatchNorm2d(cin),
        nn.ReLU(inplace=True),
        nn.Conv2d(cin, cout, 1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class DepthwiseSeparableCNN(nn.Module):
    def __init__(self, num_classes: int, in_channels: int, width: int, depth: int) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(in_channels, width, 3, padding=1, bias=False), nn.BatchNorm2d(width))
        chans = [width * 2**i for i in range(depth + 1)]
        self.blocks = nn.Sequential(*[separable(chans[i], chans[i + 1], stride=2) for i in range(depth)])
        self.head = nn.Linear(chans[-1], num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(torch.relu(self.stem(x))).mean(dim=(2, 3)))


@ARCHITECTURES.register("dwsep_cnn")
def dwsep_cnn(num_classes: int, in_channels: int = 1, width: int = 8, depth: int = 2) -> nn.Module:
    """Depthwise-separable CNN (Howard et al. 2017): a 3x3 stem, ``depth`` blocks halving the resolution."""
    return DepthwiseSeparableCNN(num_classes, in_channels, width, depth)
