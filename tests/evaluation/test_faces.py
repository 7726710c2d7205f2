"""Known-answer tests of the face identification / verification metrics."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mineguard.evaluation.faces import (
    PrecisionMiss,
    open_set_prf,
    per_person_precision_and_miss,
    rank1_accuracy,
    roc_points,
    tar_at_far,
    threshold_at_far,
)


def test_rank1_accuracy() -> None:
    assert rank1_accuracy(["a", "b", None, "a"], ["a", "c", "c", "a"]) == 0.5
    assert math.isnan(rank1_accuracy([], []))
    with pytest.raises(ValueError, match="one prediction per probe"):
        rank1_accuracy(["a"], [])


def test_open_set_prf_known_answer() -> None:
    true = ["a", "a", "b", "b", None, None]
    pred = ["a", None, "a", "b", "b", None]  # 2 correct, 1 miss, 1 wrong name, 1 false accept, 1 reject
    scores = open_set_prf(pred, true)
    assert (scores.n_known, scores.n_unknown, scores.n_identified, scores.n_correct) == (4, 2, 4, 2)
    assert scores.precision == pytest.approx(2 / 4)
    assert scores.recall == pytest.approx(2 / 4)
    assert scores.f1 == pytest.approx(0.5)
    assert scores.false_accept_rate == pytest.approx(1 / 2)


def test_open_set_prf_all_unknown_probes() -> None:
    rejected = open_set_prf([None, None], [None, None])
    assert math.isnan(rejected.precision) and math.isnan(rejected.recall) and math.isnan(rejected.f1)
    assert rejected.false_accept_rate == 0.0
    assert rejected.to_dict()["precision"] is None
    accepted = open_set_prf(["a", None], [None, None])
    assert accepted.precision == 0.0 and accepted.false_accept_rate == 0.5 and math.isnan(accepted.f1)


def test_open_set_prf_edge_cases() -> None:
    empty = open_set_prf([], [])
    assert empty.n_known == empty.n_unknown == 0 and math.isnan(empty.f1) and math.isnan(empty.false_accept_rate)
    all_wrong = open_set_prf(["b"], ["a"])
    assert all_wrong.precision == 0.0 and all_wrong.recall == 0.0 and all_wrong.f1 == 0.0
    perfect = open_set_prf(["a", None], ["a", None])
    assert (perfect.precision, perfect.recall, perfect.f1, perfect.false_accept_rate) == (1.0, 1.0, 1.0, 0.0)


def test_per_person_precision_and_miss_known_answer() -> None:
    true = ["a", "a", "a", "a", "b", "b", None]
    pred = ["a", "a", "a", None, "a", "b", "c"]
    scores = per_person_precision_and_miss(pred, true)
    assert list(scores) == ["a", "b", "c"]
    assert scores["a"] == PrecisionMiss(precision=pytest.approx(3 / 4), miss_rate=pytest.approx(1 / 4))
    assert scores["b"] == (1.0, 0.5)
    assert scores["c"].precision == 0.0 and math.isnan(scores["c"].miss_rate)
    assert per_person_precision_and_miss([], []) == {}
    only_rejected = per_person_precision_and_miss([None], ["a"])["a"]
    assert math.isnan(only_rejected.precision) and only_rejected.miss_rate == 1.0


def test_tar_at_far_known_answer() -> None:
    impostor = np.arange(100) / 100
    genuine = [0.5, 0.97, 0.985, 0.99, 1.0]
    tar, threshold = tar_at_far(genuine, impostor, far=0.01)
    assert 0.98 < threshold < 0.9801
    assert tar == pytest.approx(3 / 5)
    tar10, threshold10 = tar_at_far(genuine, impostor, far=0.1)  # 10 impostors (0.90..0.99) may pass
    assert 0.89 < threshold10 < 0.8901 and tar10 == pytest.approx(4 / 5)
    assert tar_at_far(genuine, impostor, far=1.0) == (1.0, 0.0)  # everything accepted
    assert math.isnan(tar_at_far([], impostor)[0])


def test_threshold_at_far_bad_input() -> None:
    with pytest.raises(ValueError, match="impostor"):
        threshold_at_far([0.9], [])
    with pytest.raises(ValueError, match=r"far must be in \[0, 1\]"):
        threshold_at_far([0.9], [0.1], far=1.5)
    with pytest.raises(ValueError, match="NaN"):
        threshold_at_far([0.9], [float("nan")])


def test_roc_points_known_answer() -> None:
    roc = roc_points([0.9, 0.6], [0.7, 0.2])
    np.testing.assert_array_equal(roc.thresholds, [np.inf, 0.9, 0.7, 0.6, 0.2])
    np.testing.assert_array_equal(roc.tar, [0.0, 0.5, 0.5, 1.0, 1.0])
    np.testing.assert_array_equal(roc.far, [0.0, 0.0, 0.5, 0.5, 1.0])
    tied = roc_points([0.5, 0.5, 0.9], [0.5, 0.1])  # a tie across genuine and impostor: one threshold
    np.testing.assert_array_equal(tied.thresholds, [np.inf, 0.9, 0.5, 0.1])
    np.testing.assert_allclose(tied.tar, [0.0, 1 / 3, 1.0, 1.0])
    np.testing.assert_allclose(tied.far, [0.0, 0.0, 0.5, 1.0])
    with pytest.raises(ValueError, match="both genuine and impostor"):
        roc_points([], [0.1])
