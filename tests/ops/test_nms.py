"""In-graph class-wise NMS with fixed-size output."""

from __future__ import annotations

import torch

from mineguard.ops.nms import nms_padded

BOXES = torch.tensor([[[0.0, 0.0, 10.0, 10.0], [1.0, 1.0, 10.0, 10.0], [20.0, 20.0, 30.0, 30.0]]])
SCORES = torch.tensor([[[0.9, 0.1], [0.8, 0.7], [0.5, 0.0]]])


def test_overlapping_box_of_the_same_class_goes_other_class_stays() -> None:
    out = nms_padded(BOXES, SCORES, iou=0.5, max_det=5)
    assert out.shape == (1, 5, 6)
    expected = torch.tensor(
        [
            [0.0, 0.0, 10.0, 10.0, 0.9, 0.0],  # box 1 class 0 (IoU 0.81 with it) is suppressed
            [1.0, 1.0, 10.0, 10.0, 0.7, 1.0],  # multi-label: box 1 as class 1 stays
            [20.0, 20.0, 30.0, 30.0, 0.5, 0.0],
        ]
    )
    torch.testing.assert_close(out[0, :3], expected)
    assert (out[0, 3:, 4] <= 0.1).all() and (out[0, 4] == 0).all()  # then box 0 class 1 (0.1), then padding


def test_images_do_not_suppress_each_other_and_max_det_cuts() -> None:
    out = nms_padded(BOXES.repeat(2, 1, 1), SCORES.repeat(2, 1, 1), iou=0.5, max_det=2)
    assert out.shape == (2, 2, 6)
    torch.testing.assert_close(out[0], out[1])
    torch.testing.assert_close(out[0, :, 4], torch.tensor([0.9, 0.7]))


def test_no_candidates_above_zero_gives_zero_scores() -> None:
    out = nms_padded(BOXES, torch.zeros(1, 3, 2), max_det=4)
    assert out.shape == (1, 4, 6) and (out[..., 4] == 0).all()
