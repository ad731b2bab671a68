"""Building the teacher's outputs over the training split, one pass in eval mode (teacher_outputs.py stores them).

Per-sample outputs are collected by ``batch["index"]``: fixed-shape logits and features into one
(samples, ...) tensor each, per-position logits (a ``mask`` marking a valid prefix: tokens, frames)
without their padding, as one row per valid position with ``offsets`` per sample. Logits with more
classes than ``top_k_above`` keep only their ``top_k`` largest values and indices, for methods that
accept the sparse distribution; anything that cannot be stored per sample (a feature whose shape
follows the batch's padding, outputs over the size limit) raises :class:`NotCacheable` with the reason.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from distillbench.adapters.base import DataSplits, TaskAdapter
from distillbench.features import FeatureHooks
from distillbench.types import ModelOutput

DTYPE = torch.float16
ENV = "DISTILLBENCH_TEACHER_OUTPUTS"  # "off" disables the cache
ENV_TOP_K = "DISTILLBENCH_TEACHER_TOP_K"


class NotCacheable(Exception):
    """The outputs cannot be cached for this job; the message says why (it goes into the record)."""


@dataclass
class CacheOptions:
    """How outputs are cached (overridable with the environment variables above)."""

    enabled: bool = True
    #: logits stored per row when the class dimension exceeds ``top_k_above``
    top_k: int = 64
    top_k_above: int = 1024
    #: the most the stored outputs may take (in memory and on disk)
    max_bytes: int = 2 * 1024**3

    @classmethod
    def from_env(cls) -> CacheOptions:
        opts = cls(enabled=os.environ.get(ENV, "on").lower() not in ("off", "0", "false", "no"))
        if os.environ.get(ENV_TOP_K):
            opts.top_k = int(os.environ[ENV_TOP_K])
        return opts


def build_outputs(
    adapter: TaskAdapter,
    teacher: nn.Module,
    data: DataSplits,
    *,
    batch_size: int,
    device: torch.device,
    amp: Callable[[], Any],
    feature_paths: Mapping[str, str],
    sparse_ok: bool,
    options: CacheOptions,
    teacher_name: str = "teacher",
) -> dict[str, torch.Tensor]:
    """The teacher's outputs over the training split in eval mode, by row index (raises NotCacheable)."""
    n = len(data.train)
    teacher.to(device).eval()
    store = OutputStore(n, sparse_ok, options)
    with FeatureHooks(teacher, feature_paths, teacher_name) as hooks, torch.no_grad():
        for batch in adapter.batches(data.train, batch_size, shuffle=True, seed=0):  # length-grouped: least padding
            if "index" not in batch:
                raise NotCacheable(f"task {adapter.registry_name!r} batches carry no sample index")
            index = batch["index"]
            with amp():
                out = adapter.forward(teacher, {k: v.to(device) for k, v in batch.items()})
            store.add(index, out, hooks.take())
    return store.tensors()


class OutputStore:
    """Per-sample outputs as they come in, checked for a fixed layout and the size limit."""

    def __init__(self, n: int, sparse_ok: bool, options: CacheOptions) -> None:
        self.n, self.sparse_ok, self.options = n, sparse_ok, options
        self.seen = torch.zeros(n, dtype=torch.bool)
        self.fixed: dict[str, torch.Tensor] = {}
        self.rows: list[tuple[torch.Tensor, ...]] = [()] * n  # ragged logits: per sample (values[, indices])
        self.lengths = torch.zeros(n, dtype=torch.long)
        self.top_k: int | None = None
        self.num_classes = 0
        self.ragged = False

    def add(self, index: torch.Tensor, out: ModelOutput, features: Mapping[str, torch.Tensor]) -> None:
        logits = out.logits.detach()
        if not self.seen.any():
            self._layout(logits, out.mask, features)
        if self.seen[index].any():
            raise NotCacheable("a training sample index came twice in one pass over the split")
        self.seen[index] = True
        if self.ragged:
            mask = out.mask.bool().cpu()  # type: ignore[union-attr]
            lengths = mask.sum(1)
            if not torch.equal(mask, torch.arange(mask.shape[1])[None] < lengths[:, None]):
                raise NotCacheable("the teacher's mask is not a prefix of each row")
            for row, (i, n_valid) in enumerate(zip(index.tolist(), lengths.tolist(), strict=True)):
                self.rows[i] = self._compact(logits[row, :n_valid])
                self.lengths[i] = n_valid
        else:
            for name, value in zip(self._logit_names(), self._compact(logits), strict=True):
                self._put(name, index, value)
        for name, value in features.items():
            self._put(f"feature.{name}", index, value.detach())

    def _layout(self, logits: torch.Tensor, mask: torch.Tensor | None, features: Mapping[str, torch.Tensor]) -> None:
        self.ragged = mask is not None and tuple(mask.shape) == tuple(logits.shape[:2]) and logits.dim() == 3
        if mask is not None and not self.ragged:
            raise NotCacheable(f"the teacher's mask {tuple(mask.shape)} does not index its logits' positions")
        self.num_classes = int(logits.shape[-1])
        if self.num_classes > self.options.top_k_above:
            if not self.sparse_ok:
                raise NotCacheable(
                    f"the teacher has {self.num_classes} classes per row (more than {self.options.top_k_above}): "
                    "only the top-k would be stored, and this method needs the full distribution"
                )
            self.top_k = min(self.options.top_k, self.num_classes)
        per_row = 2 * self.num_classes if self.top_k is None else 6 * self.top_k  # fp16 values (+ int32 indices)
        positions = float(mask.float().sum() / mask.shape[0]) if self.ragged else 1.0  # type: ignore[union-attr]
        width = 1 if self.ragged else int(torch.tensor(logits.shape[1:-1]).prod())
        per_sample = per_row * positions * width + sum(2 * v[0].numel() for v in features.values())
        if per_sample * self.n > self.options.max_bytes:
            raise NotCacheable(
                f"the outputs would take ~{per_sample * self.n / 2**30:.1f} GiB (limit "
                f"{self.options.max_bytes / 2**30:.1f} GiB)"
            )

    def _logit_names(self) -> tuple[str, ...]:
        return ("logits",) if self.top_k is None else ("logits.values", "logits.indices")

    def _compact(self, logits: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Dense fp16 logits, or the top-k's fp16 values and int32 indices (on the CPU)."""
        if self.top_k is None:
            return (logits.to("cpu", DTYPE),)
        values, indices = logits.float().topk(self.top_k, dim=-1)
        return values.to("cpu", DTYPE), indices.to("cpu", torch.int32)

    def _put(self, name: str, index: torch.Tensor, value: torch.Tensor) -> None:
        dtype = torch.int32 if name.endswith(".indices") else DTYPE
        if name not in self.fixed:
            self.fixed[name] = torch.empty((self.n, *value.shape[1:]), dtype=dtype)
        elif tuple(self.fixed[name].shape[1:]) != tuple(value.shape[1:]):
            what = f"feature {name.removeprefix('feature.')!r}" if name.startswith("feature.") else "logits"
            raise NotCacheable(
                f"the teacher's {what} change shape with the batch ({tuple(self.fixed[name].shape[1:])} vs "
                f"{tuple(value.shape[1:])} per sample: padding), so they cannot be stored per sample"
            )
        self.fixed[name][index] = value.to("cpu", dtype)

    def tensors(self) -> dict[str, torch.Tensor]:
        if not self.seen.all():
            raise NotCacheable(f"{int((~self.seen).sum())} training samples were not in any batch")
        out = dict(self.fixed)
        if self.ragged:
            out["offsets"] = torch.cat([torch.zeros(1, dtype=torch.long), self.lengths.cumsum(0)])
            for j, name in enumerate(self._logit_names()):
                out[name] = torch.cat([r[j] for r in self.rows])
        if self.top_k is not None:
            out["num_classes"] = torch.tensor(self.num_classes)
        return out
