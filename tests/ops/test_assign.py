"""TaskAlignedAssigner on hand-made scenes where the right assignment is known.

Anchors: the 8 x 8 cell centres of a 64 x 64 image at stride 8, i.e. pixels 4, 12, ..., 60.
Anchor index of the centre (x, y) is (y // 8) * 8 + x // 8.
"""

from __future__ import annotations

import pytest
import torch

from mineguard.ops.anchors import make_anchors
from mineguard.ops.assign import TaskAlignedAssigner

NUM_CLASSES = 2


def _anchors() -> torch.Tensor:
    points, strides = make_anchors([(8, 8)], [8])
    return points * strides  # (64, 2) pixels


def _index(x: float, y: float) -> int:
    return int(y // 8) * 8 + int(x // 8)


def _scene(batch: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """Low scores and far-away predicted boxes everywhere (alignment ~0 unless a test sets it)."""
    scores = torch.full((batch, 64, NUM_CLASSES), 0.01)
    boxes = torch.tensor([100.0, 100.0, 101.0, 101.0]).expand(batch, 64, 4).clone()
    return scores, boxes


def _gts(boxes: list[list[list[float]]], labels: list[list[int]], mask: list[list[bool]]) -> tuple[torch.Tensor, ...]:
    return torch.tensor(labels), torch.tensor(boxes), torch.tensor(mask)


def test_one_gt_takes_its_topk_anchors_and_normalises_scores_to_its_best_iou() -> None:
    gt = [0.0, 0.0, 24.0, 24.0]  # contains the 9 anchors with x, y in {4, 12, 20}
    inside = [_index(x, y) for y in (4, 12, 20) for x in (4, 12, 20)]
    scores, boxes = _scene()
    class_scores = torch.linspace(0.1, 0.9, 9)  # distinct class-1 scores for the inside anchors
    for i, s in zip(inside, class_scores, strict=True):
        scores[0, i, 1] = s
        boxes[0, i] = torch.tensor([0.0, 0.0, 12.0, 24.0])  # half the GT: IoU 0.5 everywhere
    for i in (_index(36, 36), _index(44, 4)):  # outside anchors with perfect predictions are never taken
        scores[0, i, 1] = 0.99
        boxes[0, i] = torch.tensor(gt)
    labels, gt_boxes, gt_mask = _gts([[gt]], [[1]], [[True]])

    out = TaskAlignedAssigner(topk=3, num_classes=NUM_CLASSES)(scores, boxes, _anchors(), labels, gt_boxes, gt_mask)

    top3 = set(inside[6:])  # scores 0.7, 0.8, 0.9 (IoU equal, so t ranks by score)
    assert set(out.foreground[0].nonzero().flatten().tolist()) == top3
    fg = out.foreground[0]
    assert (out.target_scores[0, fg].argmax(-1) == 1).all()
    assert (out.target_scores[0, ~fg] == 0).all()
    torch.testing.assert_close(out.target_boxes[0, fg], torch.tensor([gt] * 3))
    # t = s^0.5 u^6, normalised per GT so that its best anchor gets the GT's best IoU (0.5)
    assert out.target_scores[0].max().item() == pytest.approx(0.5, abs=1e-6)
    expected = 0.5 * (class_scores[6:] / class_scores[8]).sqrt()
    torch.testing.assert_close(out.target_scores[0, inside[6:], 1], expected)


def test_anchor_inside_two_gts_goes_to_the_gt_its_prediction_overlaps_more() -> None:
    gt_a, gt_b = [0.0, 0.0, 24.0, 24.0], [8.0, 8.0, 40.0, 40.0]  # share the anchors x, y in {12, 20}
    shared_to_b, shared_to_a = _index(20, 20), _index(12, 12)
    scores, boxes = _scene()
    scores[0, :, :] = 0.5
    boxes[0, shared_to_b] = torch.tensor(gt_b)  # IoU with B = 1, with A = 256 / 1344
    boxes[0, shared_to_a] = torch.tensor(gt_a)  # IoU with A = 1
    labels, gt_boxes, gt_mask = _gts([[gt_a, gt_b]], [[0, 1]], [[True, True]])

    out = TaskAlignedAssigner(topk=16, num_classes=NUM_CLASSES)(scores, boxes, _anchors(), labels, gt_boxes, gt_mask)

    assert out.foreground[0, shared_to_b] and out.foreground[0, shared_to_a]
    assert out.target_gt_index[0, shared_to_b] == 1
    assert out.target_gt_index[0, shared_to_a] == 0
    assert out.target_scores[0, shared_to_b].argmax() == 1
    assert out.target_scores[0, shared_to_a].argmax() == 0
    torch.testing.assert_close(out.target_boxes[0, shared_to_b], torch.tensor(gt_b))
    torch.testing.assert_close(out.target_boxes[0, shared_to_a], torch.tensor(gt_a))
    # every foreground anchor belongs to exactly one GT and lies inside it
    for i in out.foreground[0].nonzero().flatten().tolist():
        x1, y1, x2, y2 = out.target_boxes[0, i].tolist()
        ax, ay = _anchors()[i].tolist()
        assert x1 < ax < x2 and y1 < ay < y2


def test_anchor_claimed_by_two_gts_with_zero_overlap_stays_with_a_gt_that_contains_it() -> None:
    """Ties at IoU 0 (early training) must not send the anchor to GT 0, which does not contain it."""
    gts = [[0.0, 0.0, 16.0, 16.0], [32.0, 32.0, 64.0, 64.0], [40.0, 40.0, 64.0, 64.0]]
    scores, boxes = _scene()  # predictions far away: IoU 0 with every GT
    labels, gt_boxes, gt_mask = _gts([gts], [[0, 1, 1]], [[True, True, True]])
    out = TaskAlignedAssigner(topk=16, num_classes=NUM_CLASSES)(scores, boxes, _anchors(), labels, gt_boxes, gt_mask)
    shared = _index(44, 44)  # inside GT 1 and GT 2
    assert out.foreground[0, shared]
    assert out.target_gt_index[0, shared] in (1, 2)
    anchors = _anchors()
    for i in out.foreground[0].nonzero().flatten().tolist():
        x1, y1, x2, y2 = out.target_boxes[0, i].tolist()
        assert x1 < anchors[i, 0] < x2 and y1 < anchors[i, 1] < y2


def test_padded_gts_get_nothing() -> None:
    real, padded = [0.0, 0.0, 24.0, 24.0], [32.0, 32.0, 64.0, 64.0]
    scores, boxes = _scene(batch=2)
    scores[:] = 0.5
    boxes[:] = torch.tensor(padded)  # predictions match the padded box perfectly
    labels, gt_boxes, gt_mask = _gts(
        [[real, padded], [padded, padded]], [[0, 1], [1, 1]], [[True, False], [False, False]]
    )

    out = TaskAlignedAssigner(topk=10, num_classes=NUM_CLASSES)(scores, boxes, _anchors(), labels, gt_boxes, gt_mask)

    assert out.foreground[0].sum() == 9  # the real GT's 9 inside anchors (topk 10 > 9)
    assert (out.target_gt_index[0][out.foreground[0]] == 0).all()
    assert not out.foreground[1].any()  # image 1 has only padding
    assert (out.target_scores[1] == 0).all()


@pytest.mark.parametrize("with_padding_rows", [False, True])
def test_no_gt_at_all_gives_no_foreground(with_padding_rows: bool) -> None:
    scores, boxes = _scene(batch=2)
    m = 2 if with_padding_rows else 0
    labels = torch.zeros(2, m, dtype=torch.long)
    gt_boxes = torch.zeros(2, m, 4)
    gt_mask = torch.zeros(2, m, dtype=torch.bool)
    out = TaskAlignedAssigner(num_classes=NUM_CLASSES)(scores, boxes, _anchors(), labels, gt_boxes, gt_mask)
    assert out.foreground.shape == (2, 64) and not out.foreground.any()
    assert out.target_scores.shape == (2, 64, NUM_CLASSES) and (out.target_scores == 0).all()
    assert out.target_boxes.shape == (2, 64, 4)


def test_topk_one_gives_exactly_one_positive_per_gt() -> None:
    gts = [[0.0, 0.0, 16.0, 16.0], [32.0, 0.0, 64.0, 24.0], [8.0, 40.0, 40.0, 64.0]]  # disjoint
    g = torch.Generator().manual_seed(0)
    scores = torch.rand(1, 64, NUM_CLASSES, generator=g)
    anchors = _anchors()
    boxes = torch.cat((anchors - 6, anchors + 6), -1)[None]  # 12 x 12 boxes on every anchor
    labels, gt_boxes, gt_mask = _gts([gts], [[0, 1, 0]], [[True, True, True]])

    out = TaskAlignedAssigner(topk=1, num_classes=NUM_CLASSES)(scores, boxes, anchors, labels, gt_boxes, gt_mask)

    assert out.foreground.sum() == 3
    assert sorted(out.target_gt_index[out.foreground].tolist()) == [0, 1, 2]
    # the winner of each GT is its inside anchor with the largest s^0.5 u^6
    for j, gt in enumerate(gts):
        x1, y1, x2, y2 = gt
        inside = (anchors[:, 0] > x1) & (anchors[:, 0] < x2) & (anchors[:, 1] > y1) & (anchors[:, 1] < y2)
        cand = inside.nonzero().flatten()
        iou = torch.tensor([_iou(boxes[0, i].tolist(), gt) for i in cand.tolist()])
        t = scores[0, cand, labels[0, j]].sqrt() * iou**6
        winner = cand[t.argmax()].item()
        assert out.foreground[0, winner] and out.target_gt_index[0, winner] == j


def test_gt_with_zero_alignment_still_gets_k_inside_anchors() -> None:
    """Early in training no prediction overlaps the GT (t = 0): it still takes k anchors inside it."""
    gt = [0.0, 0.0, 24.0, 24.0]
    scores, boxes = _scene()  # predictions far away: IoU 0 everywhere
    labels, gt_boxes, gt_mask = _gts([[gt]], [[0]], [[True]])
    out = TaskAlignedAssigner(topk=4, num_classes=NUM_CLASSES)(scores, boxes, _anchors(), labels, gt_boxes, gt_mask)
    fg = out.foreground[0].nonzero().flatten().tolist()
    assert len(fg) == 4
    inside = {_index(x, y) for y in (4, 12, 20) for x in (4, 12, 20)}
    assert set(fg) <= inside
    assert torch.isfinite(out.target_scores).all()


def _iou(a: list[float], b: list[float]) -> float:
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def test_anchor_assignment_picks_the_best_shape_and_the_centre_cell() -> None:
    from mineguard.ops.assign import assign_to_anchors

    anchors = torch.tensor([[[4.0, 4.0], [8.0, 8.0]], [[16.0, 16.0], [16.0, 32.0]], [[48.0, 48.0], [64.0, 64.0]]])
    targets = torch.tensor(
        [
            [0, 1, 0.0, 0.0, 8.0, 8.0],  # 8x8 -> level 0 anchor 1, centre (4, 4) / 8 -> cell (0, 0)
            [1, 0, 20.0, 10.0, 36.0, 42.0],  # 16x32 -> level 1 anchor 1, centre (28, 26) / 16 -> cell (1, 1)
            [1, 2, 0.0, 0.0, 60.0, 60.0],  # 60x60 -> level 2 anchor 1, centre (30, 30) / 32 -> cell (0, 0)
        ]
    )
    levels = assign_to_anchors(targets, anchors, (8, 16, 32), [(8, 8), (4, 4), (2, 2)])
    got = [(lv.batch.tolist(), lv.anchor.tolist(), lv.gy.tolist(), lv.gx.tolist(), lv.labels.tolist()) for lv in levels]
    assert got == [([0], [1], [0], [0], [1]), ([1], [1], [1], [1], [0]), ([1], [1], [0], [0], [2])]
    torch.testing.assert_close(levels[1].boxes, targets[1:2, 2:])
    empty = assign_to_anchors(torch.zeros(0, 6), anchors, (8, 16, 32), [(8, 8), (4, 4), (2, 2)])
    assert all(len(lv.batch) == 0 for lv in empty)
