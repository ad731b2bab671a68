"""Shrink and fine-tune: initialise a shallower student from the trained teacher's weights.

Shleifer & Rush (2020), "Pre-trained Summarization Distillation" (arXiv:2010.13002), build students of
BART and Marian translation models by copying the teacher and keeping only some of its layers ("SFT");
the student is then trained alone, with word-level KD or on the teacher's outputs (pseudo-labels,
i.e. sequence-level KD, Kim & Rush 2016). DistilBERT (Sanh et al. 2019) initialises its student the same
way, taking every other layer.

:func:`init_from_teacher` does this for any pair of models with the same widths whose layers live in
numbered module lists (``encoder.block.3``, ``decoder.layers.1``, ``encoder.layer.5``): every student
tensor takes the teacher tensor of the same name, with the layer index mapped by :func:`layer_map` —
``n`` of the teacher's ``m`` layers, evenly spaced and always including the first and the last (for one
layer: the first), as in Shleifer & Rush's table of copied layers. A student tensor with no teacher
tensor of the same name and shape is an error: the student must be the teacher with layers removed.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import torch
from torch import nn

from distillbench.errors import ConfigError

#: ``<stack>.<list>.<index>.`` — the numbered layer lists of HF encoder-decoders and encoders
LAYER = re.compile(r"^(?P<stack>(?:.*\.)?(?:encoder|decoder))\.(?P<list>block|layers|layer)\.(?P<i>\d+)\.")


def layer_map(n_student: int, n_teacher: int) -> list[int]:
    """Teacher layer indices for ``n_student`` layers: evenly spaced, first (and last when n > 1) included."""
    if n_student > n_teacher:
        raise ConfigError(f"a student with {n_student} layers cannot be initialised from a teacher with {n_teacher}")
    if n_student == 1:
        return [0]
    return [int(x) for x in np.linspace(0, n_teacher - 1, n_student).round()]


def _depths(names: list[str]) -> dict[str, int]:
    depth: dict[str, int] = {}
    for name in names:
        m = LAYER.match(name)
        if m:
            key = f"{m['stack']}.{m['list']}"
            depth[key] = max(depth.get(key, 0), int(m["i"]) + 1)
    return depth


@torch.no_grad()
def init_from_teacher(
    student: nn.Module, teacher: nn.Module, layers: dict[str, list[int]] | None = None
) -> dict[str, Any]:
    """Copy the teacher's weights into ``student`` (fewer layers, same widths); returns the layer maps used.

    ``layers`` gives explicit teacher indices for some layer lists (e.g. ``{"encoder.layer": [0, 2, 4]}``,
    DistilBERT's every other layer); the other lists use :func:`layer_map`.
    """
    s_state, t_state = student.state_dict(), teacher.state_dict()
    s_depth, t_depth = _depths(list(s_state)), _depths(list(t_state))
    maps = {key: (layers or {}).get(key) or layer_map(n, t_depth.get(key, 0)) for key, n in s_depth.items()}
    missing: list[str] = []
    for name, tensor in s_state.items():
        m = LAYER.match(name)
        source = name
        if m:
            key = f"{m['stack']}.{m['list']}"
            source = f"{key}.{maps[key][int(m['i'])]}.{name[m.end() :]}"
        if source not in t_state or t_state[source].shape != tensor.shape:
            missing.append(name)
            continue
        tensor.copy_(t_state[source])
    if missing:
        raise ConfigError(
            f"cannot initialise the student from the teacher: {len(missing)} tensor(s) have no teacher tensor of the "
            f"same name and shape (e.g. {missing[0]}); a student initialised from its teacher must have the "
            "teacher's widths and fewer layers"
        )
    return {"from": "teacher", "layers": maps, "tensors": len(s_state)}
