"""The seismic hazard model the service serves: a logistic model in a JSON file, and the rule it falls back to.

Both judge one shift's seismic-bumps row (``seismic_live.shift_row``, or a row of the seismic-bumps
file) and answer a :class:`SeismicAssessment`: the probability of a bump of 10^4 J or more in the
NEXT shift and whether it reaches the model's warning threshold.

- :class:`SeismicLogistic`: logistic regression on :data:`FEATURES` (computable from live readings
  only: the shift type, the most active geophone's energy and pulses and their deviations, the
  shift's bumps), standardised with the training statistics; saved as plain JSON (``save`` /
  :func:`load_seismic_model`, never pickle) with its threshold and training record;
- :class:`SeismicRule`: the ``ghazard``-style rule on the geophone deviations, hazard level a..d from
  max(gdenergy, gdpuls) >= 150 / 300 / 600 % (the level as p = level / 3; warns from level b);
- :class:`FallbackSeismicModel`: a model whose failing call (raises, NaN or a probability outside
  [0, 1]) is answered by the rule and logged (``failures.FailureLog``) for the model-health alert;
- :func:`train_seismic`: fits the logistic model on the time-ordered seismic-bumps shifts (the last
  ``test_frac`` held out and scored, as in ``benchmarks/warning_seismic.py``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from sklearn.linear_model import LogisticRegression

from mineguard.evaluation.alarms import roc_auc, threshold_at_false_alarm_rate
from mineguard.warning.failures import FailureLog, raised
from mineguard.warning.seismic import NUMERIC, SeismicShifts, shift_split, time_folds

FORMAT = "mineguard.seismic-hazard"
FEATURES = (
    "shift=W",
    "asinh(genergy)",
    "asinh(gpuls)",
    "asinh(gdenergy)",
    "asinh(gdpuls)",
    "asinh(nbumps)",
    "asinh(energy)",
    "asinh(maxenergy)",
    "high_energy_bump",
    "rule_level",
)
HIGH_ENERGY = ("nbumps4", "nbumps5", "nbumps6", "nbumps7", "nbumps89")
RULE_LEVELS_PCT = (150.0, 300.0, 600.0)  # deviation for levels b, c, d of the rule
LEVELS = "abcd"


@dataclass(frozen=True)
class SeismicAssessment:
    """One longwall's next shift: ``probability`` of a bump >= 10^4 J, ``warn`` when it reaches ``threshold``."""

    probability: float
    threshold: float
    model: str
    rule_level: str  # the rule's hazard level a..d, always given as evidence

    @property
    def warn(self) -> bool:
        return self.probability >= self.threshold


class SeismicModel(Protocol):
    name: str
    threshold: float

    def probability(self, row: Mapping[str, Any]) -> float: ...

    def assess(self, row: Mapping[str, Any]) -> SeismicAssessment: ...


def rule_level(row: Mapping[str, Any]) -> int:
    """0..3 (a..d): the level of max(gdenergy, gdpuls) against ``RULE_LEVELS_PCT``."""
    deviation = max(float(row["gdenergy"]), float(row["gdpuls"]))
    return sum(deviation >= edge for edge in RULE_LEVELS_PCT)


def feature_vector(row: Mapping[str, Any]) -> np.ndarray:
    """(len(FEATURES),) float64 of one row; KeyError naming a missing column."""
    missing = [name for name in (*NUMERIC, "shift") if name not in row]
    if missing:
        raise KeyError(f"the shift row lacks {', '.join(missing)}")
    x = [1.0 if row["shift"] == "W" else 0.0]
    x += [math.asinh(float(row[name])) for name in ("genergy", "gpuls", "gdenergy", "gdpuls")]
    x += [math.asinh(float(row[name])) for name in ("nbumps", "energy", "maxenergy")]
    x.append(1.0 if sum(float(row[name]) for name in HIGH_ENERGY) > 0 else 0.0)
    x.append(float(rule_level(row)))
    return np.array(x, dtype=np.float64)


def rows_of(shifts: SeismicShifts) -> list[dict[str, Any]]:
    """The seismic-bumps file's shifts as rows (as ``seismic_live.shift_row`` makes them live)."""
    return [
        {"shift": str(shifts.categorical["shift"][i]), **dict(zip(NUMERIC, map(float, shifts.numeric[i]), strict=True))}
        for i in range(len(shifts))
    ]


class SeismicRule:
    """The rule: level a..d from the geophone deviations; p = level / 3, warning from level b."""

    name = "ghazard-rule"
    threshold = 1.0 / 3.0

    def probability(self, row: Mapping[str, Any]) -> float:
        return rule_level(row) / 3.0

    def assess(self, row: Mapping[str, Any]) -> SeismicAssessment:
        return SeismicAssessment(self.probability(row), self.threshold, self.name, LEVELS[rule_level(row)])


@dataclass
class SeismicLogistic:
    """p = sigmoid(coef . (x - mean) / scale + intercept) over :data:`FEATURES`."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    threshold: float
    training: dict[str, Any] = field(default_factory=dict)
    name: str = "logistic"

    def probability(self, row: Mapping[str, Any]) -> float:
        z = float(self.coef @ ((feature_vector(row) - self.mean) / self.scale)) + self.intercept
        if math.isnan(z):
            return math.nan  # the guard sees it and falls back; never silently 0
        return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0

    def scores(self, rows: Sequence[Mapping[str, Any]]) -> np.ndarray:
        return np.array([self.probability(row) for row in rows])

    def assess(self, row: Mapping[str, Any]) -> SeismicAssessment:
        return SeismicAssessment(self.probability(row), self.threshold, self.name, LEVELS[rule_level(row)])

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": 1,
            "model": self.name,
            "features": list(FEATURES),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "coef": self.coef.tolist(),
            "intercept": self.intercept,
            "threshold": self.threshold,
            "training": self.training,
        }

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(json.dumps(self.to_json(), indent=1) + "\n", encoding="utf-8")
        return path


def load_seismic_model(path: str | Path) -> SeismicLogistic:
    """Read a file of :meth:`SeismicLogistic.save`; ValueError naming the file and the field."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not a readable JSON file ({exc})") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise ValueError(f"{path}: not a seismic hazard model (field 'format' must be {FORMAT!r})")
    if raw.get("features") != list(FEATURES):
        raise ValueError(f"{path}: field 'features' must be {list(FEATURES)} — retrain with this code")

    def vector(name: str) -> np.ndarray:
        value = raw.get(name)
        if not isinstance(value, list) or len(value) != len(FEATURES):
            raise ValueError(f"{path}: field {name!r} must be a list of {len(FEATURES)} numbers")
        try:
            array = np.array(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"{path}: field {name!r} must hold numbers only") from None
        if not np.isfinite(array).all():
            raise ValueError(f"{path}: field {name!r} holds a number that is not finite")
        return array

    mean, scale, coef = vector("mean"), vector("scale"), vector("coef")
    if (scale <= 0).any():
        raise ValueError(f"{path}: field 'scale' must be positive")
    numbers = {}
    for name in ("intercept", "threshold"):
        value = raw.get(name)
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ValueError(f"{path}: field {name!r} must be a finite number")
        numbers[name] = float(value)
    if not 0 < numbers["threshold"] < 1:
        raise ValueError(f"{path}: field 'threshold' must be a probability in (0, 1), got {numbers['threshold']}")
    training = raw.get("training") if isinstance(raw.get("training"), dict) else {}
    return SeismicLogistic(mean, scale, coef, numbers["intercept"], numbers["threshold"], training)


class FallbackSeismicModel:
    """``primary``'s assessment when usable, else ``fallback``'s, the failure logged (see the module docs)."""

    def __init__(self, primary: SeismicModel, fallback: SeismicModel) -> None:
        self.primary, self.fallback = primary, fallback
        self.name = primary.name
        self.threshold = primary.threshold
        self.failures = FailureLog()

    def probability(self, row: Mapping[str, Any]) -> float:
        return self.assess(row).probability

    def assess(self, row: Mapping[str, Any]) -> SeismicAssessment:
        try:
            out = self.primary.assess(row)
            p = out.probability
            problem = None if math.isfinite(p) and 0.0 <= p <= 1.0 else f"probability {p} is not in [0, 1]"
        except Exception as exc:  # any failure of the model: the rule answers instead
            out, problem = None, raised(exc)
        if problem is None and out is not None:
            return out
        self.failures.add(problem or "no answer")
        return self.fallback.assess(row)

    def take_failures(self) -> list[str]:
        return self.failures.take()


def _fit(x: np.ndarray, y: np.ndarray, C: float) -> tuple[np.ndarray, np.ndarray, LogisticRegression]:
    mean, sd = x.mean(axis=0), x.std(axis=0)
    scale = np.where(sd > 1e-12, sd, 1.0)
    model = LogisticRegression(C=C, class_weight="balanced", max_iter=5000).fit((x - mean) / scale, y)
    return mean, scale, model


def _scores(fitted: tuple[np.ndarray, np.ndarray, LogisticRegression], x: np.ndarray) -> np.ndarray:
    mean, scale, model = fitted
    return model.predict_proba((x - mean) / scale)[:, 1]


def train_seismic(
    shifts: SeismicShifts, *, test_frac: float = 0.25, grid: Sequence[float] = (0.001, 0.01, 0.1, 1.0)
) -> SeismicLogistic:
    """Fit on the first ``1 - test_frac`` of the time-ordered shifts, scored on the rest.

    The L2 strength C is chosen by pooled out-of-fold ROC-AUC on ``seismic.time_folds`` of the
    development shifts; the warning threshold so that the out-of-fold false-alarm rate equals the
    rule's (level >= b) on the same shifts.
    """
    rows = rows_of(shifts)
    x = np.stack([feature_vector(row) for row in rows])
    y = shifts.labels
    split = shift_split(len(rows), test_frac=test_frac, val_frac=0.0)
    dev, test = split.train, split.test
    folds = time_folds(dev.stop)
    best: tuple[float, float, np.ndarray, np.ndarray] | None = None
    for C in grid:
        s = np.concatenate([_scores(_fit(x[a], y[a], C), x[b]) for a, b in folds])
        lab = np.concatenate([y[b] for _, b in folds])
        auc = float(roc_auc(s, lab))
        if best is None or auc > best[0]:
            best = (auc, C, s, lab)
    assert best is not None
    val_auc, C, oof, oof_labels = best
    rule = SeismicRule()
    oof_rows = [rows[i] for _, b in folds for i in range(b.start, b.stop)]
    rule_alarm = np.array([rule.probability(r) >= rule.threshold for r in oof_rows])
    rule_far = float(rule_alarm[oof_labels == 0].mean())
    threshold = threshold_at_false_alarm_rate(oof, oof_labels, rule_far)
    mean, scale, model = _fit(x[dev], y[dev], C)
    served = SeismicLogistic(mean, scale, model.coef_[0].astype(float), float(model.intercept_[0]), threshold)
    test_scores = served.scores(rows[test])
    test_alarm = test_scores >= threshold
    served.training = {
        "data": f"{shifts.source} rows 0-{dev.stop - 1} of {len(rows)} (time order)",
        "C": C,
        "val_auc": val_auc,
        "val_rule_far": rule_far,
        "test_auc": roc_auc(test_scores, y[test]),
        "test_recall": float(test_alarm[y[test] == 1].mean()),
        "test_far": float(test_alarm[y[test] == 0].mean()),
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    return served
