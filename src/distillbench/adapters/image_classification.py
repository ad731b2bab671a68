"""Image classification: top-1 accuracy and macro-F1 on a held-out test split.

Images come from a registered data source as uint8 (C, H, W) arrays; the adapter scales them to
[0, 1] and standardises them with the training split's mean and std. Metrics use scikit-learn;
the accuracy's 95% interval is a percentile bootstrap over test samples (Efron & Tibshirani 1993).
Predictions: per sample its row index in the split, the true and the predicted class index.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from distillbench.adapters.base import PREDICTIONS, Batch, DataSplits, ModelOutput, TaskAdapter, label_predictions
from distillbench.data import augment
from distillbench.data.base import build_source
from distillbench.models.spec import build_model
from distillbench.registry import TASKS
from distillbench.stats import bootstrap_ci

#: the augmentation generator's seed is the epoch's shuffle seed plus this (a stream apart from the order's)
AUGMENT_SEED_OFFSET = 7_919
AUGMENT_SEED_NOTE = f"views from seed * 1000 + epoch + {AUGMENT_SEED_OFFSET}"


@TASKS.register("image_classification")
class ImageClassification(TaskAdapter):
    """Top-1 classification of images into ``num_classes`` classes."""

    metric = "accuracy"
    metrics: ClassVar[dict[str, bool]] = {"accuracy": True, "macro_f1": True}
    sample_unit = "images"

    def __init__(self, card: Any) -> None:
        super().__init__(card)
        self._tensors: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}
        self._norm: tuple[float, float] = (0.0, 1.0)

    def load_data(self, smoke: bool = False) -> DataSplits:
        from distillbench.config import SMOKE_MAX_SAMPLES

        source = build_source(self.card.data.source, self.card.data.options, where=f"{self.card.path} data.options")
        data = source.load(max_samples=SMOKE_MAX_SAMPLES if smoke else None)
        train = np.asarray(data.train.with_format("numpy")["image"], dtype=np.float32) / 255.0
        self._norm = (float(train.mean()), float(train.std()) or 1.0)
        data.info["normalisation"] = {"mean": self._norm[0], "std": self._norm[1]}
        data.info["augmentation"] = self.augmentation()
        return data

    def augmentation(self) -> dict[str, str]:
        """Each model's training augmentation, as recorded in the data info (per-model ``train`` overrides win)."""
        from distillbench.config import Augment, from_dict

        out = {}
        for model, base in (
            (self.card.teacher, self.card.teacher_train),
            *((s, self.card.student_train) for s in self.card.students),
        ):
            opts = model.train.get("augment", base.augment)
            opts = from_dict(Augment, opts, where=f"{model.name}.train.augment") if opts is not None else None
            seeded = f", seeded per epoch ({AUGMENT_SEED_NOTE})" if opts and not opts.replay else ""
            out[model.name] = augment.describe(opts) + seeded
        return out

    def train_batches(
        self, ds: Any, cfg: Any, seed: int = 0, epoch: int = 0, views: augment.ViewParams | None = None
    ) -> Iterator[Batch]:
        """Shuffled batches; with ``cfg.augment``, each image a random view (crop after padding, flip).

        The views come from a generator seeded with the epoch's seed (a different stream from the order),
        so a run is reproducible; padding is black (a 0 pixel, normalised), as in the per-image recipe.
        With ``augment.replay`` each sample's view is its row of the epoch's table: ``views`` (recorded with
        the teacher's outputs, teacher_replay.py) or :func:`augment.epoch_views`, the same table.
        """
        opts = cfg.augmentation()
        if opts is None:
            yield from self.batches(ds, cfg.batch_size, shuffle=True, seed=seed)
            return
        gen = torch.Generator().manual_seed(seed + AUGMENT_SEED_OFFSET)
        fill = (0.0 - self._norm[0]) / self._norm[1]
        if opts.replay and views is None:
            x = self._as_tensors(ds)[0]
            views = augment.epoch_views(len(x), x.shape[-2], x.shape[-1], opts, epoch)
        for batch in self.batches(ds, cfg.batch_size, shuffle=True, seed=seed):
            if opts.replay:
                x = augment.apply_params(batch["x"], views[batch["index"]], opts, fill)  # type: ignore[index]
            else:
                x = augment.augment_batch(batch["x"], opts, gen, fill)
            yield {**batch, "x": x}

    def build_model(self, spec: str, data: DataSplits) -> nn.Module:
        info = data.info
        return build_model(
            spec, num_classes=info["num_classes"], in_channels=info["in_channels"], image_size=info["image_size"]
        )

    def _as_tensors(self, ds: Any) -> tuple[torch.Tensor, torch.Tensor]:
        key = id(ds)
        if key not in self._tensors:
            arr = ds.with_format("numpy")
            x = torch.from_numpy(np.asarray(arr["image"], dtype=np.float32) / 255.0)
            x = (x - self._norm[0]) / self._norm[1]
            self._tensors[key] = (x, torch.from_numpy(np.asarray(arr["label"], dtype=np.int64)))
        return self._tensors[key]

    def batches(self, ds: Any, batch_size: int, shuffle: bool = False, seed: int = 0) -> Iterator[Batch]:
        x, y = self._as_tensors(ds)
        order = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed)) if shuffle else None
        order = order if order is not None else torch.arange(len(y))
        for start in range(0, len(y), batch_size):
            idx = order[start : start + batch_size]  # the rows' indices in the split, for per-sample look-ups
            yield {"x": x[idx], "labels": y[idx], "index": idx}

    def forward(self, model: nn.Module, batch: Batch) -> ModelOutput:
        logits = model(batch["x"])
        loss = F.cross_entropy(logits.float(), batch["labels"]) if "labels" in batch else None
        return ModelOutput(logits=logits, loss=loss)

    @torch.inference_mode()
    def evaluate(self, model: nn.Module, ds: Any, device: torch.device, autocast: Any) -> dict[str, Any]:
        from sklearn.metrics import accuracy_score, f1_score

        preds, labels = [], []
        for batch in self.batches(ds, 256):
            with autocast():
                logits = model(batch["x"].to(device))
            preds.append(logits.argmax(dim=-1).cpu())
            labels.append(batch["labels"])
        y_pred, y_true = torch.cat(preds).numpy(), torch.cat(labels).numpy()
        lo, hi = bootstrap_ci((y_pred == y_true).astype(np.float64))
        return {
            "accuracy": float(accuracy_score(y_true, y_pred)),
            "macro_f1": float(f1_score(y_true, y_pred, average="macro", zero_division=0)),
            "accuracy_ci95": [lo, hi],
            "n_test": len(y_true),
            PREDICTIONS: label_predictions(y_true, y_pred),
        }

    def example_inputs(self, data: DataSplits, batch_size: int) -> Batch:
        x, _ = self._as_tensors(data.test)
        reps = -(-batch_size // len(x))
        return {"x": x.repeat(reps, 1, 1, 1)[:batch_size].contiguous()}

    def describe_inputs(self, data: DataSplits) -> str:
        i = data.info
        return f"{i['in_channels']}x{i['image_size']}x{i['image_size']} images"
