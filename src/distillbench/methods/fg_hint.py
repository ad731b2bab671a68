"""Foreground feature imitation on FPN levels: FitNet-style hints restricted to object regions.

Romero et al. (2015), "FitNets: Hints for Thin Deep Nets", ICLR, arXiv:1412.6550 (a learned
projection regresses the teacher's features from the student's), restricted to foreground as in
the focal part of FGD: Yang, Li, Jiang, Wu, Yuan, Zhao & Yuan (2022), "Focal and Global Knowledge
Distillation for Detectors", CVPR, arXiv:2111.11837, which separates the imitation of foreground
(inside ground-truth boxes) and background features. FGD's spatial / channel attention masks and
its global relation term are left out: this is the foreground/background split alone.

For each named feature (an FPN level, (N, C, H, W)) with stride ``s = image width / W``, a cell
(i, j) is foreground when its square ``[j s, (j+1) s) x [i s, (i+1) s)`` overlaps any ground-truth box
of its image (so every box covers at least one cell on every level). With
``d = mean_over_channels((proj(student) - teacher)²)``:

    hint = mean over levels of ( fg_weight * mean(d over fg cells) + bg_weight * mean(d over bg cells) )
    loss = task + hint

``proj`` is a 1x1 convolution + BatchNorm per level when the widths differ (identity otherwise),
learned with the student; a student map of another spatial size is first pooled to the teacher's.
``bg_weight = 0`` imitates the foreground only. Logged parts: ``task``, ``fg``, ``bg`` (unweighted,
averaged over levels) and ``hint``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from distillbench.methods.base import DistillMethod, task_loss
from distillbench.methods.fitnet import build_regressor, get_feature
from distillbench.registry import METHODS
from distillbench.types import Batch, ModelOutput


@dataclass
class FGHintOptions:
    #: feature names (as mapped in the task card), one per FPN level
    features: list[str] = field(default_factory=lambda: ["p3", "p4", "p5"])
    #: weight of the foreground imitation
    fg_weight: float = 1.0
    #: weight of the background imitation (0: foreground only)
    bg_weight: float = 0.0

    def __post_init__(self) -> None:
        if not self.features:
            raise ValueError("fg_hint needs at least one feature")
        if self.fg_weight < 0 or self.bg_weight < 0:
            raise ValueError("fg_weight and bg_weight must be non-negative")


def foreground_mask(boxes: torch.Tensor, labels: torch.Tensor, size: tuple[int, int], stride: float) -> torch.Tensor:
    """(N, H, W) bool: cells of a stride-``stride`` grid overlapping a box (boxes (N, M, 4), label -1 = padding)."""
    h, w = size
    x0 = torch.arange(w, device=boxes.device, dtype=torch.float32) * stride
    y0 = torch.arange(h, device=boxes.device, dtype=torch.float32) * stride
    b = boxes.float()[..., None, None]  # (N, M, 4, 1, 1)
    inside_x = (b[:, :, 0] < x0 + stride) & (b[:, :, 2] > x0)  # (N, M, 1, W)
    inside_y = (b[:, :, 1] < (y0 + stride)[:, None]) & (b[:, :, 3] > y0[:, None])  # (N, M, H, 1)
    cells = inside_x & inside_y & (labels >= 0)[..., None, None]
    return cells.any(dim=1)


def masked_imitation(s: torch.Tensor, t: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean channel-averaged squared error over foreground and over background cells."""
    d = (s.float() - t.detach().float()).pow(2).mean(dim=1)  # (N, H, W)
    fg = mask.to(d.dtype)
    bg = 1.0 - fg
    return (d * fg).sum() / fg.sum().clamp_min(1.0), (d * bg).sum() / bg.sum().clamp_min(1.0)


@METHODS.register("fg_hint")
class ForegroundHint(DistillMethod):
    """FitNet hints on FPN levels, with foreground and background imitated separately (FGD's focal split)."""

    Options: ClassVar[type] = FGHintOptions

    def __init__(self, options: FGHintOptions | None = None) -> None:
        super().__init__(options)
        self.projections: nn.ModuleList | None = None

    def feature_names(self) -> tuple[str, ...]:
        return tuple(self.options.features)

    def setup(self, student: ModelOutput, teacher: ModelOutput | None) -> None:
        mods = []
        for name in self.options.features:
            s, t = get_feature(student, name, "student"), get_feature(teacher, name, "teacher")
            if s.dim() != 4:
                raise ValueError(f"fg_hint: feature {name!r} must be an (N, C, H, W) map, got {tuple(s.shape)}")
            mods.append(build_regressor(s, t).to(s.device))
        self.projections = nn.ModuleList(mods)

    def loss(self, student: ModelOutput, teacher: ModelOutput | None, batch: Batch) -> dict[str, torch.Tensor]:
        if self.projections is None:
            raise RuntimeError("fg_hint: setup() must be called with the first batch before loss()")
        if "boxes" not in batch or "labels" not in batch:
            raise ValueError("fg_hint needs ground-truth 'boxes' (N, M, 4) and 'labels' (N, M) in the batch")
        image_width = batch["x"].shape[-1]
        fgs, bgs = [], []
        for name, proj in zip(self.options.features, self.projections, strict=True):
            s, t = get_feature(student, name, "student"), get_feature(teacher, name, "teacher")
            if s.shape[-2:] != t.shape[-2:]:
                s = F.adaptive_avg_pool2d(s, t.shape[-2:])
            mask = foreground_mask(batch["boxes"], batch["labels"], tuple(t.shape[-2:]), image_width / t.shape[-1])
            fg, bg = masked_imitation(proj(s), t, mask)
            fgs.append(fg)
            bgs.append(bg)
        fg, bg = torch.stack(fgs).mean(), torch.stack(bgs).mean()
        hint = self.options.fg_weight * fg + self.options.bg_weight * bg
        task = task_loss(student)
        return {"loss": task + hint, "task": task, "fg": fg, "bg": bg, "hint": hint}
