"""Training-time image augmentation on whole batches: random crop after zero padding, horizontal flip.

The CIFAR recipe of He et al. (2016, sec. 4.2) as the CRD / DKD code applies it per image with
``transforms.RandomCrop(32, padding=4)`` and ``transforms.RandomHorizontalFlip()`` before normalisation:
pad every side with black, take a random ``crop`` x ``crop`` window, mirror with probability 1/2. Here the
same is done for a whole batch of already normalised tensors at once (``torchvision.transforms.v2``
functional ops for the padding and the flip, one gather per axis for the per-image windows), with the
padding filled with the normalised value of a black pixel, so the result equals the per-image recipe.

The random parameters are drawn first (:func:`sample_params`: each image's window offset and flip bit, from
a seeded ``torch.Generator``) and applied second (:func:`apply_params`), so a caller can record them and
replay the very same views later (e.g. to reuse a teacher's soft labels on them). With ``replay`` the views
do not follow the batch order: :func:`epoch_views` draws one view per sample of the split for each epoch
from ``replay_seed`` alone, and a batch takes its samples' rows (teacher_replay.py records them once).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch


@dataclass
class ViewParams:
    """Each image's view: the window's top-left corner in the padded image and whether it is mirrored."""

    top: torch.Tensor  # (N,) int64
    left: torch.Tensor  # (N,) int64
    flip: torch.Tensor  # (N,) bool

    def __getitem__(self, index: torch.Tensor) -> ViewParams:
        """The views of the samples ``index`` (rows of a per-split table)."""
        idx = index.cpu().long()
        return ViewParams(self.top[idx], self.left[idx], self.flip[idx])


def _sizes(opts: Any, height: int, width: int) -> tuple[int, int, int]:
    crop_h = crop_w = opts.crop if opts.crop is not None else None
    crop_h, crop_w = crop_h or height, crop_w or width
    pad = opts.padding
    if crop_h > height + 2 * pad or crop_w > width + 2 * pad:
        raise ValueError(
            f"augment crop {opts.crop} is larger than the padded image ({height + 2 * pad} x {width + 2 * pad})"
        )
    return crop_h, crop_w, pad


def sample_params(n: int, height: int, width: int, opts: Any, generator: torch.Generator) -> ViewParams:
    """Draw ``n`` views for images of ``height`` x ``width`` under ``opts`` (a config.Augment)."""
    crop_h, crop_w, pad = _sizes(opts, height, width)
    top = torch.randint(0, height + 2 * pad - crop_h + 1, (n,), generator=generator)
    left = torch.randint(0, width + 2 * pad - crop_w + 1, (n,), generator=generator)
    flip = torch.rand(n, generator=generator) < 0.5 if opts.flip else torch.zeros(n, dtype=torch.bool)
    return ViewParams(top, left, flip)


def epoch_views(n: int, height: int, width: int, opts: Any, epoch: int) -> ViewParams:
    """Epoch ``epoch``'s view of each of the split's ``n`` samples, from ``opts.replay_seed`` (not the job's seed)."""
    return sample_params(n, height, width, opts, torch.Generator().manual_seed(opts.replay_seed * 100_003 + epoch))


def apply_params(x: torch.Tensor, params: ViewParams, opts: Any, fill: float = 0.0) -> torch.Tensor:
    """The views ``params`` of images ``x`` (N, C, H, W); padding takes the value ``fill``."""
    from torchvision.transforms.v2 import functional as TF

    n, c, height, width = x.shape
    crop_h, crop_w, pad = _sizes(opts, height, width)
    if pad:
        x = TF.pad(x, [pad, pad, pad, pad], fill=fill)
    if (crop_h, crop_w) != tuple(x.shape[-2:]):
        rows = params.top[:, None] + torch.arange(crop_h)  # (N, crop_h)
        cols = params.left[:, None] + torch.arange(crop_w)  # (N, crop_w)
        x = x.gather(2, rows[:, None, :, None].expand(n, c, crop_h, x.shape[-1]))
        x = x.gather(3, cols[:, None, None, :].expand(n, c, crop_h, crop_w))
    if bool(params.flip.any()):
        x = x.clone()
        x[params.flip] = TF.horizontal_flip(x[params.flip])
    return x


def augment_batch(x: torch.Tensor, opts: Any, generator: torch.Generator, fill: float = 0.0) -> torch.Tensor:
    """Sample and apply one random view per image of ``x``."""
    params = sample_params(len(x), x.shape[-2], x.shape[-1], opts, generator)
    return apply_params(x, params, opts, fill)


def describe(opts: Any | None) -> str:
    """A one-line description of an augmentation setting for data info and ``distillbench show``."""
    if opts is None:
        return "none"
    parts = [f"random crop {opts.crop or 'same size'} after {opts.padding}-pixel zero padding"]
    if opts.flip:
        parts.append("horizontal flip p=0.5")
    if getattr(opts, "replay", False):
        parts.append(f"views per sample and epoch from replay_seed {opts.replay_seed}, teacher outputs replayed")
    return ", ".join(parts)
