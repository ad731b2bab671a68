"""The CIFAR ResNets of the CRD / DKD benchmarks: ``resnet8x4`` and ``resnet32x4`` (and the plain ``resnet8`` ...).

He, Zhang, Ren & Sun (2016), "Deep Residual Learning for Image Recognition", CVPR, section 4.2 (the 6n+2
CIFAR networks), widened four times as in the code that the CIFAR-100 distillation tables were measured
with: HobbitLong/RepDistiller ``models/resnet.py`` (Tian, Krishnan & Isola 2020, "Contrastive
Representation Distillation", ICLR) and megvii-research/mdistiller ``mdistiller/models/cifar/resnet.py``
(Zhao et al. 2022, "Decoupled Knowledge Distillation", CVPR). Layout, written from that description:

- stem: 3x3 conv (``widths[0]`` channels, no bias), BN, ReLU at full resolution (``conv1``, ``bn1``);
- ``layer1`` ... ``layer3``: ``n = (depth - 2) / 6`` basic blocks each (two 3x3 conv-BN, identity shortcut,
  or 1x1 conv-BN where the shape changes), widths ``widths[1:]``, stride 2 at the start of layers 2 and 3;
- global average pooling of the last 8x8 map and a linear classifier ``fc``.

``resnet8x4`` = depth 8, widths (32, 64, 128, 256): 1.23M parameters for 100 classes; ``resnet32x4`` = depth
32, same widths: 7.43M. Weights are initialised as in that code (Kaiming-normal fan-out convolutions, BN
weight 1 and bias 0). Feature module paths for task cards: ``stem`` (after the stem's ReLU, RepDistiller's
``f0``), ``layer1``, ``layer2``, ``layer3`` (``f1`` ... ``f3``, after each stage's last ReLU) and ``pool``
(the pooled vector ``f4``, an ``nn.Flatten`` after the pooling so it can be hooked).
"""

from __future__ import annotations

import torch
from torch import nn

from distillbench.registry import ARCHITECTURES


class CifarBasicBlock(nn.Module):
    """Two 3x3 conv-BN layers with a residual shortcut, ReLU after the sum (He et al. 2016, fig. 2)."""

    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample: nn.Module | None = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return torch.relu(out + (x if self.downsample is None else self.downsample(x)))


class CifarResNet(nn.Module):
    """A 6n+2-layer CIFAR ResNet with stage widths ``widths`` (stem, layer1, layer2, layer3)."""

    def __init__(self, depth: int, widths: tuple[int, int, int, int], num_classes: int, in_channels: int = 3) -> None:
        super().__init__()
        if (depth - 2) % 6 != 0 or depth < 8:
            raise ValueError(f"a CIFAR ResNet of basic blocks has depth 6n+2 (8, 14, 20, 32, ...), got {depth}")
        n = (depth - 2) // 6
        self.conv1 = nn.Conv2d(in_channels, widths[0], 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.stem = nn.ReLU(inplace=True)
        cin = widths[0]
        for i, cout in enumerate(widths[1:]):
            stride = 1 if i == 0 else 2
            blocks = [CifarBasicBlock(cin if j == 0 else cout, cout, stride if j == 0 else 1) for j in range(n)]
            self.add_module(f"layer{i + 1}", nn.Sequential(*blocks))
            cin = cout
        self.pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.fc = nn.Linear(cin, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(self.pool(x))


X4 = (32, 64, 128, 256)
X1 = (16, 16, 32, 64)


@ARCHITECTURES.register("resnet8x4")
def resnet8x4(num_classes: int, in_channels: int = 3) -> nn.Module:
    """ResNet-8 with 4x widths (32, 64, 128, 256): the CRD / DKD CIFAR-100 student (1.23M parameters)."""
    return CifarResNet(8, X4, num_classes, in_channels)


@ARCHITECTURES.register("resnet32x4")
def resnet32x4(num_classes: int, in_channels: int = 3) -> nn.Module:
    """ResNet-32 with 4x widths (32, 64, 128, 256): the CRD / DKD CIFAR-100 teacher (7.43M parameters)."""
    return CifarResNet(32, X4, num_classes, in_channels)


@ARCHITECTURES.register("cifar_resnet")
def cifar_resnet(
    num_classes: int, in_channels: int = 3, depth: int = 20, widths: tuple[int, ...] | list[int] = X1
) -> nn.Module:
    """Any 6n+2 CIFAR ResNet: ``depth`` and 4 ``widths`` (default: resnet20 of He et al. 2016, 16/16/32/64)."""
    if len(widths) != 4:
        raise ValueError(f"widths must give 4 channel counts (stem, layer1, layer2, layer3), got {list(widths)}")
    return CifarResNet(depth, tuple(widths), num_classes, in_channels)  # type: ignore[arg-type]
