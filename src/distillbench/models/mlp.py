"""Fully connected ReLU nets for MNIST: the teacher and student of Hinton, Vinyals & Dean (2015), section 3.

"Distilling the Knowledge in a Neural Network" (arXiv:1503.02531), section 3: a teacher with two hidden
layers of 1200 rectified linear units, "strongly regularized using dropout and weight-constraints as
described in [5]" ([5] = Hinton, Srivastava, Krizhevsky, Sutskever & Salakhutdinov 2012, "Improving neural
networks by preventing co-adaptation of feature detectors", arXiv:1207.0580), and a student with two hidden
layers of 800 rectified linear units and no regularisation. Registered as ``mlp`` (any sizes) with
``hinton_teacher`` (784-1200-1200-10) and ``hinton_student`` (784-800-800-10) as named presets.

Dropout: ``input_dropout`` on the pixels, ``hidden_dropout`` after each hidden ReLU. The 2015 paper gives no
rates; [5] used 20% on the inputs and 50% on the hidden units for MNIST, which is what ``hinton_teacher``
uses. The student has none.

Max-norm (the "weight-constraints" of [5]): an upper bound ``max_norm`` on the L2 norm of each hidden unit's
incoming weight vector; a weight update that breaks it is undone by rescaling that unit's weights (a
projection after the step). :meth:`MLP.apply_max_norm` does the projection. So that no change to the
training loop is needed, the model also applies it in a forward pre-hook, i.e. before every forward pass:
projecting before forward k is the same as projecting right after step k-1 (nothing reads the weights in
between), and evaluation forwards see projected weights too. The only visible difference is that a saved
``state_dict`` may hold the last step's unprojected weights; call ``apply_max_norm()`` first if that
matters. A training loop that wants to project explicitly after ``optimizer.step()`` may call
``apply_max_norm()`` for every module that has it (idempotent: projecting twice changes nothing).

Feature module paths for task cards: ``hidden.0`` and ``hidden.1`` (each hidden layer's activations, after
the ReLU and dropout), and ``out`` (the logits layer).
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from distillbench.registry import ARCHITECTURES


class MLP(nn.Module):
    """Flatten, then ``hidden`` ReLU layers with optional dropout, then a linear output layer."""

    def __init__(
        self,
        in_features: int,
        num_classes: int,
        hidden: list[int],
        input_dropout: float = 0.0,
        hidden_dropout: float = 0.0,
        max_norm: float | None = None,
    ) -> None:
        super().__init__()
        for p in (input_dropout, hidden_dropout):
            if not 0.0 <= p < 1.0:
                raise ValueError(f"dropout rates must be in [0, 1), got {p}")
        if max_norm is not None and max_norm <= 0:
            raise ValueError(f"max_norm must be positive, got {max_norm}")
        if not hidden:
            raise ValueError("an MLP needs at least one hidden layer")
        self.max_norm = max_norm
        self.input_dropout = nn.Dropout(input_dropout)
        sizes = [in_features, *hidden]
        self.hidden = nn.ModuleList(
            nn.Sequential(nn.Linear(sizes[i], sizes[i + 1]), nn.ReLU(inplace=True), nn.Dropout(hidden_dropout))
            for i in range(len(hidden))
        )
        self.out = nn.Linear(sizes[-1], num_classes)
        if max_norm is not None:
            self.register_forward_pre_hook(lambda module, args: module.apply_max_norm())
            self.apply_max_norm()

    def constrained(self) -> list[nn.Linear]:
        """The layers whose units' incoming weights are bounded: every hidden layer (as in [5])."""
        return [block[0] for block in self.hidden]

    @torch.no_grad()
    def apply_max_norm(self) -> None:
        """Rescale each hidden unit's incoming weight vector to L2 norm ``max_norm`` where it is larger."""
        if self.max_norm is None:
            return
        for layer in self.constrained():
            norms = layer.weight.norm(dim=1, keepdim=True)
            layer.weight.mul_(torch.where(norms > self.max_norm, self.max_norm / norms, torch.ones_like(norms)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.input_dropout(x.flatten(1))
        for block in self.hidden:
            x = block(x)
        return self.out(x)


def _in_features(in_channels: int, image_size: int | None) -> int:
    if image_size is None:
        raise ValueError("an MLP needs the data's image_size to size its input layer")
    return in_channels * image_size * image_size


@ARCHITECTURES.register("mlp")
def mlp(
    num_classes: int,
    in_channels: int = 1,
    image_size: int | None = None,
    hidden: list[int] | tuple[int, ...] = (800, 800),
    input_dropout: float = 0.0,
    hidden_dropout: float = 0.0,
    max_norm: float | None = None,
) -> nn.Module:
    """A ReLU MLP on flattened images: ``hidden`` sizes, dropout rates and an optional max-norm bound."""
    return MLP(
        _in_features(in_channels, image_size), num_classes, list(hidden), input_dropout, hidden_dropout, max_norm
    )


#: [5]'s MNIST bound: "l" = 15 on the squared length of each unit's incoming weights (appendix A of
#: arXiv:1207.0580 as we read it; not re-checked here), i.e. an L2 norm of sqrt(15)
HINTON_MAX_NORM = math.sqrt(15.0)


@ARCHITECTURES.register("hinton_teacher")
def hinton_teacher(num_classes: int, in_channels: int = 1, image_size: int | None = 28, **kw: Any) -> nn.Module:
    """784-1200-1200-10 ReLU, dropout 20% in / 50% hidden and max-norm, as [5] (Hinton et al. 2015, sec. 3)."""
    opts = {"input_dropout": 0.2, "hidden_dropout": 0.5, "max_norm": HINTON_MAX_NORM, **kw}
    return MLP(_in_features(in_channels, image_size), num_classes, [1200, 1200], **opts)


@ARCHITECTURES.register("hinton_student")
def hinton_student(num_classes: int, in_channels: int = 1, image_size: int | None = 28) -> nn.Module:
    """784-800-800-10 ReLU with no regularisation (Hinton et al. 2015, sec. 3)."""
    return MLP(_in_features(in_channels, image_size), num_classes, [800, 800])
