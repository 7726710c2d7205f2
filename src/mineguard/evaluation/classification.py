"""Binary classification scores: precision, recall, F1, overall accuracy and Cohen's kappa.

seed 004 Eq. 8-12, with TP / FP / TN / FN counted for the positive class (1, e.g. open pit):

* P = TP / (TP + FP)                         (Eq. 8)
* R = TP / (TP + FN)                         (Eq. 9)
* F1 = 2 P R / (P + R)                       (Eq. 10)
* OA = (TP + TN) / (TP + TN + FP + FN)       (Eq. 11)
* kappa = (P_o - P_e) / (1 - P_e)            (Eq. 12), P_o = OA, P_e = sum_k c_k d_k / N^2 with
  c_k the true and d_k the predicted count of class k.

A ratio with an empty denominator (no predicted positive; no true positive; P_e = 1 because both
truth and prediction are all one class) is ``nan`` — undefined, never a silent 0 or 1.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np


def _ratio(num: float, den: float) -> float:
    return num / den if den else float("nan")


@dataclass(frozen=True)
class ClassificationScores:
    """Confusion counts and the scores of seed 004 Eq. 8-12 (``nan`` where undefined)."""

    tp: int
    fp: int
    tn: int
    fn: int
    precision: float
    recall: float
    f1: float
    overall_accuracy: float
    kappa: float

    @property
    def n(self) -> int:
        return self.tp + self.fp + self.tn + self.fn

    def as_dict(self) -> dict[str, float | int | None]:
        """JSON-ready (``nan`` -> None)."""
        return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in asdict(self).items()}


def _binary(values: np.ndarray | list[int], name: str) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of 0 / 1 labels, got shape {array.shape}")
    if array.size and not np.isin(array, (0, 1)).all():
        raise ValueError(
            f"{name} must hold only 0 (negative) and 1 (positive), got {sorted(np.unique(array).tolist())[:5]}"
        )
    return array.astype(bool)


def classification_scores(y_true: np.ndarray | list[int], y_pred: np.ndarray | list[int]) -> ClassificationScores:
    """Scores of predictions ``y_pred`` (N,) against ``y_true`` (N,), both 0 / 1; N > 0."""
    truth, pred = _binary(y_true, "y_true"), _binary(y_pred, "y_pred")
    if len(truth) != len(pred):
        raise ValueError(f"{len(truth)} true labels but {len(pred)} predictions — one prediction per sample")
    if len(truth) == 0:
        raise ValueError("no samples to score: y_true and y_pred are empty")
    tp, fp = int(np.sum(truth & pred)), int(np.sum(~truth & pred))
    fn, tn = int(np.sum(truth & ~pred)), int(np.sum(~truth & ~pred))
    n = tp + fp + fn + tn
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    f1 = _ratio(2 * tp, 2 * tp + fp + fn)  # = 2PR / (P + R), defined even when P or R is 0
    observed = (tp + tn) / n
    expected = ((tp + fn) * (tp + fp) + (tn + fp) * (tn + fn)) / n**2
    kappa = _ratio(observed - expected, 1.0 - expected) if not math.isclose(expected, 1.0) else float("nan")
    return ClassificationScores(tp, fp, tn, fn, precision, recall, f1, observed, kappa)


def threshold_probabilities(probabilities: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """(N,) int64 labels: 1 where the probability of the positive class is >= ``threshold`` (in [0, 1])."""
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must be in [0, 1], got {threshold}")
    p = np.asarray(probabilities, dtype=np.float64)
    if p.ndim != 1 or (p.size and (np.isnan(p).any() or p.min() < 0.0 or p.max() > 1.0)):
        raise ValueError("probabilities must be a 1-D array of numbers in [0, 1]")
    return (p >= threshold).astype(np.int64)
