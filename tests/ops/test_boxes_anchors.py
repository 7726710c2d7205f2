"""Box format conversions, the ltrb distance encoding, clipping and anchor points."""

from __future__ import annotations

import torch

from mineguard.ops.anchors import make_anchors
from mineguard.ops.boxes import box_to_distance, clip_boxes, distance_to_box, xywh_to_xyxy, xyxy_to_xywh


def test_xywh_xyxy_known_values_and_round_trip() -> None:
    xywh = torch.tensor([[5.0, 4.0, 2.0, 6.0], [0.5, 0.5, 1.0, 1.0]])
    xyxy = torch.tensor([[4.0, 1.0, 6.0, 7.0], [0.0, 0.0, 1.0, 1.0]])
    torch.testing.assert_close(xywh_to_xyxy(xywh), xyxy)
    torch.testing.assert_close(xyxy_to_xywh(xyxy), xywh)
    boxes = torch.rand(2, 5, 4, generator=torch.Generator().manual_seed(0))  # any leading dims
    torch.testing.assert_close(xyxy_to_xywh(xywh_to_xyxy(boxes)), boxes)


def test_conversions_of_empty_input() -> None:
    assert xywh_to_xyxy(torch.zeros(0, 4)).shape == (0, 4)
    assert xyxy_to_xywh(torch.zeros(0, 4)).shape == (0, 4)


def test_distance_to_box_known_value() -> None:
    anchors = torch.tensor([[2.0, 3.0]])
    ltrb = torch.tensor([[1.0, 2.0, 3.0, 4.0]])
    torch.testing.assert_close(distance_to_box(ltrb, anchors), torch.tensor([[1.0, 1.0, 5.0, 7.0]]))


def test_distance_box_round_trip() -> None:
    g = torch.Generator().manual_seed(0)
    anchors = torch.rand(10, 2, generator=g) * 20
    ltrb = torch.rand(10, 4, generator=g) * 14  # inside [0, reg_max - 1 - 0.01) for reg_max 16
    boxes = distance_to_box(ltrb, anchors)
    torch.testing.assert_close(box_to_distance(anchors, boxes, 15), ltrb)


def test_distance_to_box_along_channel_dim() -> None:
    """The head decodes (B, 4, N) distances with anchors (1, 2, N) along dim 1."""
    g = torch.Generator().manual_seed(1)
    anchors = torch.rand(6, 2, generator=g)
    ltrb = torch.rand(2, 6, 4, generator=g)
    by_last = distance_to_box(ltrb, anchors[None])
    by_channel = distance_to_box(ltrb.permute(0, 2, 1), anchors.T[None], dim=1)
    torch.testing.assert_close(by_channel.permute(0, 2, 1), by_last)


def test_box_to_distance_clamps_to_the_last_bin() -> None:
    anchors = torch.tensor([[5.0, 5.0], [5.0, 5.0]])
    boxes = torch.tensor(
        [
            [6.0, 7.0, 30.0, 5.5],  # anchor left of / above the box: l, t < 0 -> 0; r = 25 > 15 -> 14.99
            [4.0, 4.0, 6.0, 6.0],
        ]
    )
    expected = torch.tensor([[0.0, 0.0, 14.99, 0.5], [1.0, 1.0, 1.0, 1.0]])
    torch.testing.assert_close(box_to_distance(anchors, boxes, 15), expected)


def test_clip_boxes_returns_a_clipped_copy() -> None:
    boxes = torch.tensor([[-5.0, -1.0, 50.0, 20.0], [1.0, 2.0, 3.0, 4.0]])
    clipped = clip_boxes(boxes, height=10, width=40)
    torch.testing.assert_close(clipped, torch.tensor([[0.0, 0.0, 40.0, 10.0], [1.0, 2.0, 3.0, 4.0]]))
    assert boxes[0, 0] == -5.0  # input untouched


def test_make_anchors_known_output() -> None:
    points, strides = make_anchors([(2, 2), (1, 3)], [8, 16])
    expected_points = torch.tensor(
        [[0.5, 0.5], [1.5, 0.5], [0.5, 1.5], [1.5, 1.5], [0.5, 0.5], [1.5, 0.5], [2.5, 0.5]]  # (x, y), row-major
    )
    torch.testing.assert_close(points, expected_points)
    torch.testing.assert_close(strides, torch.tensor([[8.0]] * 4 + [[16.0]] * 3))
    # in pixels: cell centres of a 16 x 16 image at stride 8 and a 16 x 48 image at stride 16
    torch.testing.assert_close((points * strides)[:4], torch.tensor([[4.0, 4], [12, 4], [4, 12], [12, 12]]))


def test_make_anchors_offset_dtype_and_empty_level() -> None:
    points, strides = make_anchors([(1, 2), (0, 0)], [4, 8], offset=0.0, dtype=torch.float64)
    assert points.dtype == strides.dtype == torch.float64
    torch.testing.assert_close(points, torch.tensor([[0.0, 0.0], [1.0, 0.0]], dtype=torch.float64))
    assert strides.shape == (2, 1)
