"""An FCOS head whose box regression is a discrete distribution per box edge (General Focal Loss style).

Li, Wang, Wu, Chen, Hu, Li, Tang & Yang (2020), "Generalized Focal Loss: Learning Qualified and
Distributed Bounding Boxes for Dense Object Detection", NeurIPS, arXiv:2006.04388, section 3.3: each of
the four distances from a location to the box edges (left, top, right, bottom) is predicted as ``n + 1``
logits over the values ``{0, d, 2d, ..., n d}``; the distance is the distribution's expectation (the
"integral"), ``sum_i softmax(z)_i * i d``. The head is trained with FCOS's losses on those expectations
(torchvision's focal loss, GIoU and centre-ness) plus GFL's Distribution Focal Loss (eq. 6) on the edge
distributions of the foreground locations:

    DFL(z, y) = -((y_{i+1} - y) log softmax(z)_i + (y - y_i) log softmax(z)_{i+1}),  y_i <= y < y_{i+1}

averaged over the 4 edges and the foreground locations, with GFL's weight 0.25 (GFL weights each location
by the classification score; here the mean is unweighted, like torchvision's FCOS losses).

Distances are in anchor sizes, as torchvision's FCOS box coder gives them (``normalize_by_size``); with
the level assignment of ``local_detector`` a matched distance is below 8 anchor sizes (``8 s`` bounds
every level but the last, and the data's objects are smaller than the last level's bound), so the
support runs from 0 to ``edge_max = 8`` and a target beyond it is clamped (GFL clamps to ``reg_max``).

Two probes for the features mechanism (module paths a task card can name, captured by forward hooks):
``head.regression_head.edges`` gives the edge logits (N, A, 4, n + 1) of every location, and
``head.positives`` the (N, A) foreground mask of FCOS's label assignment (training passes only), which is
what localisation distillation (``methods/ld.py``) reads.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torchvision.models.detection.fcos import FCOSHead, FCOSRegressionHead

#: GFL's weight of the Distribution Focal Loss (its ``loss_dfl`` config)
DFL_WEIGHT = 0.25


def edge_support(bins: int, edge_max: float) -> torch.Tensor:
    """The ``bins + 1`` distances ``0, d, ..., edge_max`` an edge distribution is spread over."""
    return torch.linspace(0.0, edge_max, bins + 1)


def distribution_focal_loss(logits: torch.Tensor, target: torch.Tensor, step: float) -> torch.Tensor:
    """GFL's DFL of (..., n + 1) logits against distances ``target`` (...) on the grid ``i * step``, per element."""
    bins = logits.shape[-1] - 1
    y = (target / step).clamp(0.0, bins - 0.01)
    left = y.floor().long()
    w_left = (left + 1).to(y.dtype) - y
    logp = F.log_softmax(logits.float(), dim=-1)
    lp_left = logp.gather(-1, left[..., None]).squeeze(-1)
    lp_right = logp.gather(-1, (left + 1)[..., None]).squeeze(-1)
    return -(w_left * lp_left + (1.0 - w_left) * lp_right)


class EdgeDistributionRegression(nn.Module):
    """FCOS's regression tower with ``4 (n + 1)`` edge logits per location instead of 4 distances."""

    def __init__(self, in_channels: int, num_anchors: int, num_convs: int, bins: int, edge_max: float) -> None:
        super().__init__()
        base = FCOSRegressionHead(in_channels, num_anchors, num_convs)
        self.conv, self.bbox_ctrness = base.conv, base.bbox_ctrness
        self.bbox_reg = nn.Conv2d(in_channels, num_anchors * 4 * (bins + 1), kernel_size=3, stride=1, padding=1)
        nn.init.normal_(self.bbox_reg.weight, std=0.01)
        nn.init.zeros_(self.bbox_reg.bias)
        self.bins, self.edge_max = bins, edge_max
        self.register_buffer("support", edge_support(bins, edge_max), persistent=False)
        #: probe: the (N, A, 4, n + 1) edge logits
        self.edges = nn.Identity()

    def forward(self, x: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Expected distances (N, A, 4), centre-ness logits (N, A, 1) and edge logits (N, A, 4, n + 1)."""
        edges, ctrness = [], []
        for features in x:
            f = self.conv(features)
            z = self.bbox_reg(f)
            n, _, h, w = z.shape
            edges.append(
                z.view(n, -1, 4, self.bins + 1, h, w).permute(0, 4, 5, 1, 2, 3).reshape(n, -1, 4, self.bins + 1)
            )
            c = self.bbox_ctrness(f)
            ctrness.append(c.view(n, -1, 1, h, w).permute(0, 3, 4, 1, 2).reshape(n, -1, 1))
        logits = self.edges(torch.cat(edges, dim=1))
        distances = logits.float().softmax(-1) @ self.support.to(torch.float32)
        return distances.to(logits.dtype), torch.cat(ctrness, dim=1), logits


class EdgeDistributionFCOSHead(FCOSHead):
    """A torchvision ``FCOSHead`` whose regression predicts edge distributions and whose loss adds GFL's DFL."""

    def __init__(
        self, in_channels: int, num_anchors: int, num_classes: int, num_convs: int, bins: int, edge_max: float
    ) -> None:
        super().__init__(in_channels, num_anchors, num_classes, num_convs)
        self.regression_head = EdgeDistributionRegression(in_channels, num_anchors, num_convs, bins, edge_max)
        self.step = edge_max / bins
        #: probe: the (N, A) foreground mask of the label assignment (training passes only)
        self.positives = nn.Identity()

    def forward(self, x: list[torch.Tensor]) -> dict[str, torch.Tensor]:
        distances, ctrness, edges = self.regression_head(x)
        return {
            "cls_logits": self.classification_head(x),
            "bbox_regression": distances,
            "bbox_ctrness": ctrness,
            "bbox_edges": edges,
        }

    def compute_loss(
        self,
        targets: list[dict[str, torch.Tensor]],
        head_outputs: dict[str, torch.Tensor],
        anchors: list[torch.Tensor],
        matched_idxs: list[torch.Tensor],
    ) -> dict[str, torch.Tensor]:
        losses = super().compute_loss(targets, head_outputs, anchors, matched_idxs)
        fg = self.positives(torch.stack(matched_idxs) >= 0)
        gt = torch.stack(
            [
                t["boxes"][m.clip(min=0)] if len(t["boxes"]) else t["boxes"].new_zeros((len(m), 4))
                for t, m in zip(targets, matched_idxs, strict=True)
            ]
        )
        distances = self.box_coder.encode(torch.stack(anchors), gt)  # (N, A, 4), in anchor sizes
        dfl = distribution_focal_loss(head_outputs["bbox_edges"][fg], distances[fg], self.step)
        losses["bbox_dfl"] = DFL_WEIGHT * dfl.sum() / max(1, 4 * int(fg.sum()))
        return losses
