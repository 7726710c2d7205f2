"""Center loss and the joint softmax + center supervision of seed 002 §2.5 (Eq. 19-21).

The center loss pulls each face embedding towards a learned center of its identity (seed 002
Eq. 20); the centers are not trained by gradient but moved towards the class means after each
batch with the rule of Wen et al., "A Discriminative Feature Learning Approach for Deep Face
Recognition", ECCV 2016, Eq. 4, which seed 002 follows. The joint loss adds it to the
cross-entropy with weight lambda = 0.01 (seed 002 Eq. 21).
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

Reduction = Literal["mean", "sum"]


def _check_shapes(features: torch.Tensor, labels: torch.Tensor, centers: torch.Tensor) -> None:
    if features.ndim != 2 or labels.ndim != 1 or centers.ndim != 2:
        raise ValueError(
            f"expected features (N, D), labels (N,), centers (C, D), got {tuple(features.shape)}, "
            f"{tuple(labels.shape)}, {tuple(centers.shape)}"
        )
    if features.shape[0] != labels.shape[0] or features.shape[1] != centers.shape[1]:
        raise ValueError(
            f"features {tuple(features.shape)} need one label each (got {labels.shape[0]}) and the "
            f"feature size of the centers {tuple(centers.shape)}"
        )


def center_loss(
    features: torch.Tensor, labels: torch.Tensor, centers: torch.Tensor, *, reduction: Reduction = "mean"
) -> torch.Tensor:
    """L_c = 1/2 sum_i ||x_i - c_{y_i}||² (seed 002 Eq. 20).

    Args:
        features: x, (N, D) embeddings.
        labels: y, (N,) int64 identity indices in [0, C).
        centers: c, (C, D) class centers.
        reduction: "sum" is Eq. 20 as written; "mean" divides by N (0 for an empty batch).

    Returns:
        scalar loss. Its gradient with respect to x_i is (x_i - c_{y_i}) for "sum".
    """
    _check_shapes(features, labels, centers)
    if reduction not in ("mean", "sum"):
        raise ValueError(f"reduction must be 'mean' or 'sum', got '{reduction}'")
    loss = 0.5 * (features - centers[labels]).pow(2).sum()
    if reduction == "mean":
        loss = loss / max(features.shape[0], 1)
    return loss


@torch.no_grad()
def center_update(features: torch.Tensor, labels: torch.Tensor, centers: torch.Tensor, *, alpha: float) -> torch.Tensor:
    """Centers after one step of Wen et al. 2016 Eq. 4 (used by seed 002 §2.5).

    delta_c_j = sum_{i: y_i = j} (c_j - x_i) / (1 + n_j),   c_j <- c_j - alpha * delta_c_j,

    where n_j is the number of samples of class j in the batch; classes absent from the batch
    keep their center.

    Args:
        features: (N, D) embeddings (not differentiated through).
        labels: (N,) int64 identity indices in [0, C).
        centers: (C, D) current centers (left unchanged).
        alpha: center learning rate in [0, 1].

    Returns:
        (C, D) new centers.
    """
    _check_shapes(features, labels, centers)
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    counts = torch.bincount(labels, minlength=centers.shape[0]).to(centers.dtype).unsqueeze(1)  # (C, 1)
    sums = torch.zeros_like(centers).index_add_(0, labels, features.to(centers.dtype))  # (C, D)
    delta = (counts * centers - sums) / (1.0 + counts)
    return centers - alpha * delta


class CenterLoss(nn.Module):
    """Center loss with its class centers as a buffer, updated in training mode (seed 002 Eq. 20).

    ``forward(features (N, D), labels (N,))`` returns the loss against the current centers and,
    when ``self.training``, then moves the centers with ``center_update`` at rate ``alpha``.
    Centers start at zero.

    Args:
        num_classes: C identities.
        feature_dim: D, the embedding size.
        alpha: center learning rate (Wen et al. 2016 use 0.5).
        reduction: "mean" over the batch or "sum" as in Eq. 20.
    """

    centers: torch.Tensor

    def __init__(
        self, num_classes: int, feature_dim: int, *, alpha: float = 0.5, reduction: Reduction = "mean"
    ) -> None:
        super().__init__()
        if num_classes < 1 or feature_dim < 1:
            raise ValueError(f"num_classes and feature_dim must be >= 1, got {num_classes}, {feature_dim}")
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"alpha must be in [0, 1], got {alpha}")
        self.alpha = alpha
        self.reduction: Reduction = reduction
        self.register_buffer("centers", torch.zeros(num_classes, feature_dim))

    def forward(self, features: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        loss = center_loss(features, labels, self.centers.clone(), reduction=self.reduction)
        if self.training:
            self.centers.copy_(center_update(features.detach(), labels, self.centers, alpha=self.alpha))
        return loss


def joint_loss(
    logits: torch.Tensor,
    features: torch.Tensor,
    labels: torch.Tensor,
    center: CenterLoss,
    *,
    lam: float = 0.01,
) -> dict[str, torch.Tensor]:
    """Joint supervision L = L_s + lambda * L_c (seed 002 Eq. 21, lambda = 0.01 in the paper).

    Args:
        logits: (N, C) classifier outputs.
        features: (N, D) penultimate embeddings the logits were computed from.
        labels: (N,) int64 identity indices.
        center: the ``CenterLoss`` holding the centers (updated if it is in training mode).
        lam: lambda, the weight of the center loss; the paper takes it in (0, 0.1).

    Returns:
        {"ce": softmax cross-entropy (Eq. 19, mean over the batch), "center": L_c (reduced as
        ``center.reduction``), "total": ce + lam * center}.
    """
    if lam < 0:
        raise ValueError(f"lam must be >= 0, got {lam}")
    ce = F.cross_entropy(logits, labels)
    center_term = center(features, labels)
    return {"ce": ce, "center": center_term, "total": ce + lam * center_term}
