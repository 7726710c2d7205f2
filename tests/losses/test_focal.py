"""Class-weighted BCE and sigmoid focal loss (Lin et al. 2017 Eq. 5): known answers and torchvision agreement."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torchvision.ops import sigmoid_focal_loss

from mineguard.losses.focal import focal_loss, weighted_bce


def _batch(n: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(n, generator=g) * 3
    targets = (torch.rand(n, generator=g) < 0.3).float()
    return logits, targets


def test_pos_weight_known_answer() -> None:
    """x = 0 -> p = 0.5: a positive with pos_weight 3 costs 3 ln 2, a negative ln 2; mean (3 + 1) ln 2 / 2."""
    logits, targets = torch.zeros(2), torch.tensor([1.0, 0.0])
    loss = weighted_bce(logits, targets, pos_weight=3.0, reduction="none")
    torch.testing.assert_close(loss, torch.tensor([3 * math.log(2), math.log(2)]))
    assert weighted_bce(logits, targets, pos_weight=3.0).item() == pytest.approx(2 * math.log(2))
    assert weighted_bce(logits, targets, pos_weight=3.0, reduction="sum").item() == pytest.approx(4 * math.log(2))


def test_pos_weight_one_is_plain_bce() -> None:
    logits, targets = _batch()
    torch.testing.assert_close(weighted_bce(logits, targets), F.binary_cross_entropy_with_logits(logits, targets))


def test_gamma_zero_alpha_half_is_half_bce() -> None:
    logits, targets = _batch()
    bce = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    torch.testing.assert_close(focal_loss(logits, targets, alpha=0.5, gamma=0.0, reduction="none"), 0.5 * bce)


def test_certain_and_right_costs_nothing() -> None:
    """p_t = 1 (sigmoid saturates in float32) -> the focal term (1 - p_t)^gamma is 0."""
    logits, targets = torch.tensor([100.0, -100.0]), torch.tensor([1.0, 0.0])
    assert focal_loss(logits, targets, reduction="sum").item() == 0.0


def test_focal_down_weights_easy_examples() -> None:
    """p_t = 0.9 vs 0.1: focal / BCE = alpha (1 - p_t)^2 -> 0.01 alpha for the easy one, 0.81 alpha for the hard."""
    x = math.log(9.0)  # sigmoid(x) = 0.9
    logits, targets = torch.tensor([x, -x]), torch.tensor([1.0, 1.0])
    ratio = focal_loss(logits, targets, reduction="none") / F.binary_cross_entropy_with_logits(
        logits, targets, reduction="none"
    )
    torch.testing.assert_close(ratio, torch.tensor([0.25 * 0.01, 0.25 * 0.81]))


@pytest.mark.parametrize(("alpha", "gamma"), [(0.25, 2.0), (0.9, 2.0), (-1, 1.5), (0.5, 0.0)])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_agrees_with_torchvision(alpha: float, gamma: float, reduction: str) -> None:
    logits, targets = _batch()
    logits = logits.double().reshape(8, 8)
    targets = targets.double().reshape(8, 8)
    ours = focal_loss(logits, targets, alpha=alpha, gamma=gamma, reduction=reduction)
    theirs = sigmoid_focal_loss(logits, targets, alpha=alpha, gamma=gamma, reduction=reduction)
    torch.testing.assert_close(ours, theirs, atol=1e-6, rtol=1e-6)


def test_gradients_flow() -> None:
    logits, targets = _batch()
    logits.requires_grad_(True)
    (focal_loss(logits, targets) + weighted_bce(logits, targets, pos_weight=5.0)).backward()
    assert logits.grad is not None and torch.isfinite(logits.grad).all()


def test_empty_input_gives_zero_not_nan() -> None:
    empty = torch.zeros(0)
    assert focal_loss(empty, empty).item() == 0.0
    assert weighted_bce(empty, empty, pos_weight=2.0).item() == 0.0


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="same shape"):
        focal_loss(torch.zeros(3), torch.zeros(4))
    with pytest.raises(ValueError, match="reduction"):
        weighted_bce(torch.zeros(3), torch.zeros(3), reduction="max")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="pos_weight"):
        weighted_bce(torch.zeros(3), torch.zeros(3), pos_weight=0.0)
    with pytest.raises(ValueError, match="alpha"):
        focal_loss(torch.zeros(3), torch.zeros(3), alpha=1.5)
    with pytest.raises(ValueError, match="gamma"):
        focal_loss(torch.zeros(3), torch.zeros(3), gamma=-1.0)
