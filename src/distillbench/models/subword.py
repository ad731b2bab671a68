"""Tokenisers for translation: a joint subword vocabulary trained locally, or a pretrained model's own.

:func:`train_or_load` trains a byte-pair-encoding vocabulary (Sennrich, Haddow & Birch 2016, "Neural
Machine Translation of Rare Words with Subword Units", ACL) with the ``tokenizers`` library on the
training split's source and target sentences together (one shared vocabulary, so encoder and decoder
embeddings can be tied and teacher and students share the output space that word-level KD compares).
Pre-tokenisation is SentencePiece-style (Kudo & Richardson 2018): NFKC, whitespace marked with ``▁``,
so decoding restores the text exactly. Specials: ``<pad>`` = 0 (also the decoder start, as in Marian),
``</s>`` = 1, ``<unk>`` = 2.

The trained tokeniser is cached as ``<cache>/tokenizers/<key>.json``, ``key`` a hash of the data
version and the settings, and its path and hash go into the data info (so into every result).
:class:`PretrainedTokenizer` wraps ``AutoTokenizer`` for ``hf:`` teachers.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from distillbench.paths import locked

SPECIALS = ["<pad>", "</s>", "<unk>"]
TOKENIZER_VERSION = "bpe-metaspace-nfkc-v1"


class SubwordTokenizer:
    """A ``tokenizers.Tokenizer`` with the few calls the translation adapter needs."""

    def __init__(self, tok: Any, path: str) -> None:
        self.tok = tok
        self.path = path
        self.pad_id, self.eos_id, self.unk_id = (tok.token_to_id(s) for s in SPECIALS)
        self.decoder_start_id = self.pad_id

    @property
    def vocab_size(self) -> int:
        return int(self.tok.get_vocab_size())

    def encode(self, texts: list[str], target: bool = False) -> list[list[int]]:
        """Token ids of each text followed by ``</s>`` (the same for source and target)."""
        return [[*e.ids, self.eos_id] for e in self.tok.encode_batch(texts, add_special_tokens=False)]

    def decode(self, ids: list[list[int]]) -> list[str]:
        return [" ".join(t.split()) for t in self.tok.decode_batch(ids, skip_special_tokens=True)]

    def describe(self) -> dict[str, Any]:
        digest = hashlib.sha256(Path(self.path).read_bytes()).hexdigest()[:12]
        return {"kind": TOKENIZER_VERSION, "vocab_size": self.vocab_size, "path": self.path, "sha256": digest}


class PretrainedTokenizer:
    """The tokeniser of a pretrained (``hf:``) translation model."""

    def __init__(self, tok: Any, source: str, decoder_start_id: int) -> None:
        self.tok = tok
        self.path = source
        self.pad_id = int(tok.pad_token_id if tok.pad_token_id is not None else 0)
        self.eos_id = int(tok.eos_token_id if tok.eos_token_id is not None else self.pad_id)
        self.decoder_start_id = decoder_start_id

    @property
    def vocab_size(self) -> int:
        return len(self.tok)

    def encode(self, texts: list[str], target: bool = False) -> list[list[int]]:
        enc = self.tok(text_target=texts) if target else self.tok(texts)
        return [list(x) for x in enc["input_ids"]]

    def decode(self, ids: list[list[int]]) -> list[str]:
        return [" ".join(t.split()) for t in self.tok.batch_decode(ids, skip_special_tokens=True)]

    def describe(self) -> dict[str, Any]:
        return {"kind": "pretrained", "vocab_size": self.vocab_size, "path": self.path}


def train_or_load(texts: list[str], vocab_size: int, data_version: str, cache_dir: str) -> SubwordTokenizer:
    """The BPE tokeniser for this data version and vocabulary size: from the cache, or trained and cached."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

    key = hashlib.sha256(f"{TOKENIZER_VERSION}|{data_version}|{vocab_size}".encode()).hexdigest()[:16]
    path = Path(cache_dir) / "tokenizers" / f"{key}.json"
    with locked(path):  # a second process waits for the first one's tokeniser
        if not path.is_file():
            tok = Tokenizer(models.BPE(unk_token="<unk>"))
            tok.normalizer = normalizers.NFKC()
            tok.pre_tokenizer = pre_tokenizers.Metaspace()
            tok.decoder = decoders.Metaspace()
            trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIALS, show_progress=False)
            tok.train_from_iterator(texts, trainer=trainer, length=len(texts))
            tmp = path.with_suffix(f".tmp{os.getpid()}")
            tok.save(str(tmp))
            os.replace(tmp, path)
    return SubwordTokenizer(Tokenizer.from_file(str(path)), str(path))
