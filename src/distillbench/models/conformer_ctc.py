"""``local:conformer_ctc``: a Conformer CTC acoustic model on log-mel features, for teacher and students.

Gulati et al. (2020), "Conformer: Convolution-augmented Transformer for Speech Recognition", Interspeech,
arXiv:2005.08100 — the blocks are torchaudio's ``ConformerLayer`` (feed-forward / self-attention /
depthwise convolution / feed-forward, macaron style). Trained with CTC (Graves et al. 2006, "Connectionist
Temporal Classification", ICML) over the character vocabulary of ``data/audio.py``.

The model takes raw 16 kHz waveforms, so speed figures include the front end:

1. ``frontend``: 80-bin log-mel spectrogram (25 ms window, 10 ms hop; torchaudio ``MelSpectrogram``),
   normalised per utterance and mel bin over its valid frames (mean 0, std 1);
   SpecAugment-style masking (Park et al. 2019) in training when ``specaug`` is on;
2. ``subsample``: two 1-D convolutions, the second with stride ``stride`` (2: 20 ms frames, 3: 30 ms);
3. ``layers.<i>``: ``depth`` Conformer blocks of width ``width``; ``taps.<i>`` is an identity module
   after block i that gives its output as (N, T, D) — the path hidden-state distillation names;
4. ``head``: a linear layer to the vocabulary (index 0 = CTC blank).

``forward(audio (N, S), lengths (N,)) -> (logits (N, T, V), frame lengths (N,))``. Every width and depth
shares the front end and the frame rate, so a teacher's and a student's frames line up one to one.
"""

from __future__ import annotations

import torch
from torch import nn

from distillbench.data.audio import SAMPLE_RATE, VOCAB
from distillbench.registry import ARCHITECTURES

HOP = 160
N_FFT = 400


class LogMel(nn.Module):
    """Waveform -> per-utterance normalised log-mel (N, T, n_mels) and frame lengths."""

    def __init__(self, n_mels: int = 80, specaug: bool = False) -> None:
        super().__init__()
        import torchaudio

        self.mel = torchaudio.transforms.MelSpectrogram(SAMPLE_RATE, n_fft=N_FFT, hop_length=HOP, n_mels=n_mels)
        self.specaug = specaug

    def forward(self, audio: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        with torch.autocast(device_type=audio.device.type, enabled=False):
            feats = torch.log(self.mel(audio.float()) + 1e-6).transpose(1, 2)  # (N, T, F)
        frames = torch.div(lengths, HOP, rounding_mode="floor") + 1
        valid = (torch.arange(feats.shape[1], device=audio.device)[None] < frames[:, None]).unsqueeze(-1)
        n = frames.clamp_min(1)[:, None, None].to(feats.dtype)
        mean = (feats * valid).sum(1, keepdim=True) / n
        std = (((feats - mean) * valid).pow(2).sum(1, keepdim=True) / n).sqrt().clamp_min(1e-5)
        feats = ((feats - mean) / std) * valid
        if self.training and self.specaug:
            feats = _spec_augment(feats)
        return feats, frames


def _spec_augment(feats: torch.Tensor, freq_width: int = 10, time_width: int = 12) -> torch.Tensor:
    """One frequency mask and two time masks per utterance (SpecAugment, Park et al. 2019, simplified)."""
    n, t, f = feats.shape
    out = feats.clone()
    for i in range(n):
        f0 = int(torch.randint(0, max(1, f - freq_width), ()))
        out[i, :, f0 : f0 + int(torch.randint(0, freq_width + 1, ()))] = 0
        for _ in range(2):
            t0 = int(torch.randint(0, max(1, t - time_width), ()))
            out[i, t0 : t0 + int(torch.randint(0, time_width + 1, ())), :] = 0
    return out


class ConformerCTC(nn.Module):
    def __init__(
        self,
        vocab_size: int,
        width: int,
        depth: int,
        heads: int,
        ffn: int,
        kernel: int,
        dropout: float,
        specaug: bool,
        stride: int = 2,
    ) -> None:
        super().__init__()
        from torchaudio.models.conformer import ConformerLayer

        self.frontend = LogMel(80, specaug)
        self.subsample = nn.Sequential(
            nn.Conv1d(80, width, 3, padding=1),
            nn.GELU(),
            nn.Conv1d(width, width, 3, stride=stride, padding=1),
            nn.GELU(),
        )
        self.layers = nn.ModuleList([ConformerLayer(width, ffn, heads, kernel, dropout=dropout) for _ in range(depth)])
        self.taps = nn.ModuleList([nn.Identity() for _ in range(depth)])
        self.head = nn.Linear(width, vocab_size)
        self.stride = stride

    def forward(self, audio: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        feats, frames = self.frontend(audio, lengths)
        x = self.subsample(feats.transpose(1, 2)).transpose(1, 2)  # (N, T', D)
        out_len = torch.div(frames - 1, self.stride, rounding_mode="floor") + 1
        pad = torch.arange(x.shape[1], device=x.device)[None] >= out_len[:, None]
        x = x.transpose(0, 1)  # torchaudio's layers take (T, N, D)
        for layer, tap in zip(self.layers, self.taps, strict=True):
            x = layer(x, pad)
            tap(x.transpose(0, 1))
        return self.head(x.transpose(0, 1)), out_len


@ARCHITECTURES.register("conformer_ctc")
def conformer_ctc(
    vocab_size: int = len(VOCAB),
    width: int = 144,
    depth: int = 4,
    heads: int = 4,
    ffn: int | None = None,
    kernel: int = 15,
    dropout: float = 0.1,
    specaug: bool = False,
    stride: int = 2,
) -> nn.Module:
    """Conformer CTC on log-mel features: ``depth`` blocks of ``width`` (ffn 4x width unless given)."""
    if stride < 1:
        raise ValueError(f"stride must be >= 1, got {stride}")
    return ConformerCTC(vocab_size, width, depth, heads, ffn or 4 * width, kernel, dropout, specaug, stride)
