"""Compression baselines: int8 quantisation and structured pruning of a trained model (no training here).

The cheaper alternatives a user weighs against distillation, applied to the card's teacher and its best
student (compression_job.py plans and evaluates them; the speed job times them beside the students):

- ``int8_dynamic``: int8 weights and per-token int8 activations quantised on the fly, in every ``nn.Linear``
  (torchao's ``Int8DynamicActivationInt8WeightConfig``; Jacob et al. 2018, "Quantization and Training of
  Neural Networks for Efficient Integer-Arithmetic-Only Inference", CVPR). Without torchao, torch's own
  ``torch.ao.quantization.quantize_dynamic`` (deprecated since torch 2.10, still running on 2.14) is used
  and the record says so.
- ``int8_weight_only``: int8 weights, dequantised to the activation dtype inside the matmul (torchao's
  ``Int8WeightOnlyConfig``): smaller weights, float arithmetic. Static (calibrated) activation
  quantisation needs per-architecture observer placement (torchao's PT2E flow) and is not offered.
- ``pruned``: structured pruning that removes whole channels, so the model really is smaller and faster
  (``torch.nn.utils.prune`` only masks). Transformers: the intermediate channels of every feed-forward block
  (:data:`FFN_UP`); convolutional networks: the output channels of every convolution outside the heads
  (:data:`HEAD`). Criterion: the L1 norm of each channel's weights, summed over every layer the removal
  touches (torch-pruning's ``MagnitudeImportance(p=1)``, Li et al. 2017, "Pruning Filters for Efficient
  ConvNets", ICLR; its dependency graph keeps the coupled layers consistent: Fang et al. 2023, "DepGraph:
  Towards Any Structural Pruning", CVPR). The same ``fraction`` of channels is removed from every pruned
  layer. The pruned model is fine-tuned afterwards (compression_job.py); the criterion is deterministic, so
  pruning the same teacher again gives the same shapes and its fine-tuned weights load into it.

Every failure that depends on the model or the backend (nothing to quantise, a kernel missing on this
device, a pruning that would leave a layer empty) raises :class:`CompressionError` with the reason.
"""

from __future__ import annotations

import copy
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from typing import Any

import torch
from torch import nn

from distillbench.config import TaskCard
from distillbench.errors import DistillbenchError

QUANTIZE_KINDS = ("int8_dynamic", "int8_weight_only")
KINDS = (*QUANTIZE_KINDS, "pruned")
#: up-projections of transformer feed-forward blocks (BERT, T5, Marian/BART, ViT/timm, GPT-2, Conformer, wav2vec2)
FFN_UP = re.compile(r"(intermediate\.dense|\.wi|\.wi_[01]|\.fc1|\.linear1|mlp\.c_fc|feed_forward\.intermediate_dense)$")
#: module names of output heads, never pruned (their output size is the task's)
HEAD = re.compile(r"(^|\.)(head|heads|classifier|fc|lm_head|cls_logits|bbox_reg|bbox_ctrness|classification_head|"
                  r"regression_head|ctc|output)(\.|$)")  # fmt: skip


class CompressionError(DistillbenchError):
    """A model cannot be compressed this way (unsupported layers, backend, device, or too much pruning)."""


def backend_versions() -> dict[str, str]:
    """Versions of the libraries behind the compressed models, for the records."""
    out = {}
    for name in ("torchao", "torch-pruning"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


# --------------------------------------------------------------------------- quantisation


def quantize(model: nn.Module, kind: str, check: Callable[[nn.Module], Any] | None = None) -> tuple[nn.Module, dict]:
    """A quantised copy of ``model`` (eval mode, on the CPU) and what was done; ``check`` runs it once.

    Raises :class:`CompressionError` when the model has no ``nn.Linear`` layer, when the backend is
    missing, or when the quantised model fails to run (``check``), e.g. without int8 kernels on a device.
    """
    if kind not in QUANTIZE_KINDS:
        raise CompressionError(f"unknown quantisation {kind!r}; known: {', '.join(QUANTIZE_KINDS)}")
    shared = _shared_weights(model)
    linears = [n for n, m in model.named_modules() if isinstance(m, nn.Linear) and id(m.weight) not in shared]
    tied = [n for n, m in model.named_modules() if isinstance(m, nn.Linear) and id(m.weight) in shared]
    if not linears:
        kinds = sorted({type(m).__name__ for m in model.modules() if next(m.parameters(False), None) is not None})
        raise CompressionError(
            f"{kind}: the model has no nn.Linear layer to quantise (its weighted layers: {', '.join(kinds)}); "
            "int8 convolutions need a static, calibrated flow (torchao PT2E) that is not offered here"
        )
    q = copy.deepcopy(model).cpu().eval()
    info: dict[str, Any] = {"kind": kind, "layers": len(linears)}
    if tied:  # a weight shared with an embedding stays float: the embedding reads it as a float table
        info["kept_float"] = f"{', '.join(tied)} (weight tied to another layer)"
    keep = set(linears)
    try:
        from torchao.quantization import Int8DynamicActivationInt8WeightConfig, Int8WeightOnlyConfig, quantize_
    except ImportError as exc:
        if kind != "int8_dynamic":
            raise CompressionError(f"{kind} needs torchao (pip install 'distillbench[compress]'): {exc}") from None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # its deprecation warnings: the record says which backend ran
            qconfig = {n: torch.ao.quantization.default_dynamic_qconfig for n in keep}
            q = torch.ao.quantization.quantize_dynamic(q, qconfig, dtype=torch.qint8)
        info.update(backend="torch.ao.quantization.quantize_dynamic", why=f"torchao is not installed ({exc})")
    else:
        config = Int8DynamicActivationInt8WeightConfig() if kind == "int8_dynamic" else Int8WeightOnlyConfig()
        try:
            quantize_(q, config, filter_fn=lambda m, fqn: isinstance(m, nn.Linear) and fqn in keep)
        except Exception as exc:
            raise CompressionError(f"{kind} (torchao) failed on this model: {type(exc).__name__}: {exc}") from None
        info.update(backend=f"torchao {backend_versions().get('torchao', '?')} quantize_({type(config).__name__})")
    if check is not None:
        try:
            check(q)
        except Exception as exc:
            raise CompressionError(
                f"{kind} ({info['backend']}) cannot run on this device: {type(exc).__name__}: {str(exc)[:300]}"
            ) from None
    return q, info


def _shared_weights(model: nn.Module) -> set[int]:
    """Ids of parameters held by more than one module (tied input and output embeddings)."""
    seen: dict[int, int] = {}
    for module in model.modules():
        for p in module.parameters(recurse=False):
            seen[id(p)] = seen.get(id(p), 0) + 1
    return {k for k, n in seen.items() if n > 1}


# --------------------------------------------------------------------------- pruning


def prune_targets(model: nn.Module) -> tuple[list[nn.Module], str]:
    """The layers whose output channels are removed, and the rule that picked them."""
    ffn = [m for n, m in model.named_modules() if isinstance(m, nn.Linear) and FFN_UP.search(n)]
    if ffn:
        return ffn, "feed-forward intermediate channels (the up-projection's outputs and the down-projection's inputs)"
    convs = [m for n, m in model.named_modules() if isinstance(m, nn.Conv2d) and not HEAD.search(n) and m.groups == 1]
    if convs:
        return convs, "output channels of every convolution outside the heads (and the layers consuming them)"
    return [], ""


def trace_forward(model: nn.Module, inputs: dict[str, Any], infer: Callable[[nn.Module, Any], Any]) -> Any:
    """One differentiable forward call for tracing layer dependencies: the task's inference, except that an
    encoder-decoder (whose inference is ``generate``, run without gradients) is called once with a short
    decoder prefix."""
    if getattr(getattr(model, "config", None), "is_encoder_decoder", False):
        ids = inputs["input_ids"]
        return model(input_ids=ids, attention_mask=inputs.get("attention_mask"), decoder_input_ids=ids[:, :2]).logits
    return infer(model, inputs)


def prune(model: nn.Module, fraction: float, forward: Callable[[nn.Module], Any]) -> tuple[nn.Module, dict[str, Any]]:
    """A structurally pruned copy of ``model``: ``fraction`` of each target layer's channels removed by L1 norm.

    ``forward(model)``: one differentiable call on example inputs (:func:`trace_forward`), to trace the
    dependencies between layers. Raises :class:`CompressionError` when nothing can be pruned, when a layer would keep no
    channel, or when torch-pruning fails on the architecture.
    """
    if not 0.0 < fraction < 1.0:
        raise CompressionError(
            f"prune fraction must lie strictly between 0 and 1, got {fraction}: "
            + ("pruning every channel leaves a layer with none" if fraction >= 1 else "nothing would be removed")
        )
    try:
        import torch_pruning as tp
    except ImportError as exc:
        raise CompressionError(
            f"structured pruning needs torch-pruning (pip install 'distillbench[compress]'): {exc}"
        ) from None
    pruned = copy.deepcopy(model).cpu().eval().requires_grad_(True)
    targets, rule = prune_targets(pruned)
    if not targets:
        raise CompressionError("no layer to prune: neither transformer feed-forward blocks nor convolutions found")
    names = {m: n for n, m in pruned.named_modules()}
    before = {names[m]: _channels(m) for m in targets}
    for name, n in before.items():
        if n - int(n * fraction) < 1 or int(n * fraction) < 1:
            raise CompressionError(
                f"pruning {fraction:.0%} of {name}'s {n} channels would leave "
                f"{n - int(n * fraction)} ({'no channel' if n - int(n * fraction) < 1 else 'nothing removed'}); "
                "use a fraction that keeps at least one channel and removes at least one"
            )
    ignored = [m for m in pruned.modules() if isinstance(m, (nn.Linear, nn.Conv2d)) and m not in targets]
    params_before = sum(p.numel() for p in pruned.parameters())
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Unwrapped parameters")  # the residual width's norms: not pruned
            pruner = tp.pruner.MetaPruner(
                pruned,
                example_inputs=None,
                forward_fn=lambda m, _inputs: forward(m),
                importance=tp.importance.MagnitudeImportance(p=1),
                pruning_ratio=fraction,
                ignored_layers=ignored,
                round_to=None,
            )
            pruner.step()
    except Exception as exc:
        raise CompressionError(f"torch-pruning cannot prune this model: {type(exc).__name__}: {exc}") from None
    after = {name: _channels(m) for m, name in ((m, names[m]) for m in targets)}
    if any(v < 1 for v in after.values()):
        raise CompressionError(f"pruning left a layer without channels: {after}")
    return pruned, {
        "kind": "pruned",
        "fraction": fraction,
        "criterion": "L1 norm of each channel's weights over the coupled layers (MagnitudeImportance(p=1))",
        "targets": rule,
        "layers": len(targets),
        "channels_before": sum(before.values()),
        "channels_after": sum(after.values()),
        "params_before": params_before,
        "params_after": sum(p.numel() for p in pruned.parameters()),
        "backend": f"torch-pruning {backend_versions().get('torch-pruning', '?')}",
    }


def _channels(m: nn.Module) -> int:
    return int(m.out_features if isinstance(m, nn.Linear) else m.out_channels)


# --------------------------------------------------------------------------- the plan of one card


@dataclass(frozen=True)
class Variant:
    """One compressed model of a card: ``kind`` applied to the teacher or to ``student`` trained with ``method``."""

    name: str
    base: str  # "teacher" | "student"
    kind: str  # int8_dynamic | int8_weight_only | pruned
    model: str  # the base model's name in the card
    method: str | None = None
    seed: int = 0
    fraction: float | None = None


def plan_variants(card: TaskCard) -> list[Variant]:
    """The card's compression baselines in a fixed order: teacher quantised, teacher pruned, student quantised."""
    cfg = card.compression
    if not cfg.enabled:
        return []
    teacher = card.teacher.name
    out = [Variant(f"{teacher}+{_label(k)}", "teacher", k, teacher) for k in cfg.quantize]
    if cfg.prune_fraction is not None:
        pct = round(cfg.prune_fraction * 100)
        out.append(Variant(f"{teacher}+pruned{pct}", "teacher", "pruned", teacher, fraction=cfg.prune_fraction))
    student, method = card.compression_base()
    out += [Variant(f"{student}/{method}+{_label(k)}", "student", k, student, method, cfg.seed) for k in cfg.quantize]
    return out


def _label(kind: str) -> str:
    return kind.replace("_", "-")
