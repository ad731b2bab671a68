"""``distillbench teachers verify`` and ``ls``: are the shipped teachers intact, current and reproducible?

``verify`` checks, per artifact: the manifest reads and names its own folder's card; the weights file's
sha256 is the manifest's; the card's current teacher key is the one the artifact was built from (else
"stale", with what changed); and, when all that holds, the stored weights, loaded as a run loads them,
reproduce the recorded test figures (every metric of the task, within ``tolerance``, 0 by default: the
same weights, data and code give the same figures). ``ls`` lists artifacts without evaluating them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from distillbench.config import load_card
from distillbench.errors import ConfigError
from distillbench.teachers.manifest import (
    MANIFEST_FILE,
    WEIGHTS_FILE,
    card_sections,
    diff_sections,
    read_manifest,
    sha256_file,
    teacher_key,
    teachers_root,
)
from distillbench.teachers.outputs import check_outputs


@dataclass
class Check:
    """One artifact's verdict: ``ok``, ``stale`` (card changed) or ``failed``, with the reasons."""

    name: str
    card: str = ""
    status: str = "ok"
    hash_ok: bool | None = None
    key: str = ""
    size_bytes: int = 0
    metric: str = ""
    recorded: float | None = None
    measured: float | None = None
    notes: list[str] = field(default_factory=list)
    manifest: dict[str, Any] = field(default_factory=dict, repr=False)

    def fail(self, note: str) -> None:
        self.status = "failed"
        self.notes.append(note)


def artifact_folders(root: Path | None = None, names: list[str] | None = None) -> list[Path]:
    """The artifact folders under ``root`` (all, or those of ``names``; an unknown name is a ConfigError)."""
    root = root or teachers_root()
    if names:
        missing = [n for n in names if not (root / n / MANIFEST_FILE).is_file()]
        if missing:
            raise ConfigError(f"no teacher artifact for {', '.join(missing)} under {root}")
        return [root / n for n in names]
    if not root.is_dir():
        return []
    return sorted(
        p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".") and (p / MANIFEST_FILE).exists()
    )


def inspect(folder: Path) -> Check:
    """Everything short of evaluating: manifest, card, sha256, teacher key."""
    check = Check(name=folder.name)
    try:
        check.manifest = read_manifest(folder)
    except ConfigError as exc:
        check.fail(str(exc))
        return check
    m = check.manifest
    check.card = str(m.get("card", ""))
    quality = m.get("quality") or {}
    check.metric = str(quality.get("primary_metric", ""))
    check.recorded = (quality.get("test") or {}).get(check.metric)
    weights = folder / WEIGHTS_FILE
    if not weights.is_file():
        check.fail(f"{WEIGHTS_FILE} is missing")
    else:
        check.size_bytes = weights.stat().st_size
        check.hash_ok = sha256_file(weights) == (m.get("weights") or {}).get("sha256")
        if not check.hash_ok:
            check.fail(f"{WEIGHTS_FILE}'s sha256 is not the manifest's")
        try:
            for problem in check_outputs(folder, str((m.get("weights") or {}).get("sha256"))):
                check.fail(problem)
        except ConfigError as exc:
            check.fail(str(exc))
    if check.card != folder.name:
        check.fail(f"the manifest is for card {check.card!r}, not {folder.name!r}")
        return check
    try:
        card = load_card(check.card)
    except ConfigError as exc:
        check.fail(f"card: {exc}")
        return check
    current = teacher_key(card)
    if current == m.get("teacher_key"):
        check.key = "match"
    else:
        check.key = "stale"
        if check.status == "ok":
            check.status = "stale"
        changes = diff_sections(m.get("card_sections") or {}, card_sections(card))
        check.notes.append(f"card changed since the build: {'; '.join(changes) or '(unknown)'}; rebuild it")
    return check


def verify(
    root: Path | None = None, names: list[str] | None = None, tolerance: float = 0.0, device: str = "cpu"
) -> list[Check]:
    """:func:`inspect` every artifact and re-evaluate the intact, current ones on their test split."""
    from distillbench.teachers.build import evaluate_artifact

    checks = []
    for folder in artifact_folders(root, names):
        check = inspect(folder)
        if check.status == "ok":
            try:
                scores = evaluate_artifact(load_card(check.card), folder, check.manifest, device)
            except ConfigError as exc:
                check.fail(str(exc))
            else:
                recorded = check.manifest["quality"]["test"]
                check.measured = scores["test"].get(check.metric)
                for name, value in recorded.items():
                    now = scores["test"].get(name)
                    if now is None or not math.isclose(now, value, rel_tol=0.0, abs_tol=tolerance):
                        check.fail(f"test {name}: recorded {value}, measured now {now}")
        checks.append(check)
    return checks


def render(checks: list[Check], evaluated: bool = True) -> list[list[str]]:
    """Table rows (header first) for the CLI."""
    head = ["artifact", "card", "sha256", "teacher key", "size", "metric", "test (recorded)"]
    head += ["test (measured now)", "verdict"] if evaluated else ["built with code"]
    rows = [head]
    for c in checks:
        row = [
            c.name,
            c.card or "?",
            {True: "ok", False: "MISMATCH", None: "-"}[c.hash_ok],
            c.key or "-",
            f"{c.size_bytes / 2**20:.2f} MiB" if c.size_bytes else "-",
            c.metric or "-",
            _num(c.recorded),
        ]
        if evaluated:
            row += [_num(c.measured), c.status + (": " + " | ".join(c.notes) if c.notes else "")]
        else:
            row += [str((c.manifest.get("build") or {}).get("code_fingerprint", "-"))]
            row[-2] += "" if c.status == "ok" else f" ({c.status}: {' | '.join(c.notes)})"
        rows.append(row)
    return rows


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.6g}"
