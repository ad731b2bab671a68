"""CTC prefix beam search against brute-force enumeration, and golden values of N-best sequence-level KD."""

from __future__ import annotations

import itertools
import math

import pytest
import torch

from distillbench.ctc import prefix_beam_search
from distillbench.data.audio import BLANK
from distillbench.methods.base import build_method
from distillbench.types import ModelOutput

# Teacher posteriors over (blank, a, b) for 2 frames: frame 1 (.5, .4, .1), frame 2 (.6, .3, .1). Summing the
# alignments by hand: P("a") = .4*.3 (a a) + .4*.6 (a -) + .5*.3 (- a) = .51; P("") = .5*.6 = .30;
# P("b") = .1*.1 + .1*.6 + .5*.1 = .12; P("ab") = .4*.1 = .04; P("ba") = .1*.3 = .03 (total 1).
TEACHER = torch.tensor([[0.5, 0.4, 0.1], [0.6, 0.3, 0.1]])
EXACT = {(1,): 0.51, (): 0.30, (2,): 0.12, (1, 2): 0.04, (2, 1): 0.03}


def _brute_force(probs: torch.Tensor) -> dict[tuple[int, ...], float]:
    """P(label sequence) by enumerating every alignment (repeats collapsed, then blanks dropped)."""
    out: dict[tuple[int, ...], float] = {}
    for path in itertools.product(range(probs.shape[1]), repeat=probs.shape[0]):
        labels = tuple(c for k, c in enumerate(path) if c != BLANK and (k == 0 or path[k - 1] != c))
        out[labels] = out.get(labels, 0.0) + math.prod(float(probs[t, c]) for t, c in enumerate(path))
    return out


def test_prefix_beam_search_matches_the_hand_sums_when_the_beam_holds_every_prefix() -> None:
    found = prefix_beam_search(TEACHER.log(), beam=10)
    assert [tuple(h) for h, _ in found] == [(1,), (), (2,), (1, 2), (2, 1)]  # best first, impossible ones dropped
    assert {tuple(h): math.exp(s) for h, s in found} == pytest.approx(EXACT, abs=1e-6)


def test_prefix_beam_search_equals_brute_force_on_random_posteriors() -> None:
    gen = torch.Generator().manual_seed(0)
    probs = torch.randn(4, 3, generator=gen).softmax(-1)  # 3^4 = 81 alignments; at most 15 prefixes per frame
    exact = _brute_force(probs)
    found = prefix_beam_search(probs.log(), beam=100)
    assert {tuple(h): math.exp(s) for h, s in found} == pytest.approx({k: v for k, v in exact.items() if v > 0})
    top2 = prefix_beam_search(probs.log(), beam=2)
    assert [tuple(h) for h, _ in top2] == sorted(exact, key=exact.get, reverse=True)[:2]


def test_prefix_beam_search_pruning_keeps_the_frame_best_and_checks_the_beam() -> None:
    # symbols below e^-0.5 are skipped except each frame's best: frame 1 keeps "a", frame 2 blank, so "a" (.8 * .7)
    found = prefix_beam_search(torch.tensor([[0.1, 0.8, 0.1], [0.7, 0.2, 0.1]]).log(), beam=5, min_log_prob=-0.5)
    assert [tuple(h) for h, _ in found] == [(1,)] and math.exp(found[0][1]) == pytest.approx(0.8 * 0.7)
    with pytest.raises(ValueError, match="beam"):
        prefix_beam_search(TEACHER.log(), beam=0)


def _out(logits: torch.Tensor, loss: float | None = None) -> ModelOutput:
    mask = torch.ones(logits.shape[:2], dtype=torch.bool)
    return ModelOutput(logits=logits, loss=None if loss is None else torch.tensor(loss), mask=mask)


def test_nbest_kd_golden_value() -> None:
    # N = 2: "a" (.51) and "" (.30), renormalised w = .51/.81, .30/.81. A uniform student (1/3 per frame) gives
    # P_S("a") = 3/9 and P_S("") = 1/9: CTC 1.0986122887 / length 1 and 2.1972245773 / max(1, 0).
    # nbest = (.51 * 1.0986122887 + .30 * 2.1972245773) / .81 = 1.5055058; ce_weight 0: loss = nbest
    method = build_method("nbest_kd", {"n_best": 2, "beam": 4, "min_log_prob": -100.0})
    parts = method.loss(_out(torch.zeros(1, 2, 3), loss=7.0), _out(TEACHER.log()[None]), {})
    expected = (0.51 * math.log(3.0) + 0.30 * math.log(9.0)) / 0.81
    assert expected == pytest.approx(1.5055058, abs=1e-6)
    assert parts["nbest"].item() == pytest.approx(expected, abs=1e-5)
    assert parts["loss"].item() == pytest.approx(expected, abs=1e-5)
    assert parts["top_weight"].item() == pytest.approx(0.51 / 0.81, abs=1e-6)
    assert parts["hypotheses"].item() == 2.0 and parts["task"].item() == 7.0  # logged, not trained on


def test_nbest_kd_interpolates_with_the_ground_truth_and_averages_utterances() -> None:
    # utterance 2: a teacher certain of "b" (the only hypothesis with probability > 0 after pruning) -> weight 1,
    # CTC_S("b") = ln 3. Batch mean: (1.5055058 + ln 3) / 2; ce_weight 0.5 adds 0.5 * the task loss 2.0.
    teacher = torch.stack([TEACHER.log(), torch.tensor([[-50.0, -50.0, 0.0], [0.0, -50.0, -50.0]])])
    method = build_method("nbest_kd", {"n_best": 2, "beam": 4, "min_log_prob": -10.0, "ce_weight": 0.5})
    parts = method.loss(_out(torch.zeros(2, 2, 3), loss=2.0), _out(teacher), {})
    assert parts["nbest"].item() == pytest.approx((1.5055058 + math.log(3.0)) / 2, abs=1e-5)
    assert parts["loss"].item() == pytest.approx((1.5055058 + math.log(3.0)) / 2 + 1.0, abs=1e-5)
    assert parts["hypotheses"].item() == 1.5


@pytest.mark.parametrize(
    ("options", "message"),
    [({"n_best": 0}, "n_best"), ({"n_best": 5, "beam": 4}, "beam"), ({"nbest_weight": 0.0}, "nbest_weight")],
)
def test_nbest_kd_rejects_bad_options(options: dict, message: str) -> None:
    from distillbench.errors import DistillbenchError

    with pytest.raises((ValueError, DistillbenchError), match=message):
        build_method("nbest_kd", options)
