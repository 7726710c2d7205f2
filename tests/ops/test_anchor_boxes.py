"""Anchor boxes of anchor-based heads: the IoU of shapes (seed 000 Eq. 6), mean IoU (Eq. 7),
mean-IoU clustering, and YOLOv3 box decoding — known answers."""

from __future__ import annotations

import math

import pytest
import torch

from mineguard.ops.anchors import cluster_anchors, decode_anchor_boxes, mean_iou, wh_iou


def test_wh_iou_known_values() -> None:
    wh = torch.tensor([[2.0, 2.0], [4.0, 4.0], [2.0, 8.0]])
    anchors = torch.tensor([[2.0, 2.0], [4.0, 2.0]])
    # 4x4 vs 4x2: overlap 8, union 16; 2x8 vs 2x2: overlap 4, union 16; 2x8 vs 4x2: overlap 4, union 20
    expected = torch.tensor([[1.0, 0.5], [0.25, 0.5], [0.25, 0.2]])
    torch.testing.assert_close(wh_iou(wh, anchors), expected)


def test_mean_iou_is_the_mean_best_iou() -> None:
    # 2x2 matches exactly (1), 4x4 overlaps it by a quarter (0.25): MIoU = 0.625
    assert float(mean_iou(torch.tensor([[2.0, 2.0], [4.0, 4.0]]), torch.tensor([[2.0, 2.0]]))) == pytest.approx(0.625)


def test_clustering_recovers_three_exact_shapes() -> None:
    shapes = torch.tensor([[60.0, 40.0], [10.0, 12.0], [30.0, 90.0]])
    wh = shapes.repeat_interleave(torch.tensor([5, 7, 3]), dim=0)
    anchors, score = cluster_anchors(wh, 3)
    torch.testing.assert_close(anchors, shapes[[1, 0, 2]])  # sorted by area: 120, 2400, 2700
    assert score == pytest.approx(1.0)


def test_clustering_is_seeded_sorted_and_never_worse_than_one_anchor() -> None:
    g = torch.Generator().manual_seed(0)
    wh = torch.rand(300, 2, generator=g) * 200 + 4
    a1, s1 = cluster_anchors(wh, 9, seed=3)
    a2, s2 = cluster_anchors(wh, 9, seed=3)
    assert torch.equal(a1, a2) and s1 == s2
    area = a1.prod(1)
    assert (area[1:] >= area[:-1]).all()
    assert s1 == pytest.approx(float(mean_iou(wh, a1)), abs=1e-6)
    assert s1 > float(mean_iou(wh, wh.median(0).values[None]))


def test_clustering_needs_k_boxes() -> None:
    with pytest.raises(ValueError, match="need at least k=9"):
        cluster_anchors(torch.tensor([[1.0, 2.0], [0.0, 3.0]]), 9)


def test_decode_known_values() -> None:
    raw = torch.zeros(1, 2, 2, 3, 4)  # B, A, H, W, (tx, ty, tw, th)
    raw[0, 1, 1, 2] = torch.tensor([0.0, 0.0, math.log(2.0), 0.0])
    anchors = torch.tensor([[10.0, 20.0], [4.0, 6.0]])
    boxes = decode_anchor_boxes(raw, anchors, 8)
    # t = 0 at cell (0, 0), anchor 0: centre (0.5·8, 0.5·8), size 10 x 20
    torch.testing.assert_close(boxes[0, 0, 0, 0], torch.tensor([-1.0, -6.0, 9.0, 14.0]))
    # cell (x 2, y 1), anchor 1, width e^{ln 2} x 4: centre (20, 12), size 8 x 6
    torch.testing.assert_close(boxes[0, 1, 1, 2], torch.tensor([16.0, 9.0, 24.0, 15.0]))
