"""Learned hazard-state models for the seismic-bumps shifts (seed 003 §3.3, issue #6).

Models behind one interface (``fit(X, y, X_val=, y_val=)``, ``predict_score(X)``) on the (N, F)
features of ``seismic.SeismicEncoder`` and the (N,) 0/1 next-shift bump labels, registered by name
(``get_hazard_model``): ``logistic`` and ``boosting`` (sklearn; class-balanced, unweighted or a given
cost of a missed bump), ``mlp`` (a small torch MLP trained with the class-weighted BCE or focal loss of
``mineguard.losses.focal``, seed 003 §3.2 "weighted loss function strategies", early-stopped on the
validation loss) and ``calibrated`` (any of them with Platt scaling fitted on time-ordered
out-of-fold scores, issue #18). ``out_of_fold_scores`` scores a model on ``seismic.time_folds`` for
choosing hyper-parameters on later shifts than those fitted. The rule baseline they are measured
against (``hazard_level``, ``rule_alarm``) is in ``seismic``; features over previous shifts are in
``seismic_history``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Literal, Protocol

import numpy as np
import torch
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from torch import nn

from mineguard.engine.loop import EarlyStopping, KeepBest, Loop, LoopConfig, Monitor, index_batches, seeded
from mineguard.losses.focal import focal_loss, weighted_bce
from mineguard.registry import Registry
from mineguard.warning.seismic import time_folds


class HazardModel(Protocol):
    """``fit`` on (N, F) features and (N,) 0/1 labels; ``predict_score`` gives (N,) hazard scores
    (higher = more hazardous; a probability for every model here)."""

    name: str

    def fit(
        self, X: np.ndarray, y: np.ndarray, *, X_val: np.ndarray | None = None, y_val: np.ndarray | None = None
    ) -> HazardModel: ...

    def predict_score(self, X: np.ndarray) -> np.ndarray: ...


_HAZARD_MODELS = Registry[HazardModel]("hazard model")
# register_hazard_model("name") decorates a builder with keyword-only arguments
register_hazard_model = _HAZARD_MODELS.register
get_hazard_model = _HAZARD_MODELS.build
list_hazard_models = _HAZARD_MODELS.names


def _check_xy(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    X, y = np.asarray(X, dtype=np.float32), np.asarray(y)
    if X.ndim != 2 or y.shape != (X.shape[0],):
        raise ValueError(f"expected X (N, F) and y (N,), got {X.shape} and {y.shape}")
    if not np.isin(y, (0, 1)).all() or y.min() == y.max():
        raise ValueError("y must be 0/1 with both classes present in the training shifts")
    return X, y.astype(np.int64)


ClassWeight = Literal["balanced"] | float | None


def _class_weight(weight: ClassWeight) -> str | dict[int, float] | None:
    """ "balanced" (n / (2 n_class)), None (unweighted) or a missed bump costing ``weight`` false alarms."""
    if weight is None or weight == "balanced":
        return weight
    if isinstance(weight, str) or not weight > 0:
        raise ValueError(f"class_weight must be 'balanced', None or a positive cost, got {weight!r}")
    return {0: 1.0, 1: float(weight)}


@register_hazard_model("logistic")
class LogisticHazard:
    """Logistic regression, L2 penalty 1 / ``C``; class-balanced weights unless ``class_weight`` says
    otherwise; with ``standardise`` the features are first scaled with the training mean and sd."""

    name = "logistic"

    def __init__(
        self, *, C: float = 1.0, class_weight: ClassWeight = "balanced", standardise: bool = False, seed: int = 0
    ) -> None:
        model = LogisticRegression(C=C, class_weight=_class_weight(class_weight), max_iter=5000, random_state=seed)
        self.model = make_pipeline(StandardScaler(), model) if standardise else model

    def fit(
        self, X: np.ndarray, y: np.ndarray, *, X_val: np.ndarray | None = None, y_val: np.ndarray | None = None
    ) -> LogisticHazard:
        self.model.fit(*_check_xy(X, y))
        return self

    def predict_score(self, X: np.ndarray) -> np.ndarray:
        return self.model.predict_proba(np.asarray(X, dtype=np.float32))[:, 1]


@register_hazard_model("boosting")
class BoostedHazard:
    """Histogram gradient boosting with class-balanced weights (fixed size, no early stopping:
    sklearn's own early stopping would hold out a random, not time-ordered, slice)."""

    name = "boosting"

    def __init__(
        self,
        *,
        max_iter: int = 200,
        learning_rate: float = 0.05,
        max_leaf_nodes: int = 15,
        min_samples_leaf: int = 20,
        l2_regularization: float = 1.0,
        class_weight: ClassWeight = "balanced",
        seed: int = 0,
    ) -> None:
        self.model = HistGradientBoostingClassifier(
            max_iter=max_iter,
            learning_rate=learning_rate,
            max_leaf_nodes=max_leaf_nodes,
            min_samples_leaf=min_samples_leaf,
            l2_regularization=l2_regularization,
            early_stopping=False,
            class_weight=_class_weight(class_weight),
            random_state=seed,
        )

    def fit(
        self, X: np.ndarray, y: np.ndarray, *, X_val: np.ndarray | None = None, y_val: np.ndarray | None = None
    ) -> BoostedHazard:
        X, y = _check_xy(X, y)
        self.model.fit(X, y)
        return self

    def predict_score(self, X: np.ndarray) -> np.ndarray:
        return self.model.predict_proba(np.asarray(X, dtype=np.float32))[:, 1]


class HazardMLP(nn.Module):
    """(N, F) features -> (N,) logits: Linear-ReLU-Dropout blocks of widths ``hidden``, then Linear(1)."""

    def __init__(self, in_features: int, *, hidden: tuple[int, ...] = (32, 16), dropout: float = 0.1) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = in_features
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU(), nn.Dropout(dropout)]
            width = h
        layers.append(nn.Linear(width, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(-1)


@register_hazard_model("mlp")
class MLPHazard:
    """A small MLP trained with class-weighted BCE (pos_weight = n_neg / n_pos of the training shifts)
    or the focal loss (alpha = the negative fraction unless given, gamma 2), AdamW, mini-batches;
    with validation data it keeps the epoch of lowest validation loss and stops after ``patience``
    epochs without improvement."""

    def __init__(
        self,
        *,
        loss: Literal["weighted_bce", "focal"] = "weighted_bce",
        hidden: tuple[int, ...] = (32, 16),
        dropout: float = 0.1,
        epochs: int = 300,
        batch_size: int = 128,
        lr: float = 1e-3,
        weight_decay: float = 1e-4,
        patience: int = 30,
        focal_alpha: float | None = None,
        focal_gamma: float = 2.0,
        seed: int = 0,
    ) -> None:
        if loss not in ("weighted_bce", "focal"):
            raise ValueError(f"loss must be 'weighted_bce' or 'focal', got '{loss}'")
        self.name = f"mlp-{loss}"
        self.loss, self.hidden, self.dropout = loss, hidden, dropout
        self.epochs, self.batch_size, self.lr, self.weight_decay = epochs, batch_size, lr, weight_decay
        self.patience, self.focal_alpha, self.focal_gamma, self.seed = patience, focal_alpha, focal_gamma, seed
        self.net: HazardMLP | None = None
        self.best_epoch = 0

    def _loss_fn(self, y: np.ndarray) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
        n_pos = float(y.sum())
        n_neg = float(y.size - n_pos)
        if self.loss == "weighted_bce":
            return lambda logits, t: weighted_bce(logits, t, pos_weight=n_neg / n_pos)
        alpha = n_neg / y.size if self.focal_alpha is None else self.focal_alpha
        return lambda logits, t: focal_loss(logits, t, alpha=alpha, gamma=self.focal_gamma)

    def fit(
        self, X: np.ndarray, y: np.ndarray, *, X_val: np.ndarray | None = None, y_val: np.ndarray | None = None
    ) -> MLPHazard:
        X, y = _check_xy(X, y)
        loss_fn = self._loss_fn(y)
        val = None
        if X_val is not None and y_val is not None:
            val = (
                torch.from_numpy(np.asarray(X_val, dtype=np.float32)),
                torch.from_numpy(np.asarray(y_val, np.float32)),
            )
            if val[0].shape != (val[1].shape[0], X.shape[1]):
                raise ValueError(
                    f"expected X_val (M, {X.shape[1]}) and y_val (M,), got {tuple(val[0].shape)}, {tuple(val[1].shape)}"
                )
        with seeded(self.seed):  # seeded weights and dropout; the caller's generators are left alone
            net = self._train(torch.from_numpy(X), torch.from_numpy(y.astype(np.float32)), loss_fn, val)
        self.net = net.eval()
        return self

    def _train(
        self,
        x: torch.Tensor,
        y: torch.Tensor,
        loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
        val: tuple[torch.Tensor, torch.Tensor] | None,
    ) -> HazardMLP:
        net = HazardMLP(x.shape[1], hidden=self.hidden, dropout=self.dropout)
        opt = torch.optim.AdamW(net.parameters(), lr=self.lr, weight_decay=self.weight_decay)

        def validate(epoch: int) -> dict[str, float]:
            assert val is not None
            net.eval()
            with torch.no_grad():
                return {"val_loss": float(loss_fn(net(val[0]), val[1]))}

        monitor = Monitor("val_loss", mode="min", min_delta=1e-6) if val is not None else None
        callbacks = [KeepBest(from_start=True), EarlyStopping(self.patience)] if val is not None else []
        Loop(
            net,
            opt,
            lambda idx: {"loss": loss_fn(net(x[idx]), y[idx])},
            batches=lambda epoch: index_batches(len(y), self.batch_size),
            config=LoopConfig(epochs=self.epochs),
            validate=validate if val is not None else None,
            monitor=monitor,
            callbacks=callbacks,
        ).fit()
        self.best_epoch = self.epochs if monitor is None or monitor.best_epoch is None else monitor.best_epoch + 1
        return net

    def predict_score(self, X: np.ndarray) -> np.ndarray:
        if self.net is None:
            raise RuntimeError("MLPHazard is not fitted — call fit first")
        with torch.no_grad():
            logits = self.net(torch.from_numpy(np.asarray(X, dtype=np.float32)))
        return torch.sigmoid(logits).double().numpy()


def out_of_fold_scores(
    build: Callable[[], HazardModel], X: np.ndarray, y: np.ndarray, folds: list[tuple[slice, slice]]
) -> tuple[np.ndarray, np.ndarray]:
    """Scores of the validation blocks, each from a fresh ``build()`` fitted on its fold's earlier shifts.

    Args:
        build: makes an unfitted model.
        X: (N, F) features, rows in time order.
        y: (N,) 0/1 labels.
        folds: (fit, validate) slices, e.g. ``seismic.time_folds(N)``.

    Returns:
        (M,) scores and (M,) labels of the validation blocks, in order. A block whose fit part has one
        class only raises ``ValueError`` (from the model).
    """
    scores, labels = [], []
    for fit, validate in folds:
        model = build().fit(X[fit], y[fit])
        scores.append(model.predict_score(X[validate]))
        labels.append(np.asarray(y)[validate])
    return np.concatenate(scores), np.concatenate(labels)


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


@register_hazard_model("calibrated")
class CalibratedHazard:
    """Platt scaling (Platt 1999) of another hazard model, fitted on time-ordered out-of-fold scores.

    ``fit`` scores the base model on ``time_folds`` of the (time-ordered) training shifts, fits
    p = sigmoid(a * logit(s) + b) to those scores and labels (unweighted, so p estimates the bump
    rate whatever the base model's class weights), then refits the base model on all the shifts.
    The slope a is kept >= ``min_slope`` so that the base model's ranking (and ROC-AUC) is never
    reversed by a calibration fitted on few events.
    """

    def __init__(
        self,
        *,
        base: str = "logistic",
        base_kwargs: dict[str, Any] | None = None,
        first_val: float = 0.45,
        n_folds: int = 4,
        min_slope: float = 1e-3,
        seed: int = 0,
    ) -> None:
        if base == "calibrated":
            raise ValueError("base must be an uncalibrated hazard model, got 'calibrated'")
        self.base, self.base_kwargs = base, dict(base_kwargs or {})
        self.first_val, self.n_folds, self.min_slope, self.seed = first_val, n_folds, min_slope, seed
        self.name = f"calibrated-{base}"
        self.model: HazardModel | None = None
        self.slope, self.intercept = math.nan, math.nan

    def _build(self) -> HazardModel:
        return get_hazard_model(self.base, seed=self.seed, **self.base_kwargs)

    def fit(
        self, X: np.ndarray, y: np.ndarray, *, X_val: np.ndarray | None = None, y_val: np.ndarray | None = None
    ) -> CalibratedHazard:
        X, y = _check_xy(X, y)
        scores, labels = out_of_fold_scores(
            self._build, X, y, time_folds(len(y), first_val=self.first_val, n_folds=self.n_folds)
        )
        if labels.min() == labels.max():
            raise ValueError("the calibration blocks hold one class only — use more shifts or a smaller first_val")
        platt = LogisticRegression(C=1e6, max_iter=5000).fit(_logit(scores)[:, None], labels)
        self.slope = max(float(platt.coef_[0, 0]), self.min_slope)
        self.intercept = float(platt.intercept_[0])
        self.model = self._build().fit(X, y, X_val=X_val, y_val=y_val)
        return self

    def predict_score(self, X: np.ndarray) -> np.ndarray:
        if self.model is None:
            raise RuntimeError("CalibratedHazard is not fitted — call fit first")
        z = self.slope * _logit(self.model.predict_score(X)) + self.intercept
        return 1.0 / (1.0 + np.exp(-z))
