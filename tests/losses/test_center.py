"""Center loss (seed 002 Eq. 20), the Wen et al. center update and the joint loss (Eq. 21)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from mineguard.losses.center import CenterLoss, center_loss, center_update, joint_loss

CENTERS = torch.tensor([[0.0, 0.0], [1.0, 1.0], [-2.0, 4.0]])


def test_features_on_their_centers_give_zero() -> None:
    labels = torch.tensor([2, 0, 1, 2])
    assert center_loss(CENTERS[labels], labels, CENTERS).item() == 0.0


def test_known_answer() -> None:
    """x0 = (3, 4) vs c0 = (0, 0): 25; x1 = (1, 2) vs c1 = (1, 1): 1 -> sum 1/2 * 26 = 13, mean 6.5."""
    features = torch.tensor([[3.0, 4.0], [1.0, 2.0]])
    labels = torch.tensor([0, 1])
    assert center_loss(features, labels, CENTERS, reduction="sum").item() == pytest.approx(13.0)
    assert center_loss(features, labels, CENTERS).item() == pytest.approx(6.5)


def test_gradient_is_x_minus_center() -> None:
    features = torch.randn(5, 2, generator=torch.Generator().manual_seed(0), requires_grad=True)
    labels = torch.tensor([0, 1, 2, 1, 0])
    center_loss(features, labels, CENTERS, reduction="sum").backward()
    torch.testing.assert_close(features.grad, features.detach() - CENTERS[labels])


def test_empty_batch_gives_zero_not_nan() -> None:
    loss = center_loss(torch.zeros(0, 2), torch.zeros(0, dtype=torch.long), CENTERS)
    assert loss.item() == 0.0


def test_bad_shapes_and_reduction() -> None:
    with pytest.raises(ValueError, match="one label each"):
        center_loss(torch.zeros(3, 2), torch.zeros(2, dtype=torch.long), CENTERS)
    with pytest.raises(ValueError, match="feature size of the centers"):
        center_loss(torch.zeros(2, 5), torch.zeros(2, dtype=torch.long), CENTERS)
    with pytest.raises(ValueError, match="reduction must be"):
        center_loss(CENTERS, torch.arange(3), CENTERS, reduction="none")  # type: ignore[arg-type]


def test_center_update_known_answer() -> None:
    """Class 0: two samples (2, 0), (4, 2) at c0 = (0, 0): delta = -(6, 2) / 3 = (-2, -2/3);
    alpha 0.5 -> c0 = (1, 1/3). Class 1: one sample (3, 1) at c1 = (1, 1): delta = (-2, 0) / 2
    -> c1 = (1.5, 1). Class 2 has no sample and stays."""
    features = torch.tensor([[2.0, 0.0], [4.0, 2.0], [3.0, 1.0]])
    labels = torch.tensor([0, 0, 1])
    new = center_update(features, labels, CENTERS, alpha=0.5)
    torch.testing.assert_close(new, torch.tensor([[1.0, 1 / 3], [1.5, 1.0], [-2.0, 4.0]]))
    assert CENTERS[0].tolist() == [0.0, 0.0]  # the input is left alone
    with pytest.raises(ValueError, match="alpha must be in"):
        center_update(features, labels, CENTERS, alpha=1.5)


def test_centers_move_in_training_only_and_loss_uses_the_old_centers() -> None:
    module = CenterLoss(num_classes=3, feature_dim=2, alpha=0.5)
    features = torch.tensor([[2.0, 0.0], [4.0, 2.0], [3.0, 1.0]], requires_grad=True)
    labels = torch.tensor([0, 0, 1])
    module.eval()
    module(features, labels)
    assert module.centers.abs().sum() == 0
    module.train()
    loss = module(features, labels)
    assert loss.item() == pytest.approx(0.5 * (4 + 20 + 10) / 3)  # against the zero centers
    torch.testing.assert_close(module.centers, torch.tensor([[1.0, 1 / 3], [0.75, 0.25], [0.0, 0.0]]))
    loss.backward()  # the in-place center update does not break the graph
    torch.testing.assert_close(features.grad, features.detach() / 3)
    assert "centers" in module.state_dict() and not list(module.parameters())


def test_joint_loss_total_is_ce_plus_lambda_center() -> None:
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(4, 3, generator=generator)
    features = torch.randn(4, 2, generator=generator)
    labels = torch.tensor([0, 1, 2, 1])
    module = CenterLoss(num_classes=3, feature_dim=2)
    module.centers.copy_(CENTERS)
    module.eval()
    out = joint_loss(logits, features, labels, module)
    assert set(out) == {"ce", "center", "total"}
    torch.testing.assert_close(out["ce"], F.cross_entropy(logits, labels))
    torch.testing.assert_close(out["center"], center_loss(features, labels, CENTERS))
    torch.testing.assert_close(out["total"], out["ce"] + 0.01 * out["center"])
    with pytest.raises(ValueError, match="lam must be >= 0"):
        joint_loss(logits, features, labels, module, lam=-1.0)
