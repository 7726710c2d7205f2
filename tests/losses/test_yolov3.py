"""Seed 000's loss: sample-balanced confidence loss (Eqs. 8-11), DIoU (Eq. 13), their sum with the
class loss (Eq. 15) over an anchor head's maps — hand-computed values."""

from __future__ import annotations

import math

import pytest
import torch
from torchvision.ops import distance_box_iou_loss

from mineguard.losses.yolov3 import YOLOv3Loss, YOLOv3LossWeights, balanced_confidence_loss
from mineguard.ops.iou import diou_loss

LN2 = math.log(2.0)


def test_confidence_per_sample_known_values() -> None:
    # o = 0: δ = 1/2, 2λ - 1 = 1/2, CE = ln 2; o = ln 3, t = 1: δ = 3/4, weight 1/4, CE = -ln 3/4
    logits = torch.tensor([0.0, math.log(3.0), 0.0, math.log(3.0)])
    targets = torch.tensor([1.0, 1.0, 0.0, 0.0])
    got = balanced_confidence_loss(logits, targets, reduction="none")
    expected = torch.tensor([0.5 * LN2, 0.25 * -math.log(0.75), 0.5 * LN2, 0.75 * -math.log(0.25)])
    torch.testing.assert_close(got, expected, atol=1e-6, rtol=1e-6)


def test_easy_samples_weigh_nothing_and_wrong_ones_fully() -> None:
    easy = balanced_confidence_loss(torch.tensor([30.0, -30.0]), torch.tensor([1.0, 0.0]), reduction="none")
    assert (easy < 1e-6).all()
    wrong = balanced_confidence_loss(torch.tensor([-30.0]), torch.tensor([1.0]), reduction="none")
    assert float(wrong) == pytest.approx(-math.log(1e-7), rel=1e-3)  # weight 1, CE capped by ζ


def test_positives_and_negatives_are_averaged_separately() -> None:
    # positives [0, ln 3] -> (ln2/2 + ln(4/3)/4) / 2; negatives [0] x 1 or x 1000 -> ln2/2 either way
    pos = (0.5 * LN2 + 0.25 * -math.log(0.75)) / 2
    logits = torch.tensor([0.0, math.log(3.0), 0.0])
    targets = torch.tensor([1.0, 1.0, 0.0])
    assert float(balanced_confidence_loss(logits, targets)) == pytest.approx(pos + 0.5 * LN2, rel=1e-5)
    many = torch.cat((logits, torch.zeros(999)))
    many_t = torch.cat((targets, torch.zeros(999)))
    assert float(balanced_confidence_loss(many, many_t)) == pytest.approx(pos + 0.5 * LN2, rel=1e-5)


def test_ignored_samples_and_empty_sets() -> None:
    logits, targets = torch.tensor([0.0, 5.0]), torch.tensor([0.0, 0.0])
    valid = torch.tensor([True, False])
    assert float(balanced_confidence_loss(logits, targets, valid=valid)) == pytest.approx(0.5 * LN2, rel=1e-5)
    assert float(balanced_confidence_loss(torch.zeros(0), torch.zeros(0))) == 0.0
    with pytest.raises(ValueError, match="balanced"):
        balanced_confidence_loss(logits, targets, reduction="mean")  # type: ignore[arg-type]


def test_diou_known_value_and_torchvision() -> None:
    a, b = torch.tensor([[0.0, 0.0, 2.0, 2.0]]), torch.tensor([[1.0, 1.0, 3.0, 3.0]])
    # IoU 1/7, centres (1,1) and (2,2): ρ² = 2, enclosing 3x3: c² = 18
    assert float(diou_loss(a, b)) == pytest.approx(1 - 1 / 7 + 2 / 18, rel=1e-6)
    assert float(diou_loss(a, a)) == pytest.approx(0.0, abs=1e-6)
    torch.testing.assert_close(diou_loss(a, b), distance_box_iou_loss(a, b), atol=1e-6, rtol=1e-6)


ANCHORS = torch.tensor([[[8.0, 8.0]], [[16.0, 16.0]], [[32.0, 32.0]]])  # one anchor per level


def _maps(b: int = 1, k: int = 2) -> list[torch.Tensor]:
    return [torch.zeros(b, 1, 64 // s, 64 // s, 5 + k, requires_grad=True) for s in (8, 16, 32)]


def test_perfect_prediction_has_no_box_loss_and_known_class_loss() -> None:
    maps = _maps()
    target = torch.tensor([[0, 1, 16.0, 16.0, 32.0, 32.0]])  # 16x16 at centre (24, 24): level 1, cell (1, 1)
    loss = YOLOv3Loss(num_classes=2)(maps, target, ANCHORS)
    assert set(loss) == {"box", "conf", "cls"}
    # t = 0 at cell (1, 1), stride 16: centre (24, 24), size 16 x 16 = the target exactly
    assert loss["box"].item() == pytest.approx(0.0, abs=1e-6)
    assert loss["cls"].item() == pytest.approx(2 * LN2, rel=1e-5)  # two classes at logit 0


def test_sum_is_eq_15_and_weights_scale_terms() -> None:
    maps = _maps()
    target = torch.tensor([[0, 0, 4.0, 4.0, 20.0, 28.0]])
    plain = YOLOv3Loss(num_classes=2)(maps, target, ANCHORS)
    scaled = YOLOv3Loss(num_classes=2, weights=YOLOv3LossWeights(box=2.0, conf=0.5, cls=0.0))(maps, target, ANCHORS)
    torch.testing.assert_close(scaled["box"], 2 * plain["box"])
    torch.testing.assert_close(scaled["conf"], 0.5 * plain["conf"])
    assert scaled["cls"].item() == 0.0
    sum(plain.values()).backward()
    assert all(m.grad is not None and torch.isfinite(m.grad).all() for m in maps)


def test_no_targets_leaves_only_the_negatives() -> None:
    loss = YOLOv3Loss(num_classes=2)(_maps(2), torch.zeros(0, 6), ANCHORS)
    assert loss["box"].item() == loss["cls"].item() == 0.0
    assert loss["conf"].item() == pytest.approx(0.5 * LN2, rel=1e-5)  # every cell at logit 0, t = 0


def test_plain_yolov3_loss_known_values() -> None:
    """form="yolov3": a perfect box has no box loss; every one of the 84 cells (64 px, one anchor a level)
    at logit 0 adds ln 2 of confidence loss, summed; two classes at logit 0 add 2 ln 2."""
    maps = _maps()
    target = torch.tensor([[0, 1, 16.0, 16.0, 32.0, 32.0]])  # level 1, cell (1, 1), the anchor's own size
    loss = YOLOv3Loss(num_classes=2, form="yolov3")(maps, target, ANCHORS)
    assert loss["box"].item() == pytest.approx(0.0, abs=1e-6)
    assert loss["cls"].item() == pytest.approx(2 * LN2, rel=1e-5)
    assert loss["conf"].item() == pytest.approx(84 * LN2, rel=1e-5)
    # t_w off by ln 2 (a box twice the width): (ln 2)² weighted by 2 - 16·16 / 64²
    with torch.no_grad():
        maps[1][0, 0, 1, 1, 2] = math.log(2.0)
    loss = YOLOv3Loss(num_classes=2, form="yolov3")(maps, target, ANCHORS)
    assert loss["box"].item() == pytest.approx((2 - 256 / 4096) * math.log(2.0) ** 2, rel=1e-5)
    sum(loss.values()).backward()
    assert all(m.grad is not None and torch.isfinite(m.grad).all() for m in maps)


def test_plain_yolov3_loss_is_averaged_over_the_batch() -> None:
    target = torch.tensor([[0, 1, 16.0, 16.0, 32.0, 32.0]])
    one = YOLOv3Loss(num_classes=2, form="yolov3")(_maps(1), target, ANCHORS)
    two = YOLOv3Loss(num_classes=2, form="yolov3")(_maps(2), target, ANCHORS)  # image 1 has no box
    assert two["conf"].item() == pytest.approx(84 * LN2, rel=1e-5)  # (84 + 84) ln 2 / 2
    assert two["cls"].item() == pytest.approx(one["cls"].item() / 2, rel=1e-5)


def test_an_unknown_loss_form_is_named() -> None:
    with pytest.raises(ValueError, match="loss form must be one of eq15, yolov3, got 'focal'"):
        YOLOv3Loss(num_classes=2, form="focal")


def test_confidence_means_per_level_or_over_all_levels() -> None:
    """No targets: 64 + 16 cells at logit 0 (ℓ = ½ ln 2 each) and the 4 coarse cells at p = 0.75 (ℓ = 0.75 ln 4)."""
    maps = _maps()
    with torch.no_grad():
        maps[2][..., 4] = math.log(3.0)
    coarse = 0.75 * math.log(4.0)
    per_level = YOLOv3Loss(num_classes=2)(maps, torch.zeros(0, 6), ANCHORS)["conf"].item()
    assert per_level == pytest.approx((0.5 * LN2 + 0.5 * LN2 + coarse) / 3, rel=1e-5)
    pooled = YOLOv3Loss(num_classes=2, conf_balance="all")(maps, torch.zeros(0, 6), ANCHORS)["conf"].item()
    assert pooled == pytest.approx((80 * 0.5 * LN2 + 4 * coarse) / 84, rel=1e-5)
    with pytest.raises(ValueError, match="conf_balance must be 'level' or 'all'"):
        YOLOv3Loss(num_classes=2, conf_balance="cells")
