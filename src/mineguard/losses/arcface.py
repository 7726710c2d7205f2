"""ArcFace: additive angular margin softmax loss.

Deng et al., "ArcFace: Additive Angular Margin Loss for Deep Face Recognition", CVPR 2019, Eq. 3:

    L = -log( e^{s cos(theta_y + m)} / (e^{s cos(theta_y + m)} + sum_{j != y} e^{s cos theta_j}) )

where ``cos theta_j`` is the cosine between the embedding and class ``j``'s weight vector. The
margin ``m`` (radians) makes a face's own class win only by an angle, which tightens each person's
cluster and widens the gaps between people — the property an open-set threshold relies on. As in
the paper's code, ``theta_y + m`` is only used where it stays below pi (``cos theta_y > cos(pi - m)``);
elsewhere the logit is ``cos theta_y - m sin m`` so the target logit keeps falling with the angle.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
import torch.nn.functional as F


def arcface_logits(
    features: torch.Tensor, weight: torch.Tensor, labels: torch.Tensor, *, scale: float = 30.0, margin: float = 0.5
) -> torch.Tensor:
    """Scaled logits with the angular margin on each row's target class.

    Args:
        features: (N, D) embeddings (any norm; normalised here).
        weight: (C, D) class weight vectors (normalised here).
        labels: (N,) int64 in [0, C).
        scale: s; margin: m in radians, 0 <= m < pi / 2.

    Returns:
        (N, C) logits ``s cos theta_j`` with ``s cos(theta_y + m)`` at the target.
    """
    if features.ndim != 2 or weight.ndim != 2 or labels.ndim != 1 or features.shape[1] != weight.shape[1]:
        raise ValueError(
            f"expected features (N, D), weight (C, D), labels (N,), got {tuple(features.shape)}, "
            f"{tuple(weight.shape)}, {tuple(labels.shape)}"
        )
    if not 0.0 <= margin < math.pi / 2:
        raise ValueError(f"margin must be in [0, pi/2) radians, got {margin}")
    cos = F.linear(F.normalize(features, dim=1), F.normalize(weight, dim=1)).clamp(-1.0, 1.0)
    target = cos.gather(1, labels[:, None])
    sin = (1.0 - target.pow(2)).clamp_min(1e-9).sqrt()
    shifted = target * math.cos(margin) - sin * math.sin(margin)  # cos(theta + m)
    shifted = torch.where(target > math.cos(math.pi - margin), shifted, target - margin * math.sin(margin))
    return scale * cos.scatter(1, labels[:, None], shifted)


def arcface_loss(
    features: torch.Tensor,
    weight: torch.Tensor,
    labels: torch.Tensor,
    *,
    scale: float = 30.0,
    margin: float = 0.5,
    reduction: Literal["mean", "sum"] = "mean",
) -> torch.Tensor:
    """Cross-entropy of :func:`arcface_logits` (Deng et al. 2019 Eq. 3); scalar."""
    return F.cross_entropy(
        arcface_logits(features, weight, labels, scale=scale, margin=margin), labels, reduction=reduction
    )
