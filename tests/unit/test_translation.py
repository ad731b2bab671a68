"""The translation task: embedded Bible data and its book split, local TSV/JSONL/parallel pairs and bad input,
the locally trained tokeniser, truncation counts, sacreBLEU equal to its command line, the seq-KD losses
(golden values), teacher outputs generated once and cached, and a pretrained ``hf:`` model from a local folder."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from distillbench.adapters.base import ModelOutput
from distillbench.adapters.translation_metrics import score
from distillbench.config import load_card
from distillbench.data.base import build_source
from distillbench.data.embedded_bible import read_verses
from distillbench.errors import ConfigError, DataError, DistillbenchError
from distillbench.methods.base import build_method
from distillbench.registry import TASKS
from distillbench.worker import run_job
from tests.conftest import smoke_job

TINY = "marian:random(d_model=16, encoder_layers=1, decoder_layers=1, heads=2, ffn=32)"
PAIRS = [
    ("the house is red", "la casa es roja"),
    ("the dog is big", "el perro es grande"),
    ("the cat is small", "el gato es pequeño"),
    ("god created the earth", "dios creó la tierra"),
    ("the man said yes", "el hombre dijo sí"),
    ("and the woman said no", "y la mujer dijo no"),
] * 4

# --------------------------------------------------------------------------- embedded data


def test_embedded_bible_splits_by_book_and_counts_the_filter(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("DISTILLBENCH_CACHE", str(tmp_path))
    data = build_source("embedded_bible", {"max_words": 24, "max_train_samples": 500}).load()
    f = data.info["filtered"]
    assert f["test"]["before"] == 678  # the Gospel of Mark, every verse
    assert f["val"]["before"] == 85 + 104  # Ruth + Philippians
    for split in ("train", "val", "test"):
        assert (
            f[split]["before"] == f[split]["too_long"] + f[split]["length_ratio"] + f[split]["kept"] or split == "train"
        )
    assert data.sizes() == {"train": 500, "val": f["val"]["kept"], "test": f["test"]["kept"]}
    assert f["train"]["before"] == 31102 - 678 - 189
    assert all(len(s.split()) <= 24 for s in data.test["source"])
    assert not set(data.train["source"]) & set(data.test["source"]) - {"Amen."}
    assert "Jesus" in " ".join(data.test["source"]) and "Jesús" in " ".join(data.test["target"])
    assert Path(data.info["cache_file"]).is_file()
    again = build_source("embedded_bible", {"max_words": 24, "max_train_samples": 500}).load()
    assert list(again.train["target"]) == list(data.train["target"])
    fr = build_source("embedded_bible", {"pair": "en-fr", "max_train_samples": 10}).load(max_samples=5)
    assert fr.info["versions"] == ["web", "lsg"] and fr.sizes() == {"train": 5, "val": 5, "test": 5}


def test_unknown_language_pair_or_version_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match=r"unknown language pair 'en-xx'.*en, es, fr"):
        build_source("embedded_bible", {"pair": "en-xx"})
    with pytest.raises(ConfigError, match=r"unknown Bible version 'niv'.*web"):
        build_source("embedded_bible", {"target_version": "niv"})
    with pytest.raises(ConfigError, match="distinct book numbers"):
        build_source("embedded_bible", {"test_books": [41], "val_books": [41]})


def test_bible_verses_are_normalised() -> None:
    from distillbench.data.embedded_bible import db_path

    verses = read_verses(db_path(), "web", "rv1909")
    assert len(verses) == 31102 and not any("`" in s or "[" in s for _, s, _ in verses)


# --------------------------------------------------------------------------- local pairs and bad input


def _tsv(path: Path, pairs: list[tuple[str, str]]) -> str:
    path.write_text("".join(f"{s}\t{t}\n" for s, t in pairs), encoding="utf-8")
    return str(path)


def test_local_tsv_jsonl_and_parallel_files_load(tmp_path) -> None:
    tsv = build_source(
        "hf_translation",
        {
            "name": "tsv",
            "data_files": {"train": _tsv(tmp_path / "a.tsv", PAIRS), "test": _tsv(tmp_path / "b.tsv", PAIRS[:3])},
        },
    ).load()
    assert tsv.sizes() == {"train": 23, "val": 1, "test": 3} and tsv.test["target"][0] == "la casa es roja"
    jl = tmp_path / "a.jsonl"
    jl.write_text("".join(json.dumps({"translation": {"en": s, "es": t}}) + "\n" for s, t in PAIRS))
    d = build_source(
        "hf_translation",
        {"name": "jsonl", "data_files": {"train": str(jl), "test": str(jl)}, "source_lang": "en", "target_lang": "es"},
    ).load()
    assert d.test["source"][1] == "the dog is big"
    (tmp_path / "s.txt").write_text("\n".join(s for s, _ in PAIRS) + "\n")
    (tmp_path / "t.txt").write_text("\n".join(t for _, t in PAIRS) + "\n")
    files = {"source": str(tmp_path / "s.txt"), "target": str(tmp_path / "t.txt")}
    p = build_source("hf_translation", {"name": "parallel", "data_files": {"train": files, "test": files}}).load()
    assert p.sizes()["test"] == len(PAIRS)


def test_bad_translation_input_is_a_clear_error(tmp_path) -> None:
    def load(name: str, train: object, **kw: object) -> object:
        return build_source(
            "hf_translation", {"name": name, "data_files": {"train": train, "test": train}, **kw}
        ).load()

    (tmp_path / "empty.tsv").write_text("")
    with pytest.raises(DataError, match="is empty"):
        load("tsv", str(tmp_path / "empty.tsv"))
    (tmp_path / "bad.tsv").write_text("a\tb\nno tab here\n")
    with pytest.raises(DataError, match="line 2: expected 'source<TAB>target'"):
        load("tsv", str(tmp_path / "bad.tsv"))
    (tmp_path / "side.tsv").write_text("a\tb\nc\t  \n")
    with pytest.raises(DataError, match="row 1 has an empty or missing target"):
        load("tsv", str(tmp_path / "side.tsv"))
    (tmp_path / "s.txt").write_text("one\ntwo\nthree\n")
    (tmp_path / "t.txt").write_text("uno\ndos\n")
    with pytest.raises(DataError, match=r"s.txt has 3 lines but .*t.txt has 2"):
        load("parallel", {"source": str(tmp_path / "s.txt"), "target": str(tmp_path / "t.txt")})
    (tmp_path / "latin1.tsv").write_bytes("año\tyear\n".encode("latin-1"))
    with pytest.raises(DataError, match="not valid UTF-8"):
        load("tsv", str(tmp_path / "latin1.tsv"))
    jl = tmp_path / "a.jsonl"
    jl.write_text(json.dumps({"translation": {"en": "a", "es": "b"}}) + "\n")
    with pytest.raises(DataError, match="unknown language 'de'"):
        load("jsonl", str(jl), source_lang="de", target_lang="es")
    with pytest.raises(DataError, match="offline mode is on"):
        build_source("hf_translation", {"name": "wmt/wmt16", "config": "de-en"}).load()


# --------------------------------------------------------------------------- tokeniser, truncation, metrics


def _card(tmp_path: Path, teacher: str = TINY, max_length: int = 64, pairs: list | None = None) -> str:
    train = _tsv(tmp_path / "train.tsv", pairs or PAIRS)
    test = _tsv(tmp_path / "test.tsv", PAIRS[:6])
    card = {
        "name": "tiny-translation",
        "task": "translation",
        "data": {
            "source": "hf_translation",
            "options": {
                "name": "tsv",
                "data_files": {"train": train, "test": test},
                "max_length": max_length,
                "vocab_size": 120,
            },
        },
        "teacher": {"name": "t", "model": teacher},
        "students": [{"name": "s", "model": TINY}],
        "teacher_train": {"epochs": 1, "batch_size": 8, "optimizer": "adamw", "lr": 1e-3},
        "student_train": {"epochs": 1, "batch_size": 8, "optimizer": "adamw", "lr": 1e-3},
        "methods": {"no_kd": {}, "seq_kd": {}, "seq_kd_word": {"temperature": 2.0, "alpha": 0.5}},
    }
    path = tmp_path / "tiny-translation.yaml"
    path.write_text(json.dumps(card))
    return str(path)


def test_tokeniser_is_trained_cached_and_round_trips(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("DISTILLBENCH_CACHE", str(tmp_path / "cache"))
    adapter = TASKS.get("translation")(load_card(_card(tmp_path)))
    data = adapter.load_data()
    tok = data.info["tokenizer"]
    assert tok["vocab_size"] <= 120 and Path(tok["path"]).is_file() and tok["sha256"]
    assert adapter.tokenizer.decode(adapter.tokenizer.encode(["dios creó la tierra"])) == ["dios creó la tierra"]
    again = TASKS.get("translation")(load_card(_card(tmp_path))).load_data()
    assert again.info["tokenizer"] == tok  # loaded from the cache, not retrained
    batch = next(adapter.batches(data.train, 4))
    out = adapter.forward(adapter.build_model(TINY, data), batch)
    assert out.logits.shape[:2] == batch["labels"].shape and out.mask.sum() == batch["label_mask"].sum()
    assert torch.equal(batch["decoder_input_ids"][:, 1:], batch["labels"][:, :-1])


def test_over_long_sentences_are_truncated_and_counted(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("DISTILLBENCH_CACHE", str(tmp_path / "cache"))
    long = [(" ".join(["the house is red"] * 8), " ".join(["la casa es roja"] * 8))]
    adapter = TASKS.get("translation")(load_card(_card(tmp_path, max_length=8, pairs=PAIRS + long)))
    data = adapter.load_data()
    assert data.info["truncated"]["train"]["source"] >= 1 and data.info["truncated"]["train"]["of"] == len(data.train)
    assert max(len(s) for s in adapter._ids[id(data.train)][0]) == 8
    assert len(data.test) == 6  # no row dropped; test references are scored untruncated


def test_bleu_equals_the_sacrebleu_command_line(tmp_path) -> None:
    import sqlite3

    from distillbench.data.embedded_bible import db_path

    # a real, non-trivial "system output": Reina-Valera 1989 against the Reina-Valera 1909 reference
    refs = [v[2] for v in read_verses(db_path(), "web", "rv1909")[:300]]
    con = sqlite3.connect(f"file:{db_path()}?mode=ro", uri=True)
    query = "SELECT vText FROM bible WHERE bbName = '9' ORDER BY bNumber, cNumber, vNumber LIMIT 300"
    hyps = [" ".join(r[0].split()) for r in con.execute(query)]
    con.close()
    (tmp_path / "ref.txt").write_text("\n".join(refs) + "\n", encoding="utf-8")
    (tmp_path / "hyp.txt").write_text("\n".join(hyps) + "\n", encoding="utf-8")
    ours = score(hyps, refs, n_bootstrap=100)
    cli = Path(sys.executable).with_name("sacrebleu")
    printed = subprocess.run(
        [str(cli), str(tmp_path / "ref.txt"), "-i", str(tmp_path / "hyp.txt"), "-m", "bleu", "-b"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert 20 < ours["bleu"] < 90 and f"{ours['bleu']:.1f}" == printed.strip()

    def cli_score(metric: str) -> float:
        args = [str(cli), str(tmp_path / "ref.txt"), "-i", str(tmp_path / "hyp.txt"), "-m", metric, "-b", "-w", "4"]
        return float(subprocess.run(args, capture_output=True, text=True, check=True).stdout)

    assert cli_score("bleu") == pytest.approx(ours["bleu"], abs=1e-4)
    assert cli_score("chrf") == pytest.approx(ours["chrf"], abs=1e-4)
    assert ours["bleu_signature"].startswith("nrefs:1|bs:100|") and "tok:13a" in ours["bleu_signature"]
    assert ours["bleu_ci95"][0] < ours["bleu"] < ours["bleu_ci95"][1]


def test_bootstrap_fallback_matches_sacrebleu_and_is_used_when_it_fails(monkeypatch) -> None:
    """sacrebleu's bootstrap can raise TypeError (float vs numpy.float32 in statistics.mean) on weak outputs."""
    from sacrebleu.metrics import BLEU

    from distillbench.adapters import translation_metrics
    from distillbench.data.embedded_bible import db_path

    refs = [v[2] for v in read_verses(db_path(), "web", "rv1909")[:80]]
    hyps = [" ".join(r.split()[: max(1, len(r.split()) // 2)]) for r in refs]
    public = BLEU().corpus_score(hyps, [refs], n_bootstrap=200)
    result, ci = translation_metrics.bootstrap_ci(BLEU(), hyps, refs, 200)
    assert result.score == pytest.approx(public.score) and ci == pytest.approx(public._ci) and ci > 0

    def broken(self, *args, **kwargs):
        raise TypeError("don't know how to coerce float and float32")

    monkeypatch.setattr(BLEU, "corpus_score", broken)
    out = score(hyps, refs, n_bootstrap=200)
    assert out["bleu"] == pytest.approx(public.score) and out["bleu_ci95"][1] - out["bleu"] == pytest.approx(ci)


# --------------------------------------------------------------------------- losses (golden values)


def test_seq_kd_losses_golden_values() -> None:
    # teacher [ln 3, 0] -> p = (0.75, 0.25); student uniform: KL = 0.75 ln 1.5 + 0.25 ln 0.5 = 0.1308120
    t = torch.tensor([[[math.log(3.0), 0.0], [5.0, -5.0]]])
    s = torch.tensor([[[0.0, 0.0], [0.0, 9.0]]])
    mask = torch.tensor([[True, False]])  # the second position is padding and must not count
    student = ModelOutput(logits=s, loss=torch.tensor(2.0), mask=mask)
    teacher = ModelOutput(logits=t, mask=mask)
    seq = build_method("seq_kd").loss(student, None, {})
    assert seq["loss"].item() == pytest.approx(2.0)
    both = build_method("seq_kd_word", {"temperature": 1.0, "alpha": 0.5}).loss(student, teacher, {})
    assert both["kd"].item() == pytest.approx(0.1308120, abs=1e-6)
    assert both["loss"].item() == pytest.approx(1.0654060, abs=1e-6)
    assert build_method("seq_kd").teacher_targets and not build_method("seq_kd").needs_teacher


# --------------------------------------------------------------------------- jobs: seq-KD cache, hf: folder


def test_teacher_beam_outputs_are_generated_once_and_cached(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("DISTILLBENCH_CACHE", str(tmp_path / "cache"))
    card = _card(tmp_path)
    first = run_job(smoke_job(card, "student", "seq_kd", str(tmp_path / "cache")))
    second = run_job(smoke_job(card, "student", "seq_kd_word", str(tmp_path / "cache")))
    a, b = first.config["data"]["teacher_targets"], second.config["data"]["teacher_targets"]
    assert a["cached"] is False and b["cached"] is True and a["path"] == b["path"] and Path(a["path"]).is_file()
    assert a["decoding"]["num_beams"] == 4 and first.quality["decoding"]["num_beams"] == 4
    assert "bleu_signature" in first.quality and not first.speed  # speed: the card's speed job
    count = first.quality["output_count"]
    assert count["unit"] == "tokens" and count["total"] == count["per_sample"] * first.quality["n_test"] > 0


def test_pretrained_hf_model_from_a_local_folder(tmp_path, monkeypatch) -> None:
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import MarianConfig, MarianMTModel, PreTrainedTokenizerFast

    monkeypatch.setenv("DISTILLBENCH_CACHE", str(tmp_path / "cache"))
    words = sorted({w for s, t in PAIRS for w in f"{s} {t}".split()})
    vocab = {w: i for i, w in enumerate(["<pad>", "</s>", "<unk>", *words])}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", 1)])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="</s>", unk_token="<unk>")
    config = MarianConfig(
        vocab_size=len(vocab),
        decoder_vocab_size=len(vocab),
        d_model=16,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=32,
        decoder_ffn_dim=32,
        pad_token_id=0,
        eos_token_id=1,
        decoder_start_token_id=0,
        max_position_embeddings=64,
    )
    folder = tmp_path / "tiny-marian"
    MarianMTModel(config).save_pretrained(folder)
    fast.save_pretrained(folder)
    card = _card(tmp_path, teacher=f"hf:{folder}")
    result = run_job(smoke_job(card, "student", "seq_kd_word", str(tmp_path / "cache")))
    assert result.status == "ok" and result.config["data"]["tokenizer"]["kind"] == "pretrained"
    assert result.config["data"]["tokenizer"]["vocab_size"] == len(vocab)
    with pytest.raises(DistillbenchError, match="could not load model"):
        TASKS.get("translation")(load_card(_card(tmp_path, teacher=f"hf:{tmp_path / 'missing'}"))).load_data()


# --------------------------------------------------------------------------- the command line, end to end


def test_cli_runs_a_translation_suite_end_to_end(tmp_path) -> None:
    """``distillbench run`` in a real subprocess (each job in its own process), then ``validate`` on bad input."""
    import os

    card = _card(tmp_path)
    suite = tmp_path / "tiny-suite.yaml"
    suite.write_text(
        json.dumps({"name": "tiny", "tasks": [{"card": card, "methods": ["no_kd", "seq_kd_word"]}], "seeds": [0]})
    )
    env = {**os.environ, "DISTILLBENCH_CACHE": str(tmp_path / "cache")}
    cmd = [sys.executable, "-m", "distillbench.cli"]
    proc = subprocess.run(
        [*cmd, "run", str(suite), "--smoke", "--out", str(tmp_path / "runs"), "--format", "md"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert (
        "4 job(s) run, 0 already recorded, 0 failed" in proc.stderr and "| s | student | seq_kd_word |" in proc.stdout
    )
    records = [json.loads(x) for x in (tmp_path / "runs" / "tiny-smoke" / "results.jsonl").read_text().splitlines()]
    trained = [r for r in records if r["role"] != "speed"]
    assert {r["quality"]["bleu_signature"].split("|")[0] for r in trained} == {"nrefs:1"}
    speed = next(r for r in records if r["role"] == "speed")["speed"]["models"]
    assert sorted(speed) == ["s", "t"] and all(m["beam"]["tokens_per_s"] > 0 for m in speed.values())
    assert all(m["throughput_unit"] == "sentences/s" and m["tokens_per_s"] > 0 for m in speed.values())
    bad = json.loads(Path(card).read_text())
    bad["data"] = {"source": "embedded_bible", "options": {"pair": "en-xx"}}
    Path(card).write_text(json.dumps(bad))
    from tests.integration.test_cli import invoke

    proc = invoke("validate", str(suite))  # in this process: it starts no job
    assert proc.returncode == 2 and "unknown language pair 'en-xx'" in proc.stderr and "Traceback" not in proc.stderr


def test_teacher_targets_are_cached_beside_a_teacher_whose_cache_folder_does_not_exist_yet(
    tmp_path, monkeypatch
) -> None:
    # a shipped teacher's cache_path names <cache>/teachers/..., a folder nothing has created in a fresh cache
    monkeypatch.setenv("DISTILLBENCH_CACHE", str(tmp_path / "cache"))
    adapter = TASKS.get("translation")(load_card(_card(tmp_path)))
    data = adapter.load_data()
    teacher = adapter.build_model(TINY, data)
    out = adapter.teacher_targets(teacher, data, str(tmp_path / "fresh" / "teachers" / "t.pt"), torch.device("cpu"))
    assert Path(out.info["teacher_targets"]["path"]).is_file()
