"""The accident-class classifier on text embeddings, and its scores (seed 003 §4.1, issue #6).

``AccidentClassifier``: class-balanced logistic regression on (N, dim) embeddings (``text_embedders``)
-> MSHA accident class, scored by ``score_classes`` (accuracy, macro-F1) against the
``majority_baseline``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from mineguard.warning.text_embedders import as_embeddings


@dataclass(frozen=True)
class ClassificationScores:
    """Accident-class scores on ``n`` test incidents. Macro-F1 averages the F1 of ``classes``: every class
    in the test labels or the predictions (sklearn's default set), each counting equally however rare."""

    accuracy: float
    macro_f1: float
    n: int
    classes: tuple[str, ...]
    per_class_f1: dict[str, float]


def score_classes(y_true: Sequence[str], y_pred: Sequence[str]) -> ClassificationScores:
    if len(y_true) != len(y_pred) or not y_true:
        raise ValueError(f"need equal, non-empty label lists, got {len(y_true)} and {len(y_pred)}")
    classes = sorted(set(y_true) | set(y_pred))
    per_class = f1_score(y_true, y_pred, labels=classes, average=None, zero_division=0)
    return ClassificationScores(
        float(accuracy_score(y_true, y_pred)),
        float(np.mean(per_class)),
        len(y_true),
        tuple(classes),
        dict(zip(classes, map(float, per_class), strict=True)),
    )


def majority_baseline(train_labels: Sequence[str], test_labels: Sequence[str]) -> ClassificationScores:
    """Scores of always predicting the most common training class."""
    majority = Counter(train_labels).most_common(1)[0][0]
    return score_classes(list(test_labels), [majority] * len(test_labels))


class AccidentClassifier:
    """Logistic regression with class-balanced weights on (N, dim) text embeddings -> MSHA accident class."""

    C_GRID = (0.1, 1.0, 10.0, 100.0)

    def __init__(self, *, C: float | Literal["cv"] = 1.0, seed: int = 0, folds: int = 3) -> None:
        """``C="cv"`` picks C from ``C_GRID`` by stratified ``folds``-fold macro-F1 inside the training data."""
        if C != "cv" and not (isinstance(C, int | float) and C > 0):
            raise ValueError(f"C must be > 0 or 'cv', got {C!r}")
        self.C, self.seed, self.folds = C, seed, folds
        self.model = self._model(1.0 if C == "cv" else float(C))
        self.chosen_C: float | None = None if C == "cv" else float(C)
        self._fitted = False

    def _model(self, C: float) -> LogisticRegression:
        return LogisticRegression(C=C, class_weight="balanced", max_iter=5000, random_state=self.seed)

    def fit(self, X: np.ndarray, labels: Sequence[str]) -> AccidentClassifier:
        X = as_embeddings(X, len(labels))
        if len(set(labels)) < 2:
            raise ValueError("need at least two accident classes in the training labels")
        if self.C == "cv":
            smallest = min(Counter(labels).values())
            if smallest < self.folds:
                raise ValueError(
                    f"C='cv' needs at least {self.folds} training examples of every class "
                    f"(the rarest has {smallest}) — merge rare classes first"
                )
            folds = StratifiedKFold(self.folds, shuffle=True, random_state=self.seed)
            search = GridSearchCV(self._model(1.0), {"C": list(self.C_GRID)}, scoring="f1_macro", cv=folds)
            search.fit(X, list(labels))
            self.chosen_C = float(search.best_params_["C"])
            self.model = search.best_estimator_
        else:
            self.model.fit(X, list(labels))
        self._fitted = True
        return self

    def predict(self, X: np.ndarray) -> list[str]:
        if not self._fitted:
            raise RuntimeError("AccidentClassifier is not fitted — call fit(embeddings, labels) first")
        return [str(y) for y in self.model.predict(as_embeddings(X))]

    def evaluate(self, X: np.ndarray, labels: Sequence[str]) -> ClassificationScores:
        return score_classes(list(labels), self.predict(X))
