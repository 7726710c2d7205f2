"""The issue-18 part of ``warning_seismic.py``: models on features over previous shifts, chosen on
time-ordered folds of the development shifts only, then scored once on the test shifts.

Development = the train and validation shifts of the main protocol (everything before the test).
Every candidate (feature set x model x hyper-parameters) is scored by its pooled out-of-fold
ROC-AUC over ``time_folds`` of the development shifts (expanding window, each block validated by a
model fitted on the shifts before it); the best of each family is refitted on all development
shifts and scored on the test. The test shifts never choose anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.metrics import brier_score_loss

from mineguard.evaluation.alarms import (
    bootstrap_interval,
    pr_auc,
    recall_at_false_alarm_rate,
    roc_auc,
    threshold_at_false_alarm_rate,
)
from mineguard.warning.seismic import SeismicShifts, rule_alarm, time_folds
from mineguard.warning.seismic_history import shift_features
from mineguard.warning.seismic_models import get_hazard_model, out_of_fold_scores

BLOCK = 9  # moving-block bootstrap: 9 shifts = 3 days
LOGISTIC_GRID = [
    {"C": c, "class_weight": w, "standardise": True} for c in (0.001, 0.01, 0.1) for w in (None, "balanced")
]
BOOSTING_GRID = [
    {"max_iter": it, "class_weight": w, "max_leaf_nodes": 7, "min_samples_leaf": 30}
    for it in (50, 150)
    for w in (None, "balanced")
]
FAMILIES: dict[str, tuple[str, tuple[str, ...], tuple[int, ...], list[dict[str, Any]]]] = {
    # row label: (model, feature parts, history windows, grid)
    "rule-stacked logistic (seismic, seismoacoustic, ghazard, shift)": ("logistic", ("rules",), (), LOGISTIC_GRID),
    "logistic, rules + history (3, 27)": ("logistic", ("rules", "history"), (3, 27), LOGISTIC_GRID),
    "logistic, rules + activity + history (3, 27)": (
        "logistic",
        ("rules", "activity", "history"),
        (3, 27),
        LOGISTIC_GRID,
    ),
    "logistic, rules + 14 counts + history (3, 9, 27, 81)": (
        "logistic",
        ("rules", "counts", "history"),
        (3, 9, 27, 81),
        LOGISTIC_GRID,
    ),
    "boosting, rules + activity + history (3, 27)": (
        "boosting",
        ("rules", "activity", "history"),
        (3, 27),
        BOOSTING_GRID,
    ),
}


@dataclass
class Chosen:
    label: str
    model: str
    kwargs: dict[str, Any]
    n_features: int
    val_auc: float
    n_candidates: int
    oof: tuple[np.ndarray, np.ndarray]  # out-of-fold scores and labels of the development shifts
    X: np.ndarray  # all shifts


def describe_kwargs(kwargs: dict[str, Any]) -> str:
    shown = {k: v for k, v in kwargs.items() if k not in ("standardise", "max_leaf_nodes", "min_samples_leaf")}
    return ", ".join(f"{k}={v}" for k, v in shown.items())


def choose(shifts: SeismicShifts, n_dev: int) -> tuple[list[Chosen], list[list[str]]]:
    """Per family, the candidate of best pooled out-of-fold ROC-AUC on the development shifts."""
    y = shifts.labels
    folds = time_folds(n_dev)
    chosen, grid_rows = [], []
    for label, (model, parts, windows, grid) in FAMILIES.items():
        X = shift_features(shifts, parts=parts, windows=windows).values
        best: Chosen | None = None
        for kwargs in grid:
            oof = out_of_fold_scores(lambda m=model, k=kwargs: get_hazard_model(m, **k), X[:n_dev], y[:n_dev], folds)
            auc = roc_auc(*oof)
            grid_rows.append([label, describe_kwargs(kwargs), f"{auc:.3f}"])
            if best is None or auc > best.val_auc:
                best = Chosen(label, model, kwargs, X.shape[1], auc, len(grid), oof, X)
        assert best is not None
        chosen.append(best)
    return chosen, grid_rows


def score_on_test(shifts: SeismicShifts, n_dev: int, chosen: list[Chosen]) -> tuple[list[list[str]], dict[str, Any]]:
    """Refit each chosen candidate on all development shifts and score the test shifts."""
    y = shifts.labels
    y_dev, y_te = y[:n_dev], y[n_dev:]
    rule_dev, rule_te = rule_alarm(shifts.take(slice(0, n_dev))), rule_alarm(shifts.take(slice(n_dev, len(y))))
    rule_far_te = float(rule_te[y_te == 0].mean())
    oof_start = n_dev - chosen[0].oof[1].size
    rule_far_oof = float(rule_dev[oof_start:][y_dev[oof_start:] == 0].mean())

    def recall_at_rule(s: np.ndarray, labels: np.ndarray) -> float:
        return recall_at_false_alarm_rate(s, labels, (rule_far_te,))[rule_far_te].recall

    rows, best = [], {}
    for c in sorted(chosen, key=lambda c: -c.val_auc):
        model = get_hazard_model(c.model, **c.kwargs).fit(c.X[:n_dev], y_dev)
        s = model.predict_score(c.X[n_dev:])
        threshold = threshold_at_false_alarm_rate(*c.oof, rule_far_oof)
        on = s >= threshold
        rows.append(
            [
                c.label,
                describe_kwargs(c.kwargs),
                str(c.n_features),
                f"{c.val_auc:.3f}",
                f"{roc_auc(s, y_te):.3f}",
                "{:.3f}-{:.3f}".format(*bootstrap_interval(roc_auc, s, y_te)),
                "{:.3f}-{:.3f}".format(*bootstrap_interval(roc_auc, s, y_te, block=BLOCK)),
                f"{pr_auc(s, y_te):.3f}",
                f"{recall_at_rule(s, y_te):.3f}",
                "{:.3f}-{:.3f}".format(*bootstrap_interval(recall_at_rule, s, y_te)),
                f"{on[y_te == 1].mean():.3f} ({int(on[y_te == 1].sum())} / {int(y_te.sum())})",
                f"{on[y_te == 0].mean():.3f}",
            ]
        )
        if not best:
            best = {"chosen": c, "scores": s}
    rule_row = [
        "rule: ghazard >= b (the mine's alarm)",
        "-",
        "1",
        "-",
        f"{roc_auc(rule_te.astype(float), y_te):.3f}",
        "{:.3f}-{:.3f}".format(*bootstrap_interval(roc_auc, rule_te.astype(float), y_te)),
        "{:.3f}-{:.3f}".format(*bootstrap_interval(roc_auc, rule_te.astype(float), y_te, block=BLOCK)),
        f"{pr_auc(rule_te.astype(float), y_te):.3f}",
        f"{rule_te[y_te == 1].mean():.3f}",
        "{:.3f}-{:.3f}".format(*bootstrap_interval(lambda a, b: float(a[b == 1].mean()), rule_te.astype(float), y_te)),
        f"{rule_te[y_te == 1].mean():.3f} ({int(rule_te[y_te == 1].sum())} / {int(y_te.sum())})",
        f"{rule_far_te:.3f}",
    ]
    best |= {"rule_far_te": rule_far_te, "rule_far_oof": rule_far_oof, "oof_start": oof_start}
    return [rule_row, *rows], best


def calibration_rows(shifts: SeismicShifts, n_dev: int, best: Chosen, raw: np.ndarray) -> list[list[str]]:
    """The selected model raw and with Platt scaling on time-ordered out-of-fold scores: Brier, mean p."""
    y_te = shifts.labels[n_dev:]
    calibrated = get_hazard_model("calibrated", base=best.model, base_kwargs=best.kwargs)
    p = calibrated.fit(best.X[:n_dev], shifts.labels[:n_dev]).predict_score(best.X[n_dev:])
    rows = []
    for label, s in (("raw (class-weighted if chosen so)", raw), ("Platt-calibrated", p)):
        rows.append(
            [
                label,
                f"{roc_auc(s, y_te):.3f}",
                f"{brier_score_loss(y_te, s):.4f}",
                f"{s.mean():.3f}",
                f"{y_te.mean():.3f}",
            ]
        )
    rows.append(
        [
            "always the development bump rate",
            "0.500",
            f"{brier_score_loss(y_te, np.full(y_te.size, shifts.labels[:n_dev].mean())):.4f}",
            f"{shifts.labels[:n_dev].mean():.3f}",
            f"{y_te.mean():.3f}",
        ]
    )
    return rows


def drift_rows(shifts: SeismicShifts, n_dev: int, oof_start: int) -> list[list[str]]:
    """After the fact, never for choosing: each feature's own ROC-AUC in three periods, sorted by validation."""
    y = shifts.labels
    features = shift_features(shifts, parts=("rules", "activity", "history"), windows=(3, 27))
    periods = (slice(0, oof_start), slice(oof_start, n_dev), slice(n_dev, len(y)))
    rows = []
    for j, name in enumerate(features.names):
        x = features.values[:, j]
        rows.append([name, *(roc_auc(x[p], y[p]) for p in periods)])
    rows.sort(key=lambda r: -r[2])
    return [[r[0], *(f"{v:.3f}" for v in r[1:])] for r in rows]
