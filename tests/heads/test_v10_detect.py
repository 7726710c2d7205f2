"""YOLOv10 dual head: output shapes, decoding, NMS-free top-k post-processing."""

from __future__ import annotations

import math

import pytest
import torch

from mineguard.heads.v10_detect import DistributionFocalDecode, V10DetectHead

IN_CHANNELS = (16, 32, 64)
SIZES = [(8, 8), (4, 4), (2, 2)]  # P3-P5 of a 64 px input
REG_MAX = 16


def _feats(requires_grad: bool = False) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return [
        torch.randn(2, c, h, w, generator=g, requires_grad=requires_grad)
        for c, (h, w) in zip(IN_CHANNELS, SIZES, strict=True)
    ]


@pytest.mark.parametrize("dyhead_depth", [0, 1])
def test_training_returns_both_branches_per_level(dyhead_depth: int) -> None:
    torch.manual_seed(0)
    head = V10DetectHead(IN_CHANNELS, num_classes=2, dyhead_depth=dyhead_depth)
    out = head(_feats())
    assert set(out) == {"one2many", "one2one"}
    for maps in out.values():
        assert [m.shape for m in maps] == [(2, 4 * REG_MAX + 2, h, w) for h, w in SIZES]
        assert all(torch.isfinite(m).all() for m in maps)


def test_one_to_one_branch_does_not_send_gradients_to_the_features() -> None:
    head = V10DetectHead(IN_CHANNELS, num_classes=2)
    feats = _feats(requires_grad=True)
    out = head(feats)
    o2o = sum(m.sum() for m in out["one2one"])
    assert all(g is None for g in torch.autograd.grad(o2o, feats, allow_unused=True))
    assert all(p.grad is None for p in head.box_o2m.parameters())
    o2o.backward()
    assert all(p.grad is not None for p in head.box_o2o.parameters())
    o2m = sum(m.sum() for m in out["one2many"])
    assert all(g is not None for g in torch.autograd.grad(o2m, feats))


@pytest.mark.parametrize(("dyhead_depth", "max_det", "k"), [(0, 300, 84), (0, 10, 10), (2, 50, 50)])
def test_eval_returns_top_k_rows(dyhead_depth: int, max_det: int, k: int) -> None:
    """K = min(max_det, anchors); 64 px input has 64 + 16 + 4 = 84 anchors."""
    torch.manual_seed(0)
    head = V10DetectHead(IN_CHANNELS, num_classes=2, dyhead_depth=dyhead_depth, max_det=max_det).eval()
    with torch.no_grad():
        out = head(_feats())
    assert out.shape == (2, k, 6)
    assert torch.isfinite(out).all()
    boxes, scores, labels = out[..., :4], out[..., 4], out[..., 5]
    assert (boxes[..., 2] >= boxes[..., 0]).all() and (boxes[..., 3] >= boxes[..., 1]).all()  # DFL distances >= 0
    assert ((scores > 0) & (scores < 1)).all()
    assert (scores[:, :-1] >= scores[:, 1:]).all()  # descending
    assert set(labels.unique().tolist()) <= {0.0, 1.0}


def test_prior_biases() -> None:
    head = V10DetectHead(IN_CHANNELS, num_classes=4)
    for branch in (head.cls_o2m, head.cls_o2o):
        for cls, stride in zip(branch, (8, 16, 32), strict=True):
            prior = 5 / 4 / (640 / stride) ** 2
            torch.testing.assert_close(cls[-1].bias, torch.full((4,), math.log(prior)))
    assert all((box[-1].bias == 1.0).all() for box in head.box_o2m)


def test_dfl_decode_is_the_expected_bin() -> None:
    logits = torch.full((1, 4 * REG_MAX, 2), -30.0)
    for side, d in enumerate((3, 0, 15, 7)):
        logits[0, side * REG_MAX + d, 0] = 30.0  # anchor 0: one-hot at bins 3, 0, 15, 7
    logits[0, :, 1] = 0.0  # anchor 1: uniform -> mean bin 7.5
    out = DistributionFocalDecode(REG_MAX)(logits)
    torch.testing.assert_close(out[0, :, 0], torch.tensor([3.0, 0.0, 15.0, 7.0]))
    torch.testing.assert_close(out[0, :, 1], torch.full((4,), 7.5))


def test_decode_known_box() -> None:
    """Peaked DFL logits at (l, t, r, b) = (1, 2, 3, 4) on the first P4 cell (centre (0.5, 0.5)
    cells = (8, 8) px at stride 16) -> box (8 - 16, 8 - 32, 8 + 48, 8 + 64) px."""
    head = V10DetectHead(IN_CHANNELS, num_classes=2)
    maps = [torch.full((1, 4 * REG_MAX + 2, h, w), -30.0) for h, w in SIZES]
    for side, d in enumerate((1, 2, 3, 4)):
        maps[1][0, side * REG_MAX + d, 0, 0] = 30.0
    maps[1][0, 4 * REG_MAX + 1, 0, 0] = 2.0  # class-1 logit
    preds = head.decode(maps)
    assert preds.shape == (1, 84, 6)
    row = preds[0, 64]  # first anchor after the 64 P3 anchors
    torch.testing.assert_close(row[:4], torch.tensor([-8.0, -24.0, 56.0, 72.0]))
    torch.testing.assert_close(
        row[4:], torch.tensor([torch.sigmoid(torch.tensor(-30.0)), torch.sigmoid(torch.tensor(2.0))])
    )


def _hand_made_predictions() -> torch.Tensor:
    """(1, 5, 4 + 3): box of anchor i is (i, i, i + 1, i + 1); class scores below."""
    scores = torch.tensor(
        [
            [0.10, 0.90, 0.20],
            [0.80, 0.85, 0.10],
            [0.30, 0.20, 0.95],
            [0.05, 0.01, 0.02],
            [0.70, 0.10, 0.60],
        ]
    )
    boxes = torch.arange(5.0)[:, None] + torch.tensor([0.0, 0.0, 1.0, 1.0])
    return torch.cat((boxes, scores), 1)[None]


def _box(i: int) -> list[float]:
    return [float(i), float(i), i + 1.0, i + 1.0]


def test_postprocess_picks_the_best_anchor_class_pairs_in_descending_score() -> None:
    head = V10DetectHead((8, 8, 8), num_classes=3, max_det=3)
    out = head.postprocess(_hand_made_predictions())
    expected = torch.tensor(
        [
            [*_box(2), 0.95, 2],
            [*_box(0), 0.90, 1],
            [*_box(1), 0.85, 1],
        ]
    )
    torch.testing.assert_close(out, expected[None])


def test_postprocess_can_return_one_anchor_twice_with_different_classes() -> None:
    """Stage 1 keeps anchors 2, 0, 1, 4 (best class score); stage 2 ranks their 12 pairs: anchor 1's
    class 0 (0.80) beats anchor 4's best (0.70)."""
    head = V10DetectHead((8, 8, 8), num_classes=3, max_det=4)
    out = head.postprocess(_hand_made_predictions())
    torch.testing.assert_close(out[0, :, 4], torch.tensor([0.95, 0.90, 0.85, 0.80]))
    torch.testing.assert_close(out[0, 3], torch.tensor([*_box(1), 0.80, 0.0]))


def test_postprocess_with_fewer_anchors_than_max_det() -> None:
    head = V10DetectHead((8, 8, 8), num_classes=3, max_det=300)
    out = head.postprocess(_hand_made_predictions())
    assert out.shape == (1, 5, 6)
    assert (out[0, :-1, 4] >= out[0, 1:, 4]).all()
    torch.testing.assert_close(out[0, -1], torch.tensor([*_box(4), 0.70, 0.0]))  # 5th pair of the 5 best anchors
