"""Cache paths: one maker at a time for a cached file (paths.locked)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from distillbench.paths import locked


def test_a_second_maker_waits_for_the_first_then_finds_the_file(tmp_path: Path) -> None:
    target = tmp_path / "data" / "made.json"
    made: list[str] = []
    inside: list[int] = []

    def make(name: str) -> None:
        with locked(target):
            inside.append(1)
            assert len(inside) == 1, "two makers at once"
            if not target.exists():
                time.sleep(0.2)
                target.write_text(name)
                made.append(name)
            inside.pop()

    threads = [threading.Thread(target=make, args=(f"maker {i}",)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(made) == 1 and target.read_text() == made[0]  # made once; the others waited and read it
