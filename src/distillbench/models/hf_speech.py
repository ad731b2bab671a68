"""``hf:`` specs for the speech task: pretrained wav2vec 2.0 CTC models, mapped onto the task's vocabulary.

Baevski, Zhou, Mohamed & Auli (2020), "wav2vec 2.0: A Framework for Self-Supervised Learning of Speech
Representations", NeurIPS, arXiv:2006.11477. ``hf:<hub name or local folder>`` loads
``Wav2Vec2ForCTC.from_pretrained`` (``trust_remote_code`` only when the user allows it, see safety.py;
offline only a local folder or a cached model loads), e.g. ``hf:facebook/wav2vec2-base-960h``. Such models spell
with their own character vocabulary (``<pad>`` as the CTC blank, ``|`` as the word delimiter, usually upper case);
:class:`HFCTC` picks the logit columns that match the task's vocabulary (``data/audio.py``: blank, space, apostrophe,
a-z) in the task's order, so decoding, WER and the methods work unchanged. A task symbol the model lacks gets a
logit of -1e4 (never emitted); model symbols outside the task's vocabulary are dropped. The input is
normalised per utterance (zero mean, unit variance over its valid samples) when the model's feature
extractor asks for it (``do_normalize``, the wav2vec2 default). Whisper (an encoder-decoder, not CTC) is not
wrapped here.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch
from torch import nn

from distillbench.data.audio import CHARS
from distillbench.errors import ConfigError, DistillbenchError, MissingDependencyError
from distillbench.models.spec import parse_spec
from distillbench.safety import trust_remote_code

MISSING_LOGIT = -1e4


def vocab_columns(vocab: dict[str, int], blank_token: str = "<pad>", delimiter: str = "|") -> list[int | None]:
    """For blank, space, apostrophe, a-z (the task's order): the model's column, or None when it lacks the symbol."""
    lower = {k.lower(): v for k, v in vocab.items()} | vocab  # exact symbols win over case-folded ones
    cols: list[int | None] = [vocab.get(blank_token)]
    for ch in CHARS:
        if ch == " ":
            cols.append(vocab.get(delimiter, vocab.get(" ")))
        else:
            cols.append(vocab.get(ch, lower.get(ch)))
    if cols[0] is None:
        raise ConfigError(f"the model's vocabulary has no blank token {blank_token!r}")
    return cols


class HFCTC(nn.Module):
    """A transformers CTC model behind the task's (audio, lengths) -> (logits, frames) interface."""

    def __init__(self, model: nn.Module, columns: list[int | None], normalize: bool) -> None:
        super().__init__()
        self.model = model
        self.normalize = normalize
        self.register_buffer("columns", torch.as_tensor([c if c is not None else 0 for c in columns]))
        self.register_buffer("missing", torch.as_tensor([c is None for c in columns]))

    def forward(self, audio: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mask = (torch.arange(audio.shape[1], device=audio.device)[None] < lengths[:, None]).long()
        if self.normalize:
            n = lengths.clamp_min(1)[:, None].to(audio.dtype)
            mean = (audio * mask).sum(1, keepdim=True) / n
            std = (((audio - mean) * mask).pow(2).sum(1, keepdim=True) / n).sqrt()
            audio = (audio - mean) / (std + 1e-7) * mask
        logits = self.model(input_values=audio, attention_mask=mask).logits
        picked = logits.index_select(-1, self.columns).masked_fill(self.missing, MISSING_LOGIT)
        frames = self.model._get_feat_extract_output_lengths(lengths).clamp(max=logits.shape[1])
        return picked, frames.long()


def _read_json(folder: Path, name: str) -> dict[str, Any]:
    path = folder / name
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def build_hf_ctc(text: str) -> nn.Module:
    """``hf:<name or folder>`` -> :class:`HFCTC` around ``AutoModelForCTC.from_pretrained`` (module docstring)."""
    try:
        import transformers
    except ImportError:
        raise MissingDependencyError("hf: speech models need transformers: pip install 'distillbench[nlp]'") from None
    spec = parse_spec(text)
    name = spec.name
    try:
        model = transformers.AutoModelForCTC.from_pretrained(name, trust_remote_code=trust_remote_code(), **spec.kwargs)
        folder = Path(name)
        if folder.is_dir():
            vocab = _read_json(folder, "vocab.json")
            extractor = _read_json(folder, "preprocessor_config.json")
        else:
            tok = transformers.AutoTokenizer.from_pretrained(name, trust_remote_code=trust_remote_code())
            vocab = tok.get_vocab()
            extractor = transformers.AutoFeatureExtractor.from_pretrained(name, trust_remote_code=trust_remote_code())
            extractor = extractor.to_dict()
    except (OSError, ValueError) as exc:
        offline = os.environ.get("HF_HUB_OFFLINE", "0") not in ("0", "", "false")
        hint = " (HF_HUB_OFFLINE is set: only local folders and cached models load)" if offline else ""
        raise DistillbenchError(f"{text}: could not load a CTC model{hint}: {exc}") from None
    if not vocab:
        raise ConfigError(f"{text}: no vocabulary (vocab.json) found next to the model")
    if "<pad>" not in vocab and model.config.pad_token_id is not None:
        blank = next((k for k, v in vocab.items() if v == model.config.pad_token_id), "<pad>")
    else:
        blank = "<pad>"
    columns = vocab_columns(vocab, blank_token=blank)
    return HFCTC(model, columns, bool(extractor.get("do_normalize", True)))
