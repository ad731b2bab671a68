"""Object detection: COCO box mAP (pycocotools) of dense detectors on a held-out test split.

Data sources produce the detection layout of :mod:`distillbench.data.coco` (uint8 images of one
square size, ``x1, y1, x2, y2`` boxes, contiguous class indices). Batches hold ``x`` (float images
in [0, 1]; the detector's transform normalises them), ``boxes`` (N, M, 4) and ``labels`` (N, M),
padded with label -1 to the most boxes of any image in the split.

The forward pass runs the detector's parts one by one (transform, backbone + FPN, head, and the
loss when training), as torchvision's FCOS and RetinaNet do (Tian et al. 2019; Lin et al. 2017),
so one pass gives both the task loss and the raw head outputs: ``ModelOutput.logits`` is the
classification head's output, (N, A, C) per-class sigmoid logits over all A locations (x anchors)
of every FPN level, which logit distillation needs. FPN features reach feature methods through
forward hooks on the module paths the task card names (e.g. ``backbone.fpn.layer_blocks.0``).

Quality: :func:`~distillbench.adapters.coco_eval.coco_metrics` (pycocotools COCOeval: mAP@[.5:.95],
AP50, AP75, AP by size). Predictions: per test image its ``image_id``, the ground truth
(``reference``: ``x1, y1, x2, y2`` boxes and COCO category ids) and the detections after NMS
(``prediction``: boxes, scores, category ids), exactly what COCOeval was given. Speed: images/s
and latency at the data's resolution for the full inference pass, post-processing and NMS included.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from distillbench.adapters.base import PREDICTIONS, Batch, DataSplits, ModelOutput, TaskAdapter
from distillbench.adapters.coco_eval import coco_metrics
from distillbench.data.base import build_source
from distillbench.errors import ConfigError
from distillbench.models.spec import build_model
from distillbench.registry import TASKS

EVAL_BATCH = 32
MAX_THROUGHPUT_BATCH = 32
#: images per split in smoke mode (fewer than other tasks' 64: COCO evaluation of an untrained
#: detector's many low-score boxes dominates a smoke job otherwise)
SMOKE_IMAGES = 16


def dense_forward(
    model: nn.Module, images: list[torch.Tensor], targets: list[dict[str, torch.Tensor]] | None
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Classification logits (N, A, C) and, with ``targets``, the summed training losses.

    Follows ``FCOS.forward`` / ``RetinaNet.forward`` of torchvision up to the loss, without the
    post-processing that inference adds.
    """
    from torchvision.models.detection import FCOS, RetinaNet

    if not isinstance(model, (FCOS, RetinaNet)):
        raise ConfigError(
            f"the detection task trains dense detectors (torchvision FCOS or RetinaNet); got {type(model).__name__}"
        )
    image_list, targets = model.transform(images, targets)
    features = list(model.backbone(image_list.tensors).values())
    head_outputs = model.head(features)
    loss = None
    if targets is not None:
        anchors = model.anchor_generator(image_list, features)
        if isinstance(model, FCOS):
            per_level = [f.size(2) * f.size(3) for f in features]
            losses = model.compute_loss(targets, head_outputs, anchors, per_level)
        else:
            losses = model.compute_loss(targets, head_outputs, anchors)
        loss = sum(losses.values())
    return head_outputs["cls_logits"], loss


@TASKS.register("detection")
class Detection(TaskAdapter):
    """Boxes and classes of objects in images, scored with COCO mAP (Lin et al. 2014)."""

    metric = "map"
    metrics: ClassVar[dict[str, bool]] = {"map": True, "ap50": True, "ap75": True}
    sample_unit = "images"

    def __init__(self, card: Any) -> None:
        super().__init__(card)
        self._tensors: dict[int, tuple[torch.Tensor, torch.Tensor, torch.Tensor, np.ndarray]] = {}
        self._category_ids: list[int] = []

    def load_data(self, smoke: bool = False) -> DataSplits:
        source = build_source(self.card.data.source, self.card.data.options, where=f"{self.card.path} data.options")
        data = source.load(max_samples=SMOKE_IMAGES if smoke else None)
        self._category_ids = list(data.info["category_ids"])
        return data

    def build_model(self, spec: str, data: DataSplits) -> nn.Module:
        i = data.info
        return build_model(
            spec, num_classes=i["num_classes"], in_channels=i["in_channels"], image_size=i["image_size"], detection=True
        )

    def _as_tensors(self, ds: Any) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, np.ndarray]:
        key = id(ds)
        if key not in self._tensors:
            arr = ds.with_format("numpy", columns=["image", "image_id"])
            x = torch.from_numpy(np.asarray(arr["image"], dtype=np.uint8))
            rows = ds.select_columns(["boxes", "labels"]).to_dict()
            most = max(1, max((len(b) for b in rows["labels"]), default=1))
            boxes = torch.zeros((len(x), most, 4), dtype=torch.float32)
            labels = torch.full((len(x), most), -1, dtype=torch.long)
            for i, (b, lbl) in enumerate(zip(rows["boxes"], rows["labels"], strict=True)):
                if lbl:
                    boxes[i, : len(lbl)] = torch.as_tensor(b, dtype=torch.float32)
                    labels[i, : len(lbl)] = torch.as_tensor(lbl, dtype=torch.long)
            self._tensors[key] = (x, boxes, labels, np.asarray(arr["image_id"]))
        return self._tensors[key]

    def batches(self, ds: Any, batch_size: int, shuffle: bool = False, seed: int = 0) -> Iterator[Batch]:
        x, boxes, labels, _ = self._as_tensors(ds)
        order = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed)) if shuffle else None
        order = order if order is not None else torch.arange(len(x))
        for start in range(0, len(x), batch_size):
            idx = order[start : start + batch_size]  # the rows' indices in the split, for per-sample look-ups
            yield {"x": x[idx].float() / 255.0, "boxes": boxes[idx], "labels": labels[idx], "index": idx}

    @staticmethod
    def targets(batch: Batch) -> list[dict[str, torch.Tensor]]:
        """The per-image target dicts torchvision detectors take (padding removed)."""
        keep = batch["labels"] >= 0
        return [
            {"boxes": b[k], "labels": lbl[k]} for b, lbl, k in zip(batch["boxes"], batch["labels"], keep, strict=True)
        ]

    def forward(self, model: nn.Module, batch: Batch) -> ModelOutput:
        targets = self.targets(batch) if model.training and "labels" in batch else None
        logits, loss = dense_forward(model, list(batch["x"]), targets)
        return ModelOutput(logits=logits, loss=loss)

    @torch.inference_mode()
    def evaluate(self, model: nn.Module, ds: Any, device: torch.device, autocast: Any) -> dict[str, Any]:
        _, gt_boxes, gt_labels, image_ids = self._as_tensors(ds)
        det_boxes, det_scores, det_labels = [], [], []
        for batch in self.batches(ds, EVAL_BATCH):
            with autocast():
                outputs = model(list(batch["x"].to(device)))
            for o in outputs:
                det_boxes.append(o["boxes"].float().cpu().numpy())
                det_scores.append(o["scores"].float().cpu().numpy())
                det_labels.append(o["labels"].cpu().numpy())
        keep = gt_labels >= 0
        gt_b = [b[k].numpy() for b, k in zip(gt_boxes, keep, strict=True)]
        gt_l = [lbl[k].numpy() for lbl, k in zip(gt_labels, keep, strict=True)]
        out = coco_metrics(image_ids.tolist(), gt_b, gt_l, det_boxes, det_scores, det_labels, self._category_ids)
        cat = self._category_ids
        out[PREDICTIONS] = [
            {
                "id": int(image_id),
                "reference": {"boxes": gb.tolist(), "category_ids": [int(cat[int(c)]) for c in gl.tolist()]},
                "prediction": {
                    "boxes": db.tolist(),
                    "scores": sc.tolist(),
                    "category_ids": [int(cat[int(c)]) for c in dl.tolist()],
                },
            }
            for image_id, gb, gl, db, sc, dl in zip(
                image_ids.tolist(), gt_b, gt_l, det_boxes, det_scores, det_labels, strict=True
            )
        ]
        total = sum(len(b) for b in det_boxes)  # boxes after NMS: the post-processing cost grows with them
        out["output_count"] = {"unit": "boxes", "per_sample": total / max(1, len(det_boxes)), "total": total}
        return out

    def example_inputs(self, data: DataSplits, batch_size: int) -> Batch:
        x, _, _, _ = self._as_tensors(data.test)
        reps = -(-batch_size // len(x))
        return {"x": (x.repeat(reps, 1, 1, 1)[:batch_size].float() / 255.0).contiguous()}

    def infer(self, model: nn.Module, inputs: Batch) -> Any:
        return model(list(inputs["x"]))

    def measure_config(self, cfg: Any) -> Any:
        sizes = [b for b in cfg.batch_sizes if b <= MAX_THROUGHPUT_BATCH] or [MAX_THROUGHPUT_BATCH]
        return dataclasses.replace(cfg, batch_sizes=sizes)

    @torch.inference_mode()
    def extra_speed(
        self, model: nn.Module, data: DataSplits, cfg: Any, device: torch.device, speed: dict[str, Any]
    ) -> dict[str, Any]:
        """Boxes per image after NMS on the throughput batch (with the weights timed), and boxes/s."""
        from distillbench import measure

        batch = int(speed.get("throughput_batch_size") or 1)
        with measure.fixed_threads(cfg.threads):
            outputs = self.infer(model.eval(), {"x": self.example_inputs(data, batch)["x"].to(device)})
        per_image = sum(len(o["boxes"]) for o in outputs) / max(1, len(outputs))
        return {"boxes_per_image": per_image, "boxes_per_s": speed["throughput"] * per_image}

    def describe_inputs(self, data: DataSplits) -> str:
        s = data.info["image_size"]
        return f"3x{s}x{s} images, full inference (post-processing and NMS included)"
