"""Speech to text: normaliser and WER against jiwer, golden CTC-distillation losses, bad audio input, hf: path."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from distillbench.adapters.asr_metrics import error_rates, greedy_decode
from distillbench.adapters.base import ModelOutput
from distillbench.adapters.speech_to_text import ctc_loss
from distillbench.data.audio import SAMPLE_RATE, VOCAB, normalise, speech_split
from distillbench.data.real_speech import AudioFolder, AudioFolderOptions, read_transcripts
from distillbench.errors import DataError
from distillbench.methods.base import build_method
from distillbench.registry import load_components

load_components()
sf = pytest.importorskip("soundfile")
jiwer = pytest.importorskip("jiwer")


def tone(seconds: float, rate: int = SAMPLE_RATE) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


# ---------------------------------------------------------------- text normaliser and metrics


def test_normaliser_is_stated_and_strips_case_punctuation_and_accents() -> None:
    assert normalise("  Café -- it's GREAT, isn’t it?! ") == "cafe it's great isn't it"
    assert normalise("A  well_made\tfilm.") == "a well made film"


def test_project_wer_and_cer_equal_jiwer_on_the_same_normalised_transcripts() -> None:
    refs = ["This movie is great.", "a bad day after all", "one of the best films", "not much better"]
    hyps = ["this movie is grate", "", "one of best the films and", "NOT much better!"]
    ours = error_rates(refs, hyps)
    n_refs, n_hyps = [normalise(r) for r in refs], [normalise(h) for h in hyps]
    assert ours["wer"] == pytest.approx(jiwer.wer(n_refs, n_hyps), abs=1e-12)
    assert ours["cer"] == pytest.approx(jiwer.cer(n_refs, n_hyps), abs=1e-12)
    assert ours["empty_hypotheses"] == 1 and ours["words"] == 17
    lo, hi = ours["wer_ci95"]
    assert lo <= ours["wer"] <= hi


def test_an_always_empty_transcript_has_wer_one() -> None:
    assert error_rates(["a b c", "d e"], ["", ""])["wer"] == 1.0


def test_greedy_ctc_decoding_collapses_repeats_and_drops_blanks() -> None:
    ids = [VOCAB.index(c) for c in "hh"] + [0] + [VOCAB.index(c) for c in "ii i"]  # "hh", blank, "ii i"
    logits = torch.nn.functional.one_hot(torch.tensor([[*ids, VOCAB.index("x")]]), len(VOCAB)).float()
    assert greedy_decode(logits, torch.tensor([len(ids)])) == ["hi i"]  # the trailing x is past the length


# ---------------------------------------------------------------- golden loss values (computed by hand)

# T = 2 frames, vocabulary {blank, a}, uniform posteriors, target "a": the paths aa, a-, -a each have
# probability 1/4, so CTC = -log(3/4) per target symbol.
CTC_UNIFORM_2x2 = 0.2876820724517809
# KL([0.75, 0.25] || [0.5, 0.5]) = 0.75 ln 1.5 + 0.25 ln 0.5
KL_GOLDEN = 0.13081203594113694


def _out(logits: torch.Tensor, frames: list[int], loss: torch.Tensor | None = None, **features) -> ModelOutput:
    mask = torch.arange(logits.shape[1])[None] < torch.tensor(frames)[:, None]
    return ModelOutput(logits=logits, loss=loss, mask=mask, features=features)


def test_ctc_loss_golden_value() -> None:
    loss = ctc_loss(torch.zeros(1, 2, 2), torch.tensor([2]), torch.tensor([[1]]), torch.tensor([1]))
    assert loss.item() == pytest.approx(CTC_UNIFORM_2x2, abs=1e-6)


def test_kd_on_ctc_posteriors_golden_value_counts_only_valid_frames() -> None:
    student = torch.zeros(1, 2, 2)
    teacher = torch.tensor([[[math.log(3.0), 0.0], [50.0, -50.0]]])  # frame 2 is padding: ignored
    method = build_method("kd", {"temperature": 1.0, "alpha": 1.0})
    parts = method.loss(_out(student, [1], torch.tensor(0.0)), _out(teacher, [1]), {})
    assert parts["kd"].item() == pytest.approx(KL_GOLDEN, abs=1e-6)
    assert parts["loss"].item() == pytest.approx(KL_GOLDEN, abs=1e-6)


def test_pseudo_label_golden_value_uses_the_teachers_transcript() -> None:
    teacher = torch.tensor([[[0.0, 5.0], [5.0, 0.0]]])  # best path "a", blank -> transcript "a"
    batch = {"targets": torch.tensor([[1, 1]]), "target_lengths": torch.tensor([2])}  # ground truth differs
    method = build_method("pseudo_label", {"label_weight": 1.0})
    parts = method.loss(_out(torch.zeros(1, 2, 2), [2], torch.tensor(7.0)), _out(teacher, [2]), batch)
    assert parts["pseudo"].item() == pytest.approx(CTC_UNIFORM_2x2, abs=1e-6)
    assert parts["loss"].item() == pytest.approx(CTC_UNIFORM_2x2, abs=1e-6)
    assert parts["fallback"].item() == 0.0


def test_pseudo_label_falls_back_to_ground_truth_beyond_max_wer() -> None:
    blank_teacher = torch.tensor([[[5.0, 0.0], [5.0, 0.0]]])  # empty transcript: WER 1 > 0.5
    batch = {"targets": torch.tensor([[1]]), "target_lengths": torch.tensor([1])}
    method = build_method("pseudo_label", {"max_wer": 0.5})
    parts = method.loss(_out(torch.zeros(1, 2, 2), [2], torch.tensor(0.0)), _out(blank_teacher, [2]), batch)
    assert parts["fallback"].item() == 1.0
    assert parts["pseudo"].item() == pytest.approx(CTC_UNIFORM_2x2, abs=1e-6)  # CTC on the ground truth "a"


def test_hidden_state_distillation_golden_value_with_projection() -> None:
    method = build_method("fitnet", {"feature": "hidden", "weight": 1.0, "ce_weight": 0.0})
    s = _out(torch.zeros(1, 2, 2), [1], torch.tensor(3.0), hidden=torch.randn(1, 2, 4))
    t = _out(torch.zeros(1, 2, 2), [1], hidden=torch.tensor([[[1.0] * 6, [9.0] * 6]]))  # frame 2 is padding
    method.setup(s, t)
    assert isinstance(method.regressor, torch.nn.Linear) and method.regressor.out_features == 6
    torch.nn.init.zeros_(method.regressor.weight)
    torch.nn.init.zeros_(method.regressor.bias)
    assert method.loss(s, t, {})["hint"].item() == pytest.approx(1.0)  # mean of (0 - 1)² over the valid frame


# ---------------------------------------------------------------- models


def test_teacher_and_student_frames_line_up_and_taps_give_hidden_states() -> None:
    from distillbench.features import FeatureHooks
    from distillbench.models.spec import build_model

    audio = torch.from_numpy(np.stack([tone(0.5), np.pad(tone(0.3), (0, 3200))]))
    lengths = torch.tensor([8000, 4800])
    outs = []
    for spec, width in (
        ("local:conformer_ctc(width=32, depth=2, heads=2)", 32),
        ("local:conformer_ctc(width=16, depth=1, heads=2)", 16),
    ):
        model = build_model(spec, vocab_size=len(VOCAB)).eval()
        with FeatureHooks(model, {"hidden": "taps.0"}) as hooks, torch.no_grad():
            logits, frames = model(audio, lengths)
            assert hooks.take()["hidden"].shape == (2, logits.shape[1], width)
        outs.append((logits.shape, frames.tolist()))
    assert outs[0][0][:2] == outs[1][0][:2] and outs[0][1] == outs[1][1] == [26, 16]
    assert outs[0][0][2] == len(VOCAB)


def test_hf_ctc_model_from_a_local_folder_maps_its_vocabulary(tmp_path: Path) -> None:
    transformers = pytest.importorskip("transformers")
    from distillbench.models.hf_speech import build_hf_ctc

    vocab = {"<pad>": 0, "<s>": 1, "</s>": 2, "<unk>": 3, "|": 4, "'": 5} | {
        c: i + 6 for i, c in enumerate("ETAOINSHRDLCUMWFGYPBVKJXQZ")
    }
    cfg = transformers.Wav2Vec2Config(
        vocab_size=len(vocab),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        conv_dim=(8, 8),
        conv_stride=(5, 4),
        conv_kernel=(10, 4),
        num_conv_pos_embeddings=8,
        num_conv_pos_embedding_groups=2,
        pad_token_id=0,
    )
    transformers.Wav2Vec2ForCTC(cfg).save_pretrained(tmp_path)
    (tmp_path / "vocab.json").write_text(json.dumps(vocab))
    (tmp_path / "preprocessor_config.json").write_text(json.dumps({"do_normalize": True, "sampling_rate": 16000}))
    model = build_hf_ctc(f"hf:{tmp_path}").eval()
    assert model.columns.tolist()[:4] == [0, 4, 5, vocab["A"]] and model.columns.tolist()[-1] == vocab["Z"]
    with torch.no_grad():
        logits, frames = model(torch.from_numpy(np.stack([tone(0.25), tone(0.25)])), torch.tensor([4000, 2000]))
    assert logits.shape[-1] == len(VOCAB) and frames.tolist()[0] == logits.shape[1] > frames.tolist()[1]


def test_hf_spec_offline_without_a_folder_is_a_clear_error() -> None:
    from distillbench.errors import DistillbenchError
    from distillbench.models.hf_speech import build_hf_ctc

    with pytest.raises(DistillbenchError, match="could not load a CTC model"):
        build_hf_ctc("hf:facebook/wav2vec2-base-960h")


# ---------------------------------------------------------------- bad input, local folders


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    sf.write(tmp_path / "good.wav", tone(0.4), SAMPLE_RATE)
    sf.write(tmp_path / "eight.wav", tone(0.4, 8000), 8000)  # wrong rate: resampled and counted
    sf.write(tmp_path / "stereo.flac", np.stack([tone(0.3), tone(0.3)], 1), SAMPLE_RATE)
    sf.write(tmp_path / "empty.wav", np.zeros(0, dtype=np.float32), SAMPLE_RATE)  # zero-length: skipped
    (tmp_path / "broken.wav").write_bytes(b"RIFF not really a wave file")  # unreadable: skipped
    (tmp_path / "digits.wav").write_bytes((tmp_path / "good.wav").read_bytes())
    lines = [
        "good A good film.",
        "eight\tthe EIGHT kilohertz one",
        "<s> a stereo clip </s> (stereo)",
        "empty nothing here",
        "broken a broken file",
        "missing this file does not exist",
        "digits 42 films",  # digits are outside the vocabulary: skipped and counted
    ]
    for split in ("train", "val", "test"):
        (tmp_path / f"{split}.txt").write_text("\n".join(lines) + "\n")
    return tmp_path


def test_audio_folder_counts_every_skip_and_records_resampling(folder: Path) -> None:
    opts = AudioFolderOptions(root=str(folder), transcripts={s: f"{s}.txt" for s in ("train", "val", "test")})
    data = AudioFolder(opts).load()
    assert data.test["text"] == ["a good film", "the eight kilohertz one", "a stereo clip"]
    rep = data.info["report"]["test"]
    assert rep["skipped_unreadable"] == 2 and rep["skipped_zero_length"] == 1
    assert rep["skipped_unknown_characters"] == 1 and rep["unknown_characters"] == {"2": 1, "4": 1}
    assert rep["resampled"] == 1 and rep["resampled_from_hz"] == {"8000": 1} and rep["downmixed_to_mono"] == 1
    assert len(data.test[1]["audio"]) == int(0.4 * SAMPLE_RATE)  # 8 kHz -> 16 kHz


def test_unknown_characters_can_be_an_error_naming_the_utterance(folder: Path) -> None:
    opts = AudioFolderOptions(
        root=str(folder), transcripts={s: f"{s}.txt" for s in ("train", "val", "test")}, unknown_chars="error"
    )
    with pytest.raises(DataError, match=r"'digits'.*'24'"):
        AudioFolder(opts).load()


def test_a_split_with_nothing_usable_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "x.wav").write_bytes(b"junk")
    with pytest.raises(DataError, match="no usable utterance"):
        speech_split([(str(tmp_path / "x.wav"), None, "hello", "x")], where="test")


def test_transcript_file_forms_and_errors(tmp_path: Path) -> None:
    p = tmp_path / "t.txt"
    p.write_text("<s> ten of clubs </s> (001)\nutt-2\tsome text\nutt-3 more text\n")
    assert read_transcripts(p) == [("001", "ten of clubs"), ("utt-2", "some text"), ("utt-3", "more text")]
    p.write_text("lonely\n")
    with pytest.raises(DataError, match=r"t.txt:1: expected"):
        read_transcripts(p)


def test_hf_speech_reads_local_files_through_the_hub_loader(folder: Path, tmp_path_factory) -> None:
    from distillbench.data.hub_speech import HubSpeech, HubSpeechOptions

    root = tmp_path_factory.mktemp("hubspeech")
    rows = [
        {"path": str(folder / "good.wav"), "sentence": "A good film"},
        {"path": str(folder / "eight.wav"), "sentence": "Eight"},
    ]
    for split in ("train", "test"):
        (root / f"{split}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    files = {"train": str(root / "train.jsonl"), "test": str(root / "test.jsonl")}
    opts = HubSpeechOptions(
        name="json",
        data_files=files,
        audio_column="path",
        text_column="sentence",
        splits={"train": "train", "val": "test", "test": "test"},
    )
    data = HubSpeech(opts).load()
    assert data.test["text"] == ["a good film", "eight"]
    assert data.info["report"]["test"]["resampled_from_hz"] == {"8000": 1}
    with pytest.raises(DataError, match="no column 'transcript'"):
        HubSpeech(
            HubSpeechOptions(
                name="json",
                data_files=files,
                audio_column="path",
                text_column="transcript",
                splits={"train": "train", "val": "test", "test": "test"},
            )
        ).load()


def test_teacher_logits_are_memoised_per_utterance_and_match_a_real_forward(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from distillbench.adapters.base import DataSplits
    from distillbench.adapters.speech_to_text import SpeechToText

    clips = [tone(0.3), tone(0.5), tone(0.2)]
    texts = ["a", "b c", "d"]
    ds, _ = speech_split([(c, SAMPLE_RATE, t, str(i)) for i, (c, t) in enumerate(zip(clips, texts, strict=True))], "t")
    spec = "local:conformer_ctc(width=16, depth=1, heads=2)"
    adapter = SpeechToText(SimpleNamespace(teacher=SimpleNamespace(model=spec)))
    data = DataSplits(ds, ds, ds)
    adapter._train, adapter._test = ds, ds
    teacher = adapter.build_model(spec, data).eval()
    with torch.no_grad():
        first = adapter.forward(teacher, adapter._batch(ds, [0, 1, 2]))
        assert len(adapter._memo) == 3
        again = adapter.forward(teacher, adapter._batch(ds, [2, 1, 0]))  # served from the memo
        plain = {k: v for k, v in adapter._batch(ds, [2, 1, 0]).items() if k != "index"}  # no index: a real pass
        real = adapter.forward(teacher, plain)
    assert again.loss is None and first.loss is not None and real.loss is not None
    assert torch.equal(again.mask, real.mask)
    assert torch.allclose(again.logits[again.mask], real.logits[real.mask], atol=1e-5)


def test_synthesis_is_the_same_on_every_run(tmp_path: Path) -> None:
    """VITS samples noise inside its ONNX graph: seeded, two generations of the same options are byte-identical."""
    from distillbench.data.embedded_speech import EmbeddedSpeechOptions, generate

    opts = EmbeddedSpeechOptions(train_phrases=2, val_phrases=1, test_phrases=2, noise_scales=[0.667])
    for run in ("a", "b"):
        generate(tmp_path / run, opts)
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.flac"))
    assert len(files) == 5
    assert all((tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes() for f in files)
