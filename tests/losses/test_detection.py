"""Detection losses: DFL and padding known answers, the dual-branch YOLOv10 loss."""

from __future__ import annotations

import math

import pytest
import torch

from mineguard.losses.detection import (
    BranchLoss,
    LossWeights,
    V10DetectionLoss,
    distribution_focal_loss,
    targets_to_padded,
)
from mineguard.ops.anchors import make_anchors
from mineguard.ops.boxes import box_to_distance

REG_MAX = 16
NUM_CLASSES = 2
STRIDES = (8, 16, 32)
SIZES = [(8, 8), (4, 4), (2, 2)]  # 64 px input
TERMS = {"box_om", "cls_om", "dfl_om", "box_oo", "cls_oo", "dfl_oo"}


# --------------------------------------------------------------------------- DFL


def test_dfl_target_on_a_bin_with_peaked_logits_is_zero() -> None:
    logits = torch.zeros(1, REG_MAX)
    logits[0, 3] = 50.0
    assert distribution_focal_loss(logits, torch.tensor([3.0])).item() == pytest.approx(0.0, abs=1e-12)


def test_dfl_half_way_target_splits_weight_evenly() -> None:
    """Target 2.5 -> weights 0.5 / 0.5 on bins 2 and 3; with p2 = p3 = 1/2 each CE is log 2."""
    logits = torch.full((1, REG_MAX), -50.0)
    logits[0, 2:4] = 0.0
    loss = distribution_focal_loss(logits.requires_grad_(), torch.tensor([2.5]))
    assert loss.item() == pytest.approx(math.log(2), abs=1e-6)
    (grad,) = torch.autograd.grad(loss.sum(), logits)  # the optimum of a 2.5 target
    assert grad.abs().max() < 1e-6


def test_dfl_known_value_for_uneven_weights() -> None:
    probs = torch.full((REG_MAX,), 0.0 / REG_MAX)
    probs[2], probs[3] = 0.6, 0.4
    logits = probs.clamp(min=1e-30).log()[None].repeat(2, 1)
    got = distribution_focal_loss(logits, torch.tensor([2.25, 2.0]))
    expected = torch.tensor([-0.75 * math.log(0.6) - 0.25 * math.log(0.4), -math.log(0.6)])
    torch.testing.assert_close(got, expected)


def test_dfl_uniform_logits_cost_log_reg_max_whatever_the_target() -> None:
    got = distribution_focal_loss(torch.zeros(3, REG_MAX), torch.tensor([0.0, 7.3, 14.99]))
    torch.testing.assert_close(got, torch.full((3,), math.log(REG_MAX)))


def test_dfl_empty() -> None:
    assert distribution_focal_loss(torch.zeros(0, REG_MAX), torch.zeros(0)).shape == (0,)


# --------------------------------------------------------------------------- targets_to_padded


def test_targets_to_padded_known_answer() -> None:
    """Three images: image 0 has two boxes, image 1 none, image 2 one; rows arrive unsorted."""
    targets = torch.tensor(
        [
            [2, 1, 10, 11, 12, 13],
            [0, 0, 1, 2, 3, 4],
            [0, 1, 5, 6, 7, 8],
        ],
        dtype=torch.float32,
    )
    labels, boxes, mask = targets_to_padded(targets, 3)
    torch.testing.assert_close(labels, torch.tensor([[0, 1], [0, 0], [1, 0]]))
    torch.testing.assert_close(mask, torch.tensor([[True, True], [False, False], [True, False]]))
    expected = torch.tensor(
        [
            [[1.0, 2, 3, 4], [5, 6, 7, 8]],  # image order of rows is kept
            [[0, 0, 0, 0], [0, 0, 0, 0]],
            [[10, 11, 12, 13], [0, 0, 0, 0]],
        ]
    )
    torch.testing.assert_close(boxes, expected)


def test_targets_to_padded_empty() -> None:
    labels, boxes, mask = targets_to_padded(torch.zeros(0, 6), 2)
    assert labels.shape == (2, 0) and boxes.shape == (2, 0, 4) and mask.shape == (2, 0)


def test_targets_to_padded_trailing_images_without_boxes() -> None:
    labels, boxes, mask = targets_to_padded(torch.tensor([[0.0, 1, 0, 0, 1, 1]]), 4)
    assert boxes.shape == (4, 1, 4) and labels.shape == (4, 1) and mask.tolist() == [[True], [False], [False], [False]]


# --------------------------------------------------------------------------- V10DetectionLoss


def _maps(seed: int = 0, batch: int = 2) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(batch, 4 * REG_MAX + NUM_CLASSES, h, w, generator=g).requires_grad_() for h, w in SIZES]


def _outputs(seed: int = 0) -> dict[str, list[torch.Tensor]]:
    return {"one2many": _maps(seed), "one2one": _maps(seed + 1)}


TARGETS = torch.tensor(
    [
        [0, 1, 8.0, 8.0, 40.0, 40.0],
        [0, 0, 30.0, 4.0, 60.0, 20.0],
        [1, 1, 2.0, 30.0, 30.0, 62.0],
    ]
)


@pytest.mark.parametrize("box_loss", ["ciou", "eiou", "giou", "diou", "iou"])
def test_loss_terms_finite_non_negative_and_differentiable(box_loss: str) -> None:
    outputs = _outputs()
    terms = V10DetectionLoss(num_classes=NUM_CLASSES, box_loss=box_loss)(outputs, TARGETS)
    assert set(terms) == TERMS
    for name, value in terms.items():
        assert value.shape == () and torch.isfinite(value) and value >= 0, name
        assert value > 0, name  # random predictions: every term is positive
    sum(terms.values()).backward()
    for maps in outputs.values():
        assert all(m.grad is not None and torch.isfinite(m.grad).all() for m in maps)


def test_no_targets_gives_zero_box_and_dfl_but_positive_cls() -> None:
    outputs = _outputs()
    terms = V10DetectionLoss(num_classes=NUM_CLASSES)(outputs, torch.zeros(0, 6))
    assert set(terms) == TERMS
    for branch in ("om", "oo"):
        assert terms[f"box_{branch}"].item() == 0.0
        assert terms[f"dfl_{branch}"].item() == 0.0
        assert terms[f"cls_{branch}"].item() > 0.0
    sum(terms.values()).backward()  # still a graph: the empty terms do not break backward
    assert all(torch.isfinite(m.grad).all() for m in outputs["one2many"])


def test_box_loss_choice_changes_box_terms_only() -> None:
    ciou = V10DetectionLoss(num_classes=NUM_CLASSES, box_loss="ciou")(_outputs(), TARGETS)
    eiou = V10DetectionLoss(num_classes=NUM_CLASSES, box_loss="eiou")(_outputs(), TARGETS)
    for key in ("box_om", "box_oo"):
        assert not torch.isclose(ciou[key], eiou[key])
    for key in ("cls_om", "cls_oo", "dfl_om", "dfl_oo"):
        torch.testing.assert_close(ciou[key], eiou[key])


def test_unknown_box_loss_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown box loss"):
        V10DetectionLoss(num_classes=NUM_CLASSES, box_loss="siou")


def test_one_to_one_branch_uses_a_single_anchor_per_target() -> None:
    loss = V10DetectionLoss(num_classes=NUM_CLASSES)
    assert loss.one2one.assigner.topk == 1 and loss.one2many.assigner.topk == 10


def test_weights_scale_the_terms() -> None:
    base = BranchLoss(num_classes=NUM_CLASSES, strides=STRIDES)(_maps(), TARGETS)
    doubled = BranchLoss(num_classes=NUM_CLASSES, strides=STRIDES, weights=LossWeights(box=15.0, cls=1.0, dfl=3.0))(
        _maps(), TARGETS
    )
    for key in ("box", "cls", "dfl"):
        torch.testing.assert_close(doubled[key], 2 * base[key])


def _perfect_maps(gt_box: list[float]) -> list[torch.Tensor]:
    """Maps whose DFL decodes every anchor inside ``gt_box`` to exactly that box (two-bin
    distributions with the right mean) and whose class-1 score is high."""
    anchors, strides = make_anchors(SIZES, STRIDES)
    target = box_to_distance(anchors, torch.tensor(gt_box) / strides, REG_MAX - 1)  # (N, 4) cells
    left = target.floor().long()
    weight_right = target - left
    probs = torch.zeros(anchors.shape[0], 4, REG_MAX)
    probs.scatter_(-1, left[..., None], (1 - weight_right)[..., None])
    probs.scatter_add_(-1, (left + 1).clamp(max=REG_MAX - 1)[..., None], weight_right[..., None])
    dist_logits = probs.clamp(min=1e-12).log().view(-1, 4 * REG_MAX)  # (N, 64)
    cls_logits = torch.tensor([-4.0, 4.0]).expand(anchors.shape[0], 2)
    flat = torch.cat((dist_logits, cls_logits), 1).T[None]  # (1, 66, N)
    maps, start = [], 0
    for h, w in SIZES:
        maps.append(flat[..., start : start + h * w].reshape(1, -1, h, w))
        start += h * w
    return maps


@pytest.mark.parametrize("box_loss", ["ciou", "eiou"])
def test_perfect_box_prediction_costs_no_box_loss(box_loss: str) -> None:
    gt = [8.0, 8.0, 40.0, 40.0]
    targets = torch.tensor([[0, 1, *gt]])
    branch = BranchLoss(num_classes=NUM_CLASSES, strides=STRIDES, box_loss=box_loss)
    perfect = branch(_perfect_maps(gt), targets)
    random = branch(_maps(batch=1), targets)
    assert perfect["box"].item() == pytest.approx(0.0, abs=1e-4)
    assert random["box"] > 0.1
    assert perfect["dfl"] < random["dfl"]
    assert perfect["cls"] < random["cls"]
