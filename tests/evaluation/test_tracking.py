"""Tracking metrics: IDF1, MOTA and ID switches on hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mineguard.evaluation.tracking import evaluate_tracking

A = [0.0, 0.0, 10.0, 10.0]
B = [100.0, 0.0, 110.0, 10.0]
FAR = [500.0, 500.0, 510.0, 510.0]


def frame(*items: tuple[int, list[float]]) -> tuple[np.ndarray, np.ndarray]:
    return np.array([i for i, _ in items], np.int64), np.array([b for _, b in items], np.float64).reshape(-1, 4)


def test_perfect_tracks_score_1() -> None:
    gt = [frame((1, A), (2, B)) for _ in range(5)]
    pred = [frame((7, A), (3, B)) for _ in range(5)]  # ids need not equal, only stay consistent
    m = evaluate_tracking(gt, pred)
    assert m.idf1 == 1.0 and m.idp == 1.0 and m.idr == 1.0
    assert m.mota == 1.0 and m.id_switches == 0 and m.matches == 10


def test_one_id_switch_hand_computed() -> None:
    """Two people, 4 frames; B's track changes id 2 → 3 at frame 3; one false positive on frame 4.

    IDF1: pairs a↔1 (4 frames) and b↔2 (2 frames, tie with b↔3): IDTP 6, IDFN 8 − 6 = 2,
    IDFP 9 − 6 = 3 → IDF1 = 12 / 17. MOTA: FN 0, FP 1, IDSW 1 over 8 → 0.75.
    """
    gt = [frame((1, A), (2, B)) for _ in range(4)]
    pred = [frame((1, A), (2, B)), frame((1, A), (2, B)), frame((1, A), (3, B)), frame((1, A), (3, B), (4, FAR))]
    m = evaluate_tracking(gt, pred)
    assert (m.idtp, m.idfp, m.idfn) == (6, 3, 2)
    assert m.idf1 == pytest.approx(12 / 17)
    assert m.idp == pytest.approx(6 / 9) and m.idr == pytest.approx(6 / 8)
    assert (m.misses, m.false_positives, m.id_switches) == (0, 1, 1)
    assert m.mota == pytest.approx(0.75)


def test_misses_and_iou_threshold() -> None:
    """A shifted box at IoU 1/3 does not correspond at 0.5 but does at 0.3."""
    shifted = [5.0, 0.0, 15.0, 10.0]  # IoU with A: 50 / 150
    gt = [frame((1, A)), frame((1, A)), frame((1, A))]
    pred = [frame((1, A)), frame((1, shifted)), frame()]
    m = evaluate_tracking(gt, pred)
    assert (m.matches, m.misses, m.false_positives) == (1, 2, 1)
    assert m.mota == pytest.approx(1 - 3 / 3)
    assert m.idf1 == pytest.approx(2 * 1 / (2 * 1 + 1 + 2))
    loose = evaluate_tracking(gt, pred, iou_threshold=0.3)
    assert (loose.matches, loose.misses, loose.false_positives) == (2, 1, 0)
    assert loose.mota == pytest.approx(2 / 3) and loose.idf1 == pytest.approx(4 / 5)


def test_continuity_beats_higher_iou() -> None:
    """Two predictions overlap one person; the one already matched keeps it: no spurious switch."""
    near = [1.0, 0.0, 11.0, 10.0]
    gt = [frame((1, A))] * 3
    pred = [frame((5, near)), frame((5, near), (6, A)), frame((5, near), (6, A))]
    m = evaluate_tracking(gt, pred)
    assert m.id_switches == 0 and m.false_positives == 2 and m.mota == pytest.approx(1 - 2 / 3)


def test_switch_counted_after_a_gap_in_matching() -> None:
    gt = [frame((1, A))] * 3
    pred = [frame((5, A)), frame(), frame((6, A))]
    m = evaluate_tracking(gt, pred)
    assert m.id_switches == 1 and m.misses == 1


def test_empty_and_invalid_input() -> None:
    m = evaluate_tracking([frame(), frame()], [frame(), frame()])
    assert math.isnan(m.idf1) and math.isnan(m.mota) and m.num_gt == 0
    m = evaluate_tracking([frame()], [frame((1, A))])
    assert m.idf1 == 0.0 and math.isnan(m.mota) and m.false_positives == 1
    nan_box = evaluate_tracking([frame((1, A))], [frame((1, [np.nan, 0.0, 10.0, 10.0]))])
    assert nan_box.matches == 0
    with pytest.raises(ValueError, match="frames"):
        evaluate_tracking([frame()], [])
    with pytest.raises(ValueError, match="twice"):
        evaluate_tracking([frame((1, A), (1, B))], [frame()])
    with pytest.raises(ValueError, match="iou_threshold"):
        evaluate_tracking([frame()], [frame()], iou_threshold=0.0)
    with pytest.raises(ValueError, match="ids but"):
        evaluate_tracking([(np.array([1, 2]), np.zeros((1, 4)))], [frame()])
