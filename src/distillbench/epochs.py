"""Best and last epoch: which trained weights a result reports, and both epochs' test figures.

Training (train.py) scores the validation split after every ``val_every``-th epoch and keeps the
weights of the epoch with the best primary metric (model selection on held-out data, as early
stopping does: Prechelt 1998, "Early Stopping — But When?"). The job then evaluates BOTH the last
epoch's and that validation-selected epoch's weights on the test split; the card's train option
``select`` (``last`` by default: the end of the fixed schedule, which no held-out data picks and which
is what a fixed-schedule recipe reports; or ``best_val``) says which one the record's ``quality``
figures — and the predictions file — come from. The record carries::

    quality["selection"] = "last" | "best_val"
    quality["epochs"] = {"last": {<metric>: v}, "best_val": {"epoch": k, <metric>: v} | None,
                         "val_curve": [primary val metric per epoch, None where not evaluated]}

``best_val`` is None when the validation split was never scored (``val_every: 0``, or a teacher cached
before validation was tracked). Ties go to the earliest epoch (an improvement must be strict).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from distillbench.adapters.base import split_predictions

if TYPE_CHECKING:
    from distillbench.adapters.base import DataSplits, TaskAdapter

log = logging.getLogger(__name__)
StateDict = dict[str, torch.Tensor]


def val_curve(history: Sequence[Mapping[str, float] | None], metric: str) -> list[float | None]:
    """The primary metric per epoch from the per-epoch validation metrics (None where not evaluated)."""
    return [None if h is None or h.get(metric) is None else float(h[metric]) for h in history]


def best_epoch(curve: Sequence[float | None], higher_is_better: bool) -> int | None:
    """1-based epoch of the best value; the earliest on ties; None and NaN never win; None if nothing scored."""
    best, best_value = None, None
    for epoch, value in enumerate(curve, start=1):
        if value is None or math.isnan(value):
            continue
        if best_value is None or (value > best_value if higher_is_better else value < best_value):
            best, best_value = epoch, value
    return best


def weights_copy(model: nn.Module) -> StateDict:
    """A CPU copy of the model's weights (not sharing storage with the model)."""
    return {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}


def selected_weights(model: nn.Module, training: Mapping[str, Any], best_state: StateDict | None, select: str) -> dict:
    """What a teacher cache file stores beside its training metadata: the selected weights as
    ``state_dict`` and, when the best epoch is not the last, both epochs' weights under ``epoch_weights``
    (``model`` holds the last epoch's weights; tensors are shared, so nothing is stored twice)."""
    last = weights_copy(model)
    differs = best_state is not None and training.get("best_epoch") not in (None, len(training["val_history"]))
    if not differs:
        return {"state_dict": last}
    chosen = best_state if select == "best_val" else last
    return {"state_dict": chosen, "epoch_weights": {"last": last, "best_val": best_state}}


def evaluate_epochs(
    adapter: TaskAdapter,
    model: nn.Module,
    data: DataSplits,
    device: torch.device,
    amp: Callable[[], Any],
    *,
    select: str,
    history: Sequence[Mapping[str, float] | None],
    best: int | None,
    best_state: StateDict | None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Test figures of the last and the validation-selected epoch; ``(quality, predictions)`` of ``select``.

    ``model`` holds the last epoch's weights (in eval mode on ``device``); ``best_state`` the best
    epoch's (None when that is the last epoch or nothing was validated). On return ``model`` holds the
    selected weights.
    """
    names = list(adapter.metrics)
    last_q, last_pred = split_predictions(adapter.evaluate(model, data.test, device, amp))
    chosen_q, chosen_pred, chosen_epoch = last_q, last_pred, len(history)
    epochs: dict[str, Any] = {
        "last": _figures(last_q, names),
        "best_val": None,
        "val_curve": val_curve(history, adapter.metric),
    }
    if best is not None and (best == len(history) or best_state is not None):
        if best == len(history):
            best_q, best_pred = last_q, last_pred
        else:
            last_state = weights_copy(model)
            model.load_state_dict(best_state)
            best_q, best_pred = split_predictions(adapter.evaluate(model, data.test, device, amp))
            if select != "best_val":
                model.load_state_dict(last_state)
        epochs["best_val"] = {"epoch": best, **_figures(best_q, names)}
        if select == "best_val":
            chosen_q, chosen_pred, chosen_epoch = best_q, best_pred, best
    elif best is not None:
        log.warning("the best validation epoch (%d) has no saved weights: recording the last epoch only", best)
    if select == "best_val" and epochs["best_val"] is None:
        log.warning("select: best_val without a validated epoch; the figures are the last epoch's")
        select = "last"
    quality = dict(chosen_q)
    quality["selection"] = select
    quality["epochs"] = epochs
    val = history[chosen_epoch - 1] if history and chosen_epoch else None
    if val is None:  # not validated at that epoch: score it now
        val_q, _ = split_predictions(adapter.evaluate(model, data.val, device, amp))
        val = {k: val_q[k] for k in names if k in val_q}
    quality["val"] = dict(val)
    return quality, chosen_pred


def _figures(quality: Mapping[str, Any], names: Sequence[str]) -> dict[str, Any]:
    return {k: quality[k] for k in names if k in quality}
