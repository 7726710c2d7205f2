"""ArcFace additive angular margin (Deng et al. 2019 Eq. 3): known answers."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from mineguard.losses.arcface import arcface_logits, arcface_loss

W = torch.tensor([[1.0, 0.0], [0.0, 1.0]])


def test_zero_margin_is_scaled_cosine_softmax() -> None:
    x = torch.tensor([[3.0, 4.0], [-1.0, 2.0]])
    y = torch.tensor([0, 1])
    cos = F.normalize(x, dim=1) @ W.T
    torch.testing.assert_close(arcface_logits(x, W, y, scale=10.0, margin=0.0), 10.0 * cos)
    torch.testing.assert_close(arcface_loss(x, W, y, scale=10.0, margin=0.0), F.cross_entropy(10.0 * cos, y))


def test_target_logit_is_cos_theta_plus_m() -> None:
    x = torch.tensor([[math.cos(0.3), math.sin(0.3)]])  # 0.3 rad from class 0, 1.27 rad from class 1
    logits = arcface_logits(x, W, torch.tensor([0]), scale=1.0, margin=0.5)
    assert logits[0, 0].item() == pytest.approx(math.cos(0.8), abs=1e-6)
    assert logits[0, 1].item() == pytest.approx(math.sin(0.3), abs=1e-6)  # other classes untouched


def test_beyond_pi_minus_m_keeps_falling() -> None:
    x = torch.tensor([[-1.0, 0.01]])  # ~pi from class 0
    logits = arcface_logits(x, W, torch.tensor([0]), scale=1.0, margin=0.5)
    cos = F.normalize(x, dim=1)[0, 0].item()
    assert logits[0, 0].item() == pytest.approx(cos - 0.5 * math.sin(0.5), abs=1e-6)


def test_margin_raises_the_loss_and_gradients_flow() -> None:
    x = torch.tensor([[0.9, 0.1], [0.2, 0.8]], requires_grad=True)
    y = torch.tensor([0, 1])
    plain, margin = arcface_loss(x, W, y, margin=0.0), arcface_loss(x, W, y, margin=0.5)
    assert margin.item() > plain.item()
    margin.backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


@pytest.mark.parametrize("margin", [-0.1, 2.0])
def test_bad_margin(margin: float) -> None:
    with pytest.raises(ValueError):
        arcface_logits(torch.ones(1, 2), W, torch.tensor([0]), margin=margin)


def test_bad_shapes() -> None:
    with pytest.raises(ValueError):
        arcface_logits(torch.ones(1, 3), W, torch.tensor([0]))
