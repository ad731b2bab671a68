"""Teacher weights on disk: the artifact's safetensors file and ``checkpoint:`` files.

An artifact stores only what training changed. At export the model is built twice from its spec, with
two seeds: a tensor equal in both builds is deterministic (pretrained weights read from an installed
package, such as the MiniLM teacher's frozen embeddings, or constant buffers); one that training left
equal to that deterministic value is left out, and rebuilt at load by building the model from its spec.
Everything else (every randomly initialised tensor, whatever training did to it) is stored. The manifest
records a SHA-256 over the left-out tensors, so a load from a package whose weights differ fails clearly.

Floating-point tensors may be stored as fp16 to keep the artifacts small; they are cast back to the
model's dtype at load, and the manifest's quality is measured with those rounded weights (build.py).
Files are written with the ``safetensors`` format (no pickle), checkpoints read with ``weights_only=True``.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import torch
from torch import nn

from distillbench.errors import ConfigError

StateDict = dict[str, torch.Tensor]
DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}


def tensors_sha256(state: StateDict, keys: list[str]) -> str:
    """SHA-256 over the names, dtypes, shapes and bytes of ``state[k]`` for ``keys`` (sorted)."""
    digest = hashlib.sha256()
    for key in sorted(keys):
        t = state[key].detach().to("cpu").contiguous()
        digest.update(f"{key}|{t.dtype}|{tuple(t.shape)}|".encode())
        digest.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def deterministic_keys(first: StateDict, second: StateDict) -> set[str]:
    """Tensors equal in two builds of the same spec with different seeds (not drawn at random)."""
    return {k for k, v in first.items() if k in second and v.shape == second[k].shape and torch.equal(v, second[k])}


def export_weights(path: Path, trained: StateDict, base: StateDict, deterministic: set[str], dtype: str) -> dict:
    """Write the tensors training changed (or that are random) to ``path``; return the manifest's weights entry."""
    from safetensors.torch import save_file

    if dtype not in DTYPES:
        raise ConfigError(f"weights dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    left_out = sorted(k for k in trained if k in deterministic and torch.equal(trained[k].cpu(), base[k]))
    stored = {}
    for key, value in trained.items():
        if key in left_out:
            continue
        t = value.detach().to("cpu")
        stored[key] = (t.to(DTYPES[dtype]) if t.is_floating_point() else t).contiguous().clone()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    save_file(stored, str(tmp), metadata={"format": "distillbench-teacher", "dtype": dtype})
    os.chmod(tmp, 0o644)  # a file to commit and share, not a private one
    os.replace(tmp, path)
    return {
        "file": path.name,
        "dtype": dtype,
        "bytes": path.stat().st_size,
        "tensors": len(stored),
        "parameters_stored": int(sum(t.numel() for t in stored.values())),
        "rebuilt_from_spec": {
            "tensors": len(left_out),
            "parameters": int(sum(base[k].numel() for k in left_out)),
            "sha256": tensors_sha256(base, left_out),
        },
    }


def load_artifact_weights(model: nn.Module, path: Path, entry: dict[str, Any]) -> None:
    """Put an artifact's weights into ``model`` (built from the card's spec); the left-out tensors stay as built."""
    from safetensors.torch import load_file

    stored = load_file(str(path))
    own = model.state_dict()
    unexpected = sorted(set(stored) - set(own))
    if unexpected:
        raise ConfigError(f"{path}: tensors the model does not have: {', '.join(unexpected[:5])}")
    left_out = sorted(set(own) - set(stored))
    rebuilt = entry.get("rebuilt_from_spec") or {}
    if len(left_out) != rebuilt.get("tensors") or tensors_sha256(own, left_out) != rebuilt.get("sha256"):
        raise ConfigError(
            f"{path}: the {len(left_out)} tensor(s) the artifact takes from the model as built (installed package "
            "weights, constant buffers) differ from those it was built with; reinstall the package version named "
            "in the manifest or rebuild the teacher"
        )
    for key, value in stored.items():
        if value.shape != own[key].shape:
            raise ConfigError(f"{path}: {key} has shape {tuple(value.shape)}, the model {tuple(own[key].shape)}")
    model.load_state_dict({**own, **{k: v.to(own[k].dtype) for k, v in stored.items()}}, strict=True)


def read_checkpoint(path: Path) -> StateDict:
    """A state dict from a ``.safetensors`` file or a torch file (``weights_only=True``; ``{"state_dict": ...}``
    and ``{"model": ...}`` wrappers are unwrapped)."""
    if not path.is_file():
        raise ConfigError(f"teacher checkpoint {path} does not exist")
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            return load_file(str(path))
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ConfigError(f"teacher checkpoint {path}: unreadable ({type(exc).__name__}: {exc})") from None
    for wrapper in ("state_dict", "model"):
        if isinstance(blob, dict) and isinstance(blob.get(wrapper), dict):
            blob = blob[wrapper]
    if not isinstance(blob, dict) or not all(isinstance(v, torch.Tensor) for v in blob.values()):
        raise ConfigError(f"teacher checkpoint {path}: not a state dict (a mapping of names to tensors)")
    return blob


def load_checkpoint_into(model: nn.Module, path: Path) -> None:
    """Load a ``checkpoint:`` file into ``model``; a file that does not fit says which tensors differ."""
    state = read_checkpoint(path)
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    shapes = [
        f"{k} {tuple(state[k].shape)} vs {tuple(own[k].shape)}"
        for k in own
        if k in state and state[k].shape != own[k].shape
    ]
    if missing or unexpected or shapes:
        parts = []
        for label, items in (("missing", missing), ("unexpected", unexpected), ("shape mismatch", shapes)):
            if items:
                more = f" (+{len(items) - 4} more)" if len(items) > 4 else ""
                parts.append(f"{label}: {', '.join(items[:4])}{more}")
        raise ConfigError(f"teacher checkpoint {path} does not fit the teacher's model: {'; '.join(parts)}")
    model.load_state_dict({k: v.to(own[k].dtype) for k, v in state.items()}, strict=True)
