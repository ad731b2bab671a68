"""Encoder-decoder translation models from configs (``marian:``, ``t5:``) or pretrained (``hf:``).

- ``marian:random(d_model=256, encoder_layers=3, decoder_layers=3, heads=4, ffn=1024, dropout=0.1)`` —
  a Transformer (Vaswani et al. 2017) as Marian builds it (Junczys-Dowmunt et al. 2018, "Marian: Fast
  Neural Machine Translation in C++"): transformers' ``MarianMTModel`` from a ``MarianConfig``, randomly
  initialised, with the task tokeniser's vocabulary shared by encoder, decoder and output layer.
  Students are narrower and/or have a shallow decoder (deep encoder, shallow decoder: Kasai et al.
  2021, "Deep Encoder, Shallow Decoder: Reevaluating Non-autoregressive Machine Translation", ICLR).
- ``t5:random(d_model=, encoder_layers=, decoder_layers=, heads=, ffn=, d_kv=)`` — the T5 layout
  (Raffel et al. 2020; relative position buckets, pre-norm) as ``T5ForConditionalGeneration``.
- ``hf:<hub name or folder>`` (the translation task loads these itself, :func:`load_pretrained`):
  ``AutoModelForSeq2SeqLM.from_pretrained`` (``trust_remote_code`` only when the user allows it), e.g.
  ``Helsinki-NLP/opus-mt-en-es`` (Tiedemann & Thottingal 2020) with a network, or a local folder. Its own tokeniser is
  used.
"""

from __future__ import annotations

from typing import Any

from torch import nn

from distillbench.errors import ConfigError, DistillbenchError
from distillbench.models.hf_text import load_error, require_transformers, resolve_source
from distillbench.models.spec import ModelSpec
from distillbench.registry import MODELS
from distillbench.safety import trust_remote_code

MARIAN_KEYS = {"d_model", "encoder_layers", "decoder_layers", "heads", "ffn", "dropout"}
T5_KEYS = MARIAN_KEYS | {"d_kv"}


def _check(spec: ModelSpec, known: set[str], vocab_size: int | None) -> dict[str, Any]:
    if spec.name != "random":
        raise ConfigError(f"{spec.text}: use '{spec.scheme}:random(...)' (a model built from a config)")
    unknown = sorted(set(spec.kwargs) - known)
    if unknown:
        raise ConfigError(f"{spec.text}: unknown argument(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    if vocab_size is None:
        raise ConfigError(f"{spec.text}: the vocabulary comes from the translation task's tokeniser; none was given")
    kw = dict(spec.kwargs)
    kw.setdefault("d_model", 256)
    kw.setdefault("heads", 4)
    kw.setdefault("ffn", 4 * int(kw["d_model"]))
    return kw


@MODELS.register("marian")
def build_marian(
    spec: ModelSpec,
    vocab_size: int | None = None,
    pad_token_id: int = 0,
    eos_token_id: int = 1,
    decoder_start_token_id: int = 0,
    max_positions: int = 512,
    **_: Any,
) -> nn.Module:
    """A Marian-style Transformer built from a config, randomly initialised."""
    t = require_transformers()
    kw = _check(spec, MARIAN_KEYS, vocab_size)
    try:
        config = t.MarianConfig(
            vocab_size=vocab_size,
            decoder_vocab_size=vocab_size,
            d_model=int(kw["d_model"]),
            encoder_layers=int(kw.get("encoder_layers", 3)),
            decoder_layers=int(kw.get("decoder_layers", 3)),
            encoder_attention_heads=int(kw["heads"]),
            decoder_attention_heads=int(kw["heads"]),
            encoder_ffn_dim=int(kw["ffn"]),
            decoder_ffn_dim=int(kw["ffn"]),
            dropout=float(kw.get("dropout", 0.1)),
            max_position_embeddings=max_positions,
            pad_token_id=pad_token_id,
            eos_token_id=eos_token_id,
            decoder_start_token_id=decoder_start_token_id,
            forced_eos_token_id=eos_token_id,
            share_encoder_decoder_embeddings=True,
            tie_word_embeddings=True,
            scale_embedding=True,
        )
    except ValueError as exc:
        raise ConfigError(f"{spec.text}: {exc}") from None
    if config.d_model % config.encoder_attention_heads:
        raise ConfigError(f"{spec.text}: d_model {config.d_model} is not a multiple of heads {kw['heads']}")
    return t.MarianMTModel(config)


@MODELS.register("t5")
def build_t5(
    spec: ModelSpec,
    vocab_size: int | None = None,
    pad_token_id: int = 0,
    eos_token_id: int = 1,
    decoder_start_token_id: int = 0,
    **_: Any,
) -> nn.Module:
    """A T5-layout encoder-decoder built from a config, randomly initialised."""
    t = require_transformers()
    kw = _check(spec, T5_KEYS, vocab_size)
    heads = int(kw["heads"])
    config = t.T5Config(
        vocab_size=vocab_size,
        d_model=int(kw["d_model"]),
        d_kv=int(kw.get("d_kv", int(kw["d_model"]) // heads)),
        d_ff=int(kw["ffn"]),
        num_layers=int(kw.get("encoder_layers", 3)),
        num_decoder_layers=int(kw.get("decoder_layers", 3)),
        num_heads=heads,
        dropout_rate=float(kw.get("dropout", 0.1)),
        pad_token_id=pad_token_id,
        eos_token_id=eos_token_id,
        decoder_start_token_id=decoder_start_token_id,
        tie_word_embeddings=True,
    )
    return t.T5ForConditionalGeneration(config)


def load_pretrained(name: str) -> tuple[nn.Module, Any]:
    """(model, tokenizer) of a pretrained seq2seq model: hub name, local folder or ``pkg:`` folder."""
    t = require_transformers()
    path = resolve_source(name)
    try:
        model = t.AutoModelForSeq2SeqLM.from_pretrained(path, trust_remote_code=trust_remote_code())
        tok = t.AutoTokenizer.from_pretrained(path, trust_remote_code=trust_remote_code())
    except (OSError, ValueError) as exc:
        raise load_error(name, exc) from None
    if not model.config.is_encoder_decoder:
        raise DistillbenchError(f"model {name!r} is not an encoder-decoder; translation needs one")
    return model, tok
