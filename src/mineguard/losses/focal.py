"""Class-weighted binary cross-entropy and the sigmoid focal loss, for rare hazards (seed 003 §3.2).

Seed 003 §3.2 asks for "weighted loss function strategies" so that a model still learns the
minority class (hazardous states are a few per cent of the shifts). Two standard answers:

- ``weighted_bce``: binary cross-entropy whose positive term is multiplied by ``pos_weight``
  (usually n_negative / n_positive, so both classes weigh the same in total);
- ``focal_loss``: the sigmoid focal loss of Lin et al., "Focal Loss for Dense Object Detection",
  ICCV 2017, Eq. 5: FL(p_t) = -alpha_t (1 - p_t)^gamma log(p_t), which down-weights the easy,
  well-classified examples by (1 - p_t)^gamma; alpha_t = alpha for positives, 1 - alpha for
  negatives. It is numerically the same as ``torchvision.ops.sigmoid_focal_loss``.

Both are pure functions of logits (not probabilities), in the manner of ``torchvision.ops``.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F

Reduction = Literal["none", "mean", "sum"]


def _check(logits: torch.Tensor, targets: torch.Tensor, reduction: str) -> None:
    if logits.shape != targets.shape:
        raise ValueError(f"logits {tuple(logits.shape)} and targets {tuple(targets.shape)} must have the same shape")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"reduction must be 'none', 'mean' or 'sum', got '{reduction}'")


def _reduce(loss: torch.Tensor, reduction: str) -> torch.Tensor:
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / max(loss.numel(), 1)  # mean; 0 (not NaN) for an empty batch


def weighted_bce(
    logits: torch.Tensor,
    targets: torch.Tensor,
    *,
    pos_weight: float | torch.Tensor = 1.0,
    reduction: Reduction = "mean",
) -> torch.Tensor:
    """Class-weighted binary cross-entropy on logits.

    loss_i = -[pos_weight * y_i * log sigmoid(x_i) + (1 - y_i) * log(1 - sigmoid(x_i))]

    Args:
        logits: x, (*) raw scores, any shape.
        targets: y, (*) same shape, in [0, 1] (0 = safe shift, 1 = hazardous).
        pos_weight: weight of the positive term, > 0: a float, or a tensor broadcastable to the
            last dimension of ``logits`` (one weight per output). n_neg / n_pos balances classes.
        reduction: "none" gives (*); "mean" (0 for an empty input) and "sum" give a scalar.

    Returns:
        the loss, reduced as asked. pos_weight = 1 is plain binary cross-entropy.
    """
    _check(logits, targets, reduction)
    weight = torch.as_tensor(pos_weight, dtype=logits.dtype, device=logits.device)
    if bool((weight <= 0).any()):
        raise ValueError(f"pos_weight must be > 0, got {pos_weight}")
    loss = F.binary_cross_entropy_with_logits(logits, targets.to(logits.dtype), pos_weight=weight, reduction="none")
    return _reduce(loss, reduction)


def focal_loss(
    logits: torch.Tensor,
    targets: torch.Tensor,
    *,
    alpha: float = 0.25,
    gamma: float = 2.0,
    reduction: Reduction = "mean",
) -> torch.Tensor:
    """Sigmoid focal loss (Lin et al. 2017, Eq. 5) on logits.

    p = sigmoid(x); p_t = p if y = 1 else 1 - p; alpha_t = alpha if y = 1 else 1 - alpha;
    loss_i = -alpha_t (1 - p_t)^gamma log(p_t).

    Args:
        logits: x, (*) raw scores, any shape.
        targets: y, (*) same shape, in [0, 1].
        alpha: weight of the positive class in [0, 1]; -1 switches the alpha_t factor off (as in
            torchvision). Lin et al. use 0.25 with gamma = 2 for dense detection; for a rare
            positive class with few easy negatives, the negative fraction (e.g. 0.93) is the
            class-balancing choice.
        gamma: focusing exponent >= 0; gamma = 0 gives alpha-weighted cross-entropy.
        reduction: "none" gives (*); "mean" (0 for an empty input) and "sum" give a scalar.

    Returns:
        the loss, reduced as asked; equal to ``torchvision.ops.sigmoid_focal_loss``.
    """
    _check(logits, targets, reduction)
    if not (0.0 <= alpha <= 1.0 or alpha == -1):
        raise ValueError(f"alpha must be in [0, 1] or -1 (off), got {alpha}")
    if gamma < 0:
        raise ValueError(f"gamma must be >= 0, got {gamma}")
    targets = targets.to(logits.dtype)
    p = torch.sigmoid(logits)
    ce = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")  # -log(p_t)
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce * (1 - p_t) ** gamma
    if alpha >= 0:
        loss = (alpha * targets + (1 - alpha) * (1 - targets)) * loss
    return _reduce(loss, reduction)
