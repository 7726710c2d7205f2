"""IoU-family measures and losses: known answers, torchvision agreement, empty and bad input."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from torchvision import ops as tv

from mineguard.ops.iou import (
    BOX_LOSSES,
    box_iou_pairwise,
    ciou_loss,
    diou_loss,
    eiou_loss,
    get_box_loss,
    giou_loss,
    iou_loss,
)


def _random_boxes(n: int, seed: int) -> torch.Tensor:
    """(n, 4) valid xyxy float64 boxes (positive width and height), overlapping often."""
    g = torch.Generator().manual_seed(seed)
    xy = torch.rand(n, 2, dtype=torch.float64, generator=g) * 10
    wh = torch.rand(n, 2, dtype=torch.float64, generator=g) * 8 + 0.5
    return torch.cat((xy, xy + wh), 1)


# --------------------------------------------------------------------------- box_iou_pairwise


def test_box_iou_pairwise_known_values() -> None:
    a = torch.tensor([[0.0, 0, 2, 2], [1, 1, 3, 3]])
    b = torch.tensor([[0.0, 0, 1, 1], [0, 0, 2, 2], [5, 5, 6, 6]])
    expected = torch.tensor([[0.25, 1.0, 0.0], [0.0, 1 / 7, 0.0]])  # (1,1)-(1,1) corners touch: IoU 0
    torch.testing.assert_close(box_iou_pairwise(a, b), expected)


def test_box_iou_pairwise_matches_torchvision() -> None:
    a, b = _random_boxes(7, 0), _random_boxes(5, 1)
    torch.testing.assert_close(box_iou_pairwise(a, b, eps=0.0), tv.box_iou(a, b), rtol=0, atol=1e-12)


def test_box_iou_pairwise_empty() -> None:
    assert box_iou_pairwise(torch.zeros(0, 4), _random_boxes(3, 0).float()).shape == (0, 3)
    assert box_iou_pairwise(_random_boxes(2, 0).float(), torch.zeros(0, 4)).shape == (2, 0)


# --------------------------------------------------------------------------- agreement with torchvision

TORCHVISION_EQUIVALENTS = [
    (giou_loss, tv.generalized_box_iou_loss),
    (diou_loss, tv.distance_box_iou_loss),
    (ciou_loss, tv.complete_box_iou_loss),
]


@pytest.mark.parametrize(("ours", "theirs"), TORCHVISION_EQUIVALENTS, ids=["giou", "diou", "ciou"])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_matches_torchvision(ours: Callable, theirs: Callable, reduction: str) -> None:
    a = _random_boxes(64, 2).requires_grad_()
    b = _random_boxes(64, 3)
    # a few identical and disjoint pairs as well
    with torch.no_grad():
        b[:4] = a[:4]
        b[4:8] = a[4:8] + 30
    got = ours(a, b, reduction=reduction)
    want = theirs(a, b, reduction=reduction)
    torch.testing.assert_close(got, want, rtol=0, atol=1e-6)
    (grad_got,) = torch.autograd.grad(got.sum(), a)
    (grad_want,) = torch.autograd.grad(want.sum(), a)
    torch.testing.assert_close(grad_got, grad_want, rtol=0, atol=1e-6)


# --------------------------------------------------------------------------- known answers


@pytest.mark.parametrize("loss", BOX_LOSSES.values(), ids=BOX_LOSSES.keys())
def test_identical_boxes_give_zero(loss: Callable) -> None:
    boxes = _random_boxes(10, 4)
    torch.testing.assert_close(loss(boxes, boxes.clone()), torch.zeros(10, dtype=torch.float64), rtol=0, atol=1e-6)


def test_quarter_size_box_inside_gives_iou_quarter() -> None:
    outer = torch.tensor([[0.0, 0, 4, 4]])
    inner = torch.tensor([[1.0, 1, 3, 3]])  # a quarter of the area, same centre
    torch.testing.assert_close(iou_loss(inner, outer), torch.tensor([0.75]))
    # same centre: DIoU adds nothing; GIoU: enclosing box = outer = union, adds nothing either
    torch.testing.assert_close(diou_loss(inner, outer), torch.tensor([0.75]))
    torch.testing.assert_close(giou_loss(inner, outer), torch.tensor([0.75]))


def test_giou_disjoint_known_value() -> None:
    # two unit squares 1 apart: union 2, enclosing box 3 x 1 -> GIoU = 0 - (3 - 2) / 3
    a, b = torch.tensor([[0.0, 0, 1, 1]]), torch.tensor([[2.0, 0, 3, 1]])
    torch.testing.assert_close(giou_loss(a, b), torch.tensor([1 + 1 / 3]))
    # DIoU: centres 2 apart, enclosing diagonal² = 9 + 1 -> 1 + 4/10
    torch.testing.assert_close(diou_loss(a, b), torch.tensor([1.4]))


def test_eiou_known_value() -> None:
    # A = [0,0,2,2], B = [0,0,1,1]: IoU 1/4; centres (1,1),(0.5,0.5) -> ρ² = 0.5, c² = 2² + 2² = 8;
    # width (2-1)²/2² = 1/4, height 1/4 -> 1 - 0.25 + 0.0625 + 0.25 + 0.25 = 1.3125
    a, b = torch.tensor([[0.0, 0, 2, 2]]), torch.tensor([[0.0, 0, 1, 1]])
    torch.testing.assert_close(eiou_loss(a, b), torch.tensor([1.3125]))
    torch.testing.assert_close(eiou_loss(b, a), torch.tensor([1.3125]))  # symmetric


def test_eiou_matches_the_formula_on_random_boxes() -> None:
    a, b = _random_boxes(50, 5), _random_boxes(50, 6)
    inter_w = (torch.min(a[:, 2], b[:, 2]) - torch.max(a[:, 0], b[:, 0])).clamp(min=0)
    inter_h = (torch.min(a[:, 3], b[:, 3]) - torch.max(a[:, 1], b[:, 1])).clamp(min=0)
    wa, ha, wb, hb = a[:, 2] - a[:, 0], a[:, 3] - a[:, 1], b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
    inter = inter_w * inter_h
    iou = inter / (wa * ha + wb * hb - inter)
    cw = torch.max(a[:, 2], b[:, 2]) - torch.min(a[:, 0], b[:, 0])
    ch = torch.max(a[:, 3], b[:, 3]) - torch.min(a[:, 1], b[:, 1])
    rho2 = ((a[:, 0] + a[:, 2] - b[:, 0] - b[:, 2]) / 2) ** 2 + ((a[:, 1] + a[:, 3] - b[:, 1] - b[:, 3]) / 2) ** 2
    expected = 1 - iou + rho2 / (cw**2 + ch**2) + (wa - wb) ** 2 / cw**2 + (ha - hb) ** 2 / ch**2
    torch.testing.assert_close(eiou_loss(a, b), expected, rtol=0, atol=1e-6)


@pytest.mark.parametrize("loss", BOX_LOSSES.values(), ids=BOX_LOSSES.keys())
def test_batched_leading_dims_and_finite_gradients(loss: Callable) -> None:
    a = _random_boxes(12, 7).view(3, 4, 4).requires_grad_()
    b = _random_boxes(12, 8).view(3, 4, 4)
    out = loss(a, b)
    assert out.shape == (3, 4)
    out.sum().backward()
    assert torch.isfinite(a.grad).all()


# --------------------------------------------------------------------------- empty and bad input


@pytest.mark.parametrize("loss", BOX_LOSSES.values(), ids=BOX_LOSSES.keys())
def test_empty_input(loss: Callable) -> None:
    empty = torch.zeros(0, 4, requires_grad=True)
    assert loss(empty, empty).shape == (0,)
    mean = loss(empty, empty, reduction="mean")
    assert mean.shape == () and mean.item() == 0.0 and not torch.isnan(mean)
    assert loss(empty, empty, reduction="sum").item() == 0.0
    mean.backward()  # still part of the graph: no error, zero-size gradient
    assert empty.grad is not None and empty.grad.shape == (0, 4)


@pytest.mark.parametrize("loss", BOX_LOSSES.values(), ids=BOX_LOSSES.keys())
def test_bad_reduction(loss: Callable) -> None:
    boxes = _random_boxes(2, 0)
    with pytest.raises(ValueError, match="reduction"):
        loss(boxes, boxes, reduction="avg")


def test_get_box_loss() -> None:
    assert get_box_loss("eiou") is eiou_loss
    with pytest.raises(ValueError, match="unknown box loss 'siou'") as info:
        get_box_loss("siou")
    for name in BOX_LOSSES:
        assert name in str(info.value)
