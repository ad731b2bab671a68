"""A word-bigram language model in ARPA format, estimated from training transcripts only.

Used by the black-box PocketSphinx teacher (``models/pocketsphinx_teacher.py``) as its decoding language
model, so it knows the task's phrasing from the training split and nothing else (never val or test text).

Smoothing: interpolation-free **absolute discounting with back-off** (Ney, Essen & Kneser 1994, "On
structuring probabilistic dependences in stochastic language modelling", Computer Speech & Language 8),
the discount estimated from the count-of-counts as ``D = n1 / (n1 + 2 n2)`` (n1, n2: bigram types seen once
and twice; clipped to [0.1, 0.9]). For a seen bigram ``P(w | v) = (c(v, w) - D) / c(v)``; the mass ``D *
N1+(v) / c(v)`` set free in context ``v`` goes to unseen successors in proportion to their unigram
probabilities through the back-off weight ``bow(v) = (1 - sum_seen P(w | v)) / (1 - sum_seen P(w))``.
Unigrams are maximum-likelihood over the training tokens and ``</s>`` (every word was seen, so no unigram
mass is reserved); ``<s>`` only starts sentences and has the customary log probability -99.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise

BOS, EOS = "<s>", "</s>"
#: ARPA's stand-in for log10(0): ``<s>`` is never predicted
NEVER = -99.0


@dataclass
class BigramLM:
    """Bigram counts of a corpus and the absolute-discounting estimates derived from them."""

    unigrams: Counter[str]
    bigrams: Counter[tuple[str, str]]
    sentences: int

    @classmethod
    def from_sentences(cls, sentences: Iterable[str]) -> BigramLM:
        """Count whitespace-tokenised sentences (already normalised), each wrapped in ``<s> ... </s>``."""
        uni: Counter[str] = Counter()
        bi: Counter[tuple[str, str]] = Counter()
        n = 0
        for text in sentences:
            words = text.split()
            if not words:
                continue
            n += 1
            tokens = [BOS, *words, EOS]
            uni.update(tokens)
            bi.update(pairwise(tokens))
        if n == 0:
            raise ValueError("a language model needs at least one non-empty training sentence")
        return cls(uni, bi, n)

    @property
    def words(self) -> list[str]:
        """The vocabulary (without the sentence markers), sorted."""
        return sorted(w for w in self.unigrams if w not in (BOS, EOS))

    @property
    def discount(self) -> float:
        """Ney et al.'s absolute discount ``n1 / (n1 + 2 n2)``, clipped to [0.1, 0.9]."""
        counts = Counter(self.bigrams.values())
        n1, n2 = counts.get(1, 0), counts.get(2, 0)
        d = n1 / (n1 + 2 * n2) if n1 + n2 else 0.5
        return min(0.9, max(0.1, d))

    def unigram_prob(self, word: str) -> float:
        """Maximum-likelihood unigram probability over predicted tokens (every token except ``<s>``)."""
        total = sum(c for w, c in self.unigrams.items() if w != BOS)
        return self.unigrams[word] / total if word != BOS else 0.0

    def bigram_prob(self, prev: str, word: str) -> float:
        """``P(word | prev)``: discounted when the bigram was seen, backed off to the unigram otherwise."""
        seen = self._successors(prev)
        if word in seen:
            return (seen[word] - self.discount) / self._context_count(prev)
        return self.backoff_weight(prev) * self.unigram_prob(word)

    def backoff_weight(self, prev: str) -> float:
        """``bow(prev)``: the freed mass over the unigram mass of the successors never seen after ``prev``."""
        seen = self._successors(prev)
        if not seen:
            return 1.0
        count = self._context_count(prev)
        kept = sum((c - self.discount) / count for c in seen.values())
        rest = 1.0 - sum(self.unigram_prob(w) for w in seen)
        return (1.0 - kept) / rest if rest > 1e-12 else 1.0

    def _successors(self, prev: str) -> dict[str, int]:
        if not hasattr(self, "_succ"):
            succ: dict[str, dict[str, int]] = {}
            for (v, w), c in self.bigrams.items():
                succ.setdefault(v, {})[w] = c
            self._succ = succ
        return self._succ.get(prev, {})

    def _context_count(self, prev: str) -> int:
        return sum(self._successors(prev).values())

    def to_arpa(self) -> str:
        """The model as ARPA text (log10 probabilities and back-off weights), as PocketSphinx reads it."""
        vocab = [BOS, EOS, *self.words]
        lines = ["\\data\\", f"ngram 1={len(vocab)}", f"ngram 2={len(self.bigrams)}", "", "\\1-grams:"]
        for w in vocab:
            p = self.unigram_prob(w)
            logp = math.log10(p) if p > 0 else NEVER
            bow = math.log10(self.backoff_weight(w)) if w != EOS else None
            lines.append(f"{logp:.6f} {w}" + (f" {bow:.6f}" if bow is not None else ""))
        lines += ["", "\\2-grams:"]
        for v, w in sorted(self.bigrams):
            lines.append(f"{math.log10(self.bigram_prob(v, w)):.6f} {v} {w}")
        lines += ["", "\\end\\", ""]
        return "\n".join(lines)
