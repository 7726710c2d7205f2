"""Per-group scores: classes pooled into their groups, then the same COCO evaluator."""

from __future__ import annotations

import numpy as np
import pytest

from mineguard.data.records import Detections
from mineguard.evaluation.groups import evaluate_groups, group_index, regroup

NAMES = ["crack", "fire", "no_helmet"]
GROUPS = {"natural": ["crack", "fire"], "management": ["no_helmet"]}


def _dets(rows: list[tuple[float, float, float, float, int, float]]) -> Detections:
    a = np.array(rows, np.float32).reshape(-1, 6)
    return Detections(a[:, :4], a[:, 4].astype(np.int64), a[:, 5])


def test_each_class_takes_its_groups_number() -> None:
    np.testing.assert_array_equal(group_index(NAMES, GROUPS), [0, 0, 1])
    got = regroup(_dets([(0, 0, 5, 5, 1, 0.9), (0, 0, 5, 5, 2, 0.4)]), group_index(NAMES, GROUPS))
    np.testing.assert_array_equal(got.class_id, [0, 1])
    np.testing.assert_allclose(got.confidence, [0.9, 0.4])


def test_a_box_of_the_wrong_class_in_the_right_group_is_a_hit_for_the_group() -> None:
    truth = [_dets([(0, 0, 10, 10, 0, 1.0), (20, 20, 30, 30, 2, 1.0)])]
    # crack labelled, fire predicted (same group); the bare head found as it is
    pred = [_dets([(0, 0, 10, 10, 1, 0.9), (20, 20, 30, 30, 2, 0.8)])]
    m = evaluate_groups(pred, truth, NAMES, GROUPS)
    assert m.names == ("natural", "management")
    np.testing.assert_allclose(m.ap50, [1.0, 1.0], atol=1e-6)
    np.testing.assert_allclose(m.recall, [1.0, 1.0])
    np.testing.assert_allclose(m.precision, [1.0, 1.0])


def test_a_group_without_a_hit_scores_zero_and_a_group_without_labels_is_nan() -> None:
    truth = [_dets([(0, 0, 10, 10, 0, 1.0)])]
    pred = [_dets([(50, 50, 60, 60, 0, 0.9)])]
    m = evaluate_groups(pred, truth, NAMES, GROUPS)
    assert m.ap50[0] == 0.0 and np.isnan(m.ap50[1])


@pytest.mark.parametrize(
    ("groups", "message"),
    [
        ({"natural": ["crack", "fire", "water"], "management": ["no_helmet"]}, "'water', which is not a class"),
        ({"natural": ["crack", "fire"], "management": ["no_helmet", "fire"]}, "'fire' is in two groups"),
        ({"natural": ["crack"], "management": ["no_helmet"]}, "classes in no group: fire"),
    ],
)
def test_a_bad_grouping_is_named(groups: dict[str, list[str]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        group_index(NAMES, groups)
