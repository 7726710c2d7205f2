"""P, R, F1, OA and Cohen's kappa (seed 004 Eq. 8-12) against hand counts and scikit-learn."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, cohen_kappa_score, f1_score, precision_score, recall_score

from mineguard.evaluation.classification import classification_scores, threshold_probabilities


def test_known_answer() -> None:
    # TP 3, FN 1, FP 2, TN 4: P 0.6, R 0.75, OA 0.7, F1 2/3; Pe = (4*5 + 6*5)/100 = 0.5, kappa 0.4
    y_true = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0]
    y_pred = [1, 1, 1, 0, 1, 1, 0, 0, 0, 0]
    s = classification_scores(y_true, y_pred)
    assert (s.tp, s.fn, s.fp, s.tn, s.n) == (3, 1, 2, 4, 10)
    assert s.precision == pytest.approx(0.6) and s.recall == pytest.approx(0.75)
    assert s.overall_accuracy == pytest.approx(0.7) and s.f1 == pytest.approx(2 / 3)
    assert s.kappa == pytest.approx(0.4)


@pytest.mark.parametrize("seed", range(5))
def test_agrees_with_sklearn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 2, 200)
    y_pred = np.where(rng.random(200) < 0.7, y_true, 1 - y_true)
    s = classification_scores(y_true, y_pred)
    assert s.kappa == pytest.approx(cohen_kappa_score(y_true, y_pred))
    assert s.precision == pytest.approx(precision_score(y_true, y_pred))
    assert s.recall == pytest.approx(recall_score(y_true, y_pred))
    assert s.f1 == pytest.approx(f1_score(y_true, y_pred))
    assert s.overall_accuracy == pytest.approx(accuracy_score(y_true, y_pred))


def test_all_one_class() -> None:
    negatives = classification_scores([0, 0, 0], [0, 0, 0])
    assert negatives.overall_accuracy == 1.0 and negatives.tn == 3
    assert math.isnan(negatives.precision) and math.isnan(negatives.recall) and math.isnan(negatives.f1)
    assert math.isnan(negatives.kappa)  # P_e = 1: agreement beyond chance is undefined
    assert negatives.as_dict()["kappa"] is None
    missed = classification_scores([1, 1, 0], [0, 0, 0])
    assert missed.recall == 0.0 and missed.f1 == 0.0 and math.isnan(missed.precision)
    assert missed.kappa == pytest.approx(cohen_kappa_score([1, 1, 0], [0, 0, 0]))


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="no samples"):
        classification_scores([], [])
    with pytest.raises(ValueError, match="one prediction per sample"):
        classification_scores([0, 1], [0])
    with pytest.raises(ValueError, match="only 0"):
        classification_scores([0, 2], [0, 1])
    with pytest.raises(ValueError, match="1-D"):
        classification_scores(np.zeros((2, 2)), np.zeros((2, 2)))


def test_threshold_probabilities() -> None:
    assert threshold_probabilities(np.array([0.1, 0.8, 0.79]), 0.8).tolist() == [0, 1, 0]
    assert threshold_probabilities(np.array([0.5])).dtype == np.int64
    with pytest.raises(ValueError, match="threshold"):
        threshold_probabilities(np.array([0.5]), 1.5)
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        threshold_probabilities(np.array([np.nan]))
