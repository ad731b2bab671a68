"""Teacher outputs shipped beside a teacher artifact (``teachers/<card>/outputs/``), so a first run skips them.

A shipped teacher's outputs on the training split are a function of its weights and the data, like the weights
themselves: the cached logits of ``kd`` (teacher_outputs.py) and the beam-search targets of sequence-level KD
(the translation adapter's ``teacher_targets``). ``distillbench teachers ship-outputs CARD --from-cache DIR`` copies
the ones a real run left in its cache into the artifact's ``outputs/`` folder, with an index (``outputs.json``)
of each file's sha256, size and the teacher it came from; only outputs of this very artifact (its weights'
sha256 is in each file's cache key or name) and below a size limit are shipped.

When a job misses such a file in its cache, :func:`fetch` copies the shipped one in (checked against the index)
instead of building it; the job's record says so. The cache key is the file name, so a shipped file is used
only by a job that would have built the same file: a changed card, data version, top-k or precision builds anew.
``teachers verify`` checks the index (:func:`check_outputs`).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path
from typing import Any

from distillbench.config import TaskCard
from distillbench.errors import ConfigError
from distillbench.teachers.manifest import read_manifest, sha256_file, shown, teachers_root

log = logging.getLogger(__name__)

OUTPUTS_DIR = "outputs"
INDEX_FILE = "outputs.json"
#: the largest file shipped by default: the artifacts stay under 64 MB together
MAX_BYTES = 4 * 1024 * 1024


def shipped_outputs_dir(card: TaskCard, teacher_training: dict[str, Any]) -> Path | None:
    """The ``outputs/`` folder of the artifact the job's teacher was loaded from (None: not a shipped teacher).

    Loading the teacher already checked the artifact (card, key, sha256), so its folder is the card's under the
    teachers root; each shipped file is checked against the index when it is used (:func:`fetch`).
    """
    from distillbench.teachers.manifest import SHIPPED

    if teacher_training.get("source") != SHIPPED:
        return None
    folder = teachers_root() / card.name / OUTPUTS_DIR
    return folder if (folder / INDEX_FILE).is_file() else None


def read_index(folder: Path) -> dict[str, dict[str, Any]]:
    """``{file name: {sha256, bytes, what, teacher_sha256}}`` of an ``outputs/`` folder ({} when none)."""
    path = folder / INDEX_FILE
    if not path.is_file():
        return {}
    try:
        return dict(json.loads(path.read_text())["files"])
    except (OSError, ValueError, KeyError) as exc:
        raise ConfigError(f"{shown(path)}: unreadable index of shipped teacher outputs ({exc})") from None


def fetch(target: Path, shipped: Path | None, companions: tuple[str, ...] = ()) -> bool:
    """Copy ``shipped/<target's name>`` (and its ``companions`` suffixes, e.g. the ``.json`` beside a tensors
    file) to ``target`` when the index vouches for it; False (build it) when none is shipped or it fails its hash."""
    if shipped is None:
        return False
    index = read_index(shipped)
    names = [target.name, *(target.with_suffix(s).name for s in companions)]
    if any(n not in index or not (shipped / n).is_file() for n in names):
        return False
    for name in names:
        actual = sha256_file(shipped / name)
        if actual != index[name]["sha256"]:
            log.warning("%s: sha256 %s... is not the index's; building the outputs instead", shown(shipped / name),
                        actual[:12])  # fmt: skip
            return False
    target.parent.mkdir(parents=True, exist_ok=True)
    for name in reversed(names):  # the tensors file last: a reader that sees it finds its manifest beside it
        tmp = target.parent / f"{name}.tmp{os.getpid()}"
        shutil.copyfile(shipped / name, tmp)
        os.replace(tmp, target.parent / name)
    log.info("teacher outputs %s: copied from the shipped artifact (%s)", target.name, shown(shipped))
    return True


def candidates(cache_dir: Path, card: str, sha256: str) -> dict[Path, str]:
    """The files in a cache that hold this artifact's outputs: ``{path: what}`` (companion files included)."""
    found: dict[Path, str] = {}
    for tensors in sorted((cache_dir / "teacher_outputs").glob(f"{card}-*.safetensors")):
        sidecar = tensors.with_suffix(".json")
        try:
            key = json.loads(sidecar.read_text())["key"]
        except (OSError, ValueError, KeyError):
            continue
        if key.get("teacher") == f"sha256:{sha256}" and not key.get("data", {}).get("smoke"):
            found[tensors] = "teacher outputs (teacher_outputs.py)"
            found[sidecar] = "their key and sha256"
    for targets in sorted((cache_dir / "teachers").glob(f"{card}-shipped-{sha256[:16]}.pt.seqkd-*.json")):
        found[targets] = "sequence-level KD targets (beam search)"
    return found


def ship(card: str, cache_dir: Path, *, max_bytes: int = MAX_BYTES, root: Path | None = None) -> list[str]:
    """Copy this card's artifact's outputs from ``cache_dir`` into its ``outputs/`` folder; the lines to print."""
    folder = (root or teachers_root()) / card
    manifest = read_manifest(folder)
    sha = manifest["weights"]["sha256"]
    out = folder / OUTPUTS_DIR
    index = read_index(out)
    lines = []
    for path, what in candidates(cache_dir, card, sha).items():
        size = path.stat().st_size
        tensors = path.with_suffix(".safetensors")
        main = tensors if tensors.is_file() else path  # a sidecar goes (or stays) with its tensors file
        if main.stat().st_size > max_bytes:
            if main == path:
                lines.append(f"  skipped {path.name}: {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.1f} MB limit")
            continue
        out.mkdir(exist_ok=True)
        shutil.copyfile(path, out / path.name)
        index[path.name] = {"sha256": sha256_file(path), "bytes": size, "what": what, "teacher_sha256": sha}
        lines.append(f"  shipped {path.name} ({size / 1e3:.0f} kB): {what}")
    if not lines:
        raise ConfigError(f"{shown(cache_dir)} holds no outputs of the teacher {card} (sha256 {sha[:12]}...)")
    if index:
        (out / INDEX_FILE).write_text(json.dumps({"format": 1, "files": index}, indent=1, sort_keys=True) + "\n")
    return lines


def check_outputs(folder: Path, sha256: str) -> list[str]:
    """What is wrong with an artifact's shipped outputs: a missing file, a hash mismatch, another teacher's."""
    out = folder / OUTPUTS_DIR
    problems = []
    for name, entry in read_index(out).items():
        path = out / name
        if not path.is_file():
            problems.append(f"{OUTPUTS_DIR}/{name} is listed but missing")
        elif sha256_file(path) != entry.get("sha256"):
            problems.append(f"{OUTPUTS_DIR}/{name} does not match its sha256 in {INDEX_FILE}")
        elif entry.get("teacher_sha256") != sha256:
            problems.append(
                f"{OUTPUTS_DIR}/{name} was made by another teacher ({str(entry.get('teacher_sha256'))[:12]}...)"
            )
    return problems
