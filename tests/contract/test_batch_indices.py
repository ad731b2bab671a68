"""Every shipped card: training batches carry each sample's row index, and the row it names is the row in the batch.

Per-sample look-ups (cached teacher outputs, issue 17; CRD's memory bank, issue 19) key on ``batch["index"]``:
an index that named the wrong row would silently pair a sample with another one's teacher outputs.
"""

from __future__ import annotations

import pytest
import torch

from distillbench.config import list_names, load_card
from distillbench.registry import TASKS
from distillbench.worker import train_config

CARDS = [c for c in list_names("tasks") if not c.startswith("paper-")]


@pytest.mark.parametrize("card_name", CARDS)
def test_training_batches_carry_the_row_index_of_every_sample(card_name: str) -> None:
    card = load_card(card_name)
    adapter = TASKS.get(card.task)(card)
    data = adapter.load_data(smoke=True)
    cfg = train_config(card, card.students[0], card.student_train, smoke=True)
    rows = list(adapter.batches(data.train, 1))  # row i alone, unpadded
    seen: list[int] = []
    for batch in adapter.train_batches(data.train, cfg, seed=3):
        index = batch["index"]
        assert index.dtype == torch.long and index.dim() == 1
        assert all(len(v) == len(index) for v in batch.values())  # one index per sample, like every other key
        for r, i in enumerate(index.tolist()):
            single = rows[i]
            assert single["index"].tolist() == [i]
            for key, value in single.items():  # the batch's row, padding trimmed, is row i
                got = batch[key][r][tuple(slice(0, n) for n in value[0].shape)]
                assert torch.equal(got, value[0]), f"{card_name}: batch key {key!r} row {r} is not row {i}"
        seen.extend(index.tolist())
    assert sorted(seen) == list(range(len(data.train)))  # every training row once per epoch
