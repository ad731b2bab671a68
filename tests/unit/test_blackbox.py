"""The black-box PocketSphinx teacher: its training-only language model, decoding, and how methods may use it."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest

from distillbench.blackbox import check_blackbox_card, is_blackbox, pseudo_label_data
from distillbench.config import load_card
from distillbench.data.audio import normalise
from distillbench.errors import ConfigError, MissingDependencyError
from distillbench.methods.base import build_method
from distillbench.models import arpa_bigram
from distillbench.models.arpa_bigram import BigramLM
from distillbench.predictions import read_predictions
from distillbench.recipe import format_recipe, resolve
from distillbench.registry import TASKS
from distillbench.validate import validate_suite
from distillbench.worker import run_job
from tests.conftest import smoke_job

CARD = "speech-pocketsphinx"
pytest.importorskip("pocketsphinx")


# ---------------------------------------------------------------------------------------------- language model


def test_bigram_absolute_discounting_golden_values() -> None:
    lm = BigramLM.from_sentences(["a b", "a c", "b c"])
    # bigram types seen once: (a b) (b </s>) (a c) (<s> b) (b c); twice: (<s> a) (c </s>) -> D = 5 / (5 + 2 * 2)
    assert lm.discount == pytest.approx(5 / 9)
    assert lm.unigram_prob("</s>") == pytest.approx(3 / 9)  # 9 predicted tokens, 3 of them </s>
    assert lm.bigram_prob("a", "b") == pytest.approx((1 - 5 / 9) / 2)
    assert lm.backoff_weight("a") == pytest.approx((5 / 9) / (1 - 4 / 9))
    assert lm.bigram_prob("a", "</s>") == pytest.approx(1 / 3)  # unseen after 'a': backed off to P(</s>)
    for context in ("<s>", "a", "b", "c"):  # a proper distribution over every predicted token
        assert sum(lm.bigram_prob(context, w) for w in ["a", "b", "c", "</s>"]) == pytest.approx(1.0)


def test_arpa_text_has_the_counts_and_log_probabilities_pocketsphinx_reads() -> None:
    arpa = BigramLM.from_sentences(["a b", "a c", "b c"]).to_arpa()
    assert "ngram 1=5" in arpa and "ngram 2=7" in arpa and arpa.rstrip().endswith("\\end\\")
    assert "-99.000000 <s>" in arpa
    assert "-0.477121 a </s>" not in arpa  # backed-off bigrams are not listed
    assert "-0.653213 a b" in arpa  # log10(2/9)


def test_empty_corpus_is_an_error() -> None:
    with pytest.raises(ValueError, match="at least one"):
        BigramLM.from_sentences(["", "  "])


# ---------------------------------------------------------------------------------------------- the teacher


@pytest.fixture(scope="module")
def smoke() -> tuple:
    card = load_card(CARD)
    adapter = TASKS.get(card.task)(card)
    return card, adapter, adapter.load_data(smoke=True)


def test_language_model_is_built_from_the_training_transcripts_only(smoke, monkeypatch) -> None:
    card, adapter, data = smoke
    seen: list[list[str]] = []
    real = BigramLM.from_sentences.__func__

    def spy(cls, sentences):
        seen.append(list(sentences))
        return real(cls, seen[-1])

    monkeypatch.setattr(arpa_bigram.BigramLM, "from_sentences", classmethod(spy))
    adapter.build_model(card.teacher.model, data)
    train, held_out = list(data.train["text"]), [*data.val["text"], *data.test["text"]]
    assert seen == [train]  # every training phrase, in order, and nothing else
    only_held_out = set(held_out) - set(train)
    assert only_held_out and not only_held_out & set(seen[0])  # no val/test transcript is a sentence source


def test_decoding_real_utterances_gives_transcripts(smoke) -> None:
    card, adapter, data = smoke
    teacher = adapter.build_model(card.teacher.model, data)
    assert teacher.blackbox and teacher.info["lm_sentences"] == len(data.train)
    assert teacher.info["lm"] == "train_bigram" and "Ney" in teacher.info["lm_smoothing"]
    clips = data.test.with_format("numpy")["audio"][:2]
    hyps = [teacher.transcribe(c) for c in clips]
    assert all(h.strip() for h in hyps)
    words = set(" ".join(data.train["text"]).split())
    assert set(" ".join(hyps).split()) <= words  # it can only say training words


def test_missing_pocketsphinx_is_a_clear_error_naming_the_package(smoke, monkeypatch) -> None:
    card, adapter, data = smoke
    monkeypatch.setitem(sys.modules, "pocketsphinx", None)  # import pocketsphinx -> ImportError
    with pytest.raises(MissingDependencyError, match="'pocketsphinx' package"):
        adapter.build_model(card.teacher.model, data)


def test_spec_options_are_checked(smoke) -> None:
    _, adapter, data = smoke
    with pytest.raises(ConfigError, match="lm must be one of"):
        adapter.build_model("pocketsphinx:en-us(lm='test_text')", data)
    with pytest.raises(ConfigError, match="unknown option"):
        adapter.build_model("pocketsphinx:en-us(lm='train_bigram', grammar=1)", data)


# ---------------------------------------------------------------------------------------------- methods and cards


def test_card_is_recognised_as_black_box_and_shares_speech_data_and_students() -> None:
    card, speech = load_card(CARD), load_card("speech")
    assert is_blackbox(card.teacher.model) and not is_blackbox(speech.teacher.model)
    assert card.data == speech.data and card.students == speech.students
    check_blackbox_card(card)  # no_kd and pseudo_label only: valid
    shown = format_recipe(resolve(card))  # `distillbench show`: no training settings for a teacher never trained
    assert "teacher pocketsphinx-en-us: pocketsphinx:en-us(lm='train_bigram')\n  black-box: not trained" in shown


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kd": {}}, "method 'kd' reads the teacher's logits"),
        ({"fitnet": {"feature": "hidden"}}, "method 'fitnet' reads the teacher's logits"),
        ({"pseudo_label": {"kd_weight": 0.5}}, "needs kd_weight: 0"),
        ({"pseudo_label": {"ce_weight": 1.0}}, "ce_weight: 0"),
    ],
)
def test_methods_that_need_logits_or_features_are_rejected(change, message) -> None:
    card = dataclasses.replace(load_card(CARD), methods={"no_kd": {}, **change})
    with pytest.raises(ConfigError, match=message):
        check_blackbox_card(card)


def test_a_student_cannot_start_from_a_black_box_teachers_weights() -> None:
    card = load_card(CARD)
    card = dataclasses.replace(card, students=[dataclasses.replace(card.students[0], init="teacher")])
    with pytest.raises(ConfigError, match="init: teacher"):
        check_blackbox_card(card)


def test_validate_rejects_kd_with_a_black_box_teacher(tmp_path: Path) -> None:
    card = Path(load_card(CARD).path)
    (tmp_path / "bad.yaml").write_text(f"include: {card}\nname: bad\nmethods:\n  kd: {{temperature: 1.0}}\n")
    (tmp_path / "suite.yaml").write_text(f"name: s\ntasks:\n  - card: {tmp_path / 'bad.yaml'}\nseeds: [0]\n")
    with pytest.raises(ConfigError, match="black-box teacher: it returns transcripts only"):
        validate_suite(str(tmp_path / "suite.yaml"))
    assert validate_suite(CARD)[-1].endswith("job(s)")


def test_pseudo_labels_are_the_teachers_transcripts_decoded_once(smoke, tmp_path: Path) -> None:
    card, adapter, data = smoke
    method = build_method("pseudo_label", card.methods["pseudo_label"])
    new, student_method, info = pseudo_label_data(str(tmp_path), card, adapter, data, method)
    assert not student_method.needs_teacher and student_method.registry_name == "pseudo_label"
    teacher = adapter.build_model(card.teacher.model, data)
    first = data.train.with_format("numpy")["audio"][0]
    assert new.train["text"][0] == normalise(teacher.transcribe(first))
    assert list(new.val["text"]) == list(data.val["text"]) and list(new.test["text"]) == list(data.test["text"])
    assert info["cached"] is False and new.info["teacher_targets"]["fallback_to_ground_truth"] == 0
    _, _, again = pseudo_label_data(str(tmp_path), card, adapter, data, method)
    assert again["cached"] is True and again["cache_path"] == info["cache_path"]
    no_kd = build_method("no_kd")
    assert pseudo_label_data(str(tmp_path), card, adapter, data, no_kd) == (data, no_kd, {})


def test_teacher_record_has_wer_predictions_and_no_training(tmp_path: Path) -> None:
    result = run_job(smoke_job(CARD, "teacher", None, str(tmp_path)))
    assert result.status == "ok" and result.role == "teacher" and result.model_name == "pocketsphinx-en-us"
    # smoke data: a language model of 64 training phrases, so most test words are unknown to it
    assert 0.0 < result.quality["wer"] < 2.0 and result.quality["n_test"] == 16
    assert result.quality["reference"]["empty_transcript"]["wer"] == 1.0
    assert result.training["blackbox"] is True and result.training["epochs_run"] == 0
    rows = read_predictions(result.config["predictions"])
    main = [r for r in rows if r.get("set", "main") == "main"]  # real recordings (pocketsphinx-testdata) come apart
    assert len(main) == 16 and {"id", "reference", "prediction"} <= set(main[0]) and result.size["params"] == 0
