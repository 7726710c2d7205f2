"""The guarded risk model: a usable primary answer passes, a NaN answer or an exception goes to the fall-back
and is remembered once; too little history is not a failure."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mineguard.warning.risk import TrendModel
from mineguard.warning.risk.base import RiskAssessment
from mineguard.warning.risk.fallback import FallbackRiskModel, output_problem
from tiny_risk_models import nan_risk_model, tiny_learned_risk

T0 = 1_800_000_000.0
T = T0 + np.arange(0.0, 301.0, 10.0)
RISING = 0.5 + 0.05 * (T - T0) / 60.0  # methane %, 0.05 %/min towards a 1.0 % limit


class Raising:
    name, window_s, horizon_s = "raising", 300.0, 600.0

    def assess(self, t_s, values, *, limit, op=">="):
        raise RuntimeError("weights on a device that is gone")


def test_a_usable_answer_passes_and_nothing_is_remembered() -> None:
    learned = tiny_learned_risk()
    guarded = FallbackRiskModel(learned, TrendModel())
    risk = guarded.assess(T, RISING, limit=1.0)
    assert risk is not None and risk.model == "learned" and 0.0 <= risk.probability <= 1.0
    assert risk == learned.assess(T, RISING, limit=1.0)
    assert guarded.take_failures() == []


def test_nan_answers_go_to_the_fallback_and_are_counted() -> None:
    broken = nan_risk_model()
    assert math.isnan(broken.assess(T, RISING, limit=1.0).probability)  # the model itself does answer NaN
    guarded = FallbackRiskModel(broken, TrendModel())
    risks = [guarded.assess(T, RISING, limit=1.0) for _ in range(2)]
    assert all(r.model == "trend" and r == TrendModel().assess(T, RISING, limit=1.0) for r in risks)
    failures = guarded.take_failures()
    assert len(failures) == 2 and failures[0].startswith("not finite: probability=nan, predicted=nan")
    assert guarded.take_failures() == []  # read once


def test_an_exception_goes_to_the_fallback() -> None:
    guarded = FallbackRiskModel(Raising(), TrendModel())
    assert guarded.assess(T, RISING, limit=1.0).model == "trend"
    assert guarded.take_failures() == ["raised RuntimeError: weights on a device that is gone"]


def test_too_little_history_is_not_a_failure() -> None:
    guarded = FallbackRiskModel(nan_risk_model(), TrendModel())
    assert guarded.assess(T[:2], RISING[:2], limit=1.0) is None
    assert guarded.take_failures() == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"probability": 1.5}, "probability 1.5 outside [0, 1]"),
        ({"predicted_sd": math.inf}, "not finite: predicted_sd=inf"),
        ({"minutes_to_limit": math.nan}, "not finite: minutes_to_limit=nan"),
        ({"minutes_to_limit": None}, None),
    ],
)
def test_output_problem(change: dict, problem: str | None) -> None:
    base = dict(
        model="m",
        value=0.5,
        rate_per_min=0.05,
        horizon_s=600.0,
        predicted=1.0,
        predicted_sd=0.1,
        limit=1.0,
        op=">=",
        probability=0.5,
        minutes_to_limit=10.0,
    )
    assert output_problem(RiskAssessment(**{**base, **change})) == problem
