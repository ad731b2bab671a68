"""The speech task through the command line, end to end in subprocesses: synthesis, teacher, students, leaderboard."""

from __future__ import annotations

import json
from pathlib import Path

from tests.integration.test_cli import cli


def test_speech_suite_runs_from_the_command_line(tmp_path: Path) -> None:
    suite = tmp_path / "speech-tiny.yaml"
    suite.write_text(
        "name: speech-tiny\n"
        "tasks:\n  - {card: speech, students: [conformer-w64], methods: [no_kd, pseudo_label]}\n"
        "seeds: [0]\ndevice: cpu\n"
    )
    proc = cli("run", str(suite), "--smoke", "--out", str(tmp_path / "runs"))
    assert proc.returncode == 0, proc.stderr
    assert "## speech" in proc.stdout and "wer (%) ↓" in proc.stdout
    lines = (tmp_path / "runs" / "speech-tiny-smoke" / "results.jsonl").read_text().splitlines()
    records = [json.loads(x) for x in lines]
    assert sorted((r["role"], r["method"] or "") for r in records) == [
        ("speed", ""),
        ("student", "no_kd"),
        ("student", "pseudo_label"),
        ("teacher", ""),
    ]
    teacher = next(r for r in records if r["role"] == "teacher")
    speed = next(r for r in records if r["role"] == "speed")["speed"]["models"][teacher["model_name"]]
    assert teacher["quality"]["reference"]["empty_transcript"]["wer"] == 1.0
    assert teacher["quality"]["normaliser"].startswith("NFKD")
    assert speed["throughput_unit"] == "utterances/s" and speed["rtf"] > 0
    assert speed["audio_seconds_per_s"] > 0 and speed["latency_p99_ms"] > 0 and not teacher["speed"]
    assert teacher["config"]["data"]["report"]["test"]["kept"] == 16
    real = teacher["config"]["data"]["extra_test"]
    if real:  # Debian pocketsphinx-testdata installed: scored separately
        assert teacher["quality"]["real_test"]["pocketsphinx"]["n"] == 10
    else:
        assert "pocketsphinx-testdata" in teacher["config"]["data"]["extra_test_missing"]
