"""A risk model that never stops warning: a primary model guarded by a fall-back one.

``FallbackRiskModel(primary, fallback)`` asks ``primary`` first; when it raises, or answers with a
number that is not finite (NaN or infinite probability, prediction, spread or rate) or a
probability outside [0, 1], the same history goes to ``fallback`` (the ``trend`` baseline in the
service) and the failure is remembered, one line per failed call, until :meth:`take_failures` reads
them (the service counts them and raises a model-health alert). A ``primary`` that answers None (too
little history) is not a failure.
"""

from __future__ import annotations

import math

import numpy as np

from mineguard.warning.failures import FailureLog, raised
from mineguard.warning.risk.base import Direction, RiskAssessment, RiskModel


def output_problem(risk: RiskAssessment) -> str | None:
    """What is wrong with an assessment's numbers, or None when they are usable."""
    numbers = {
        "probability": risk.probability,
        "predicted": risk.predicted,
        "predicted_sd": risk.predicted_sd,
        "rate_per_min": risk.rate_per_min,
        "minutes_to_limit": risk.minutes_to_limit,
    }
    bad = [name for name, value in numbers.items() if value is not None and not math.isfinite(value)]
    if bad:
        return "not finite: " + ", ".join(f"{name}={numbers[name]}" for name in bad)
    if not 0.0 <= risk.probability <= 1.0:
        return f"probability {risk.probability} outside [0, 1]"
    return None


class FallbackRiskModel:
    """``primary``'s assessment when it is usable, else ``fallback``'s (see the module docs)."""

    def __init__(self, primary: RiskModel, fallback: RiskModel) -> None:
        self.primary, self.fallback = primary, fallback
        self.name = primary.name
        self.window_s = max(primary.window_s, fallback.window_s)  # enough history for either
        self.horizon_s = primary.horizon_s
        self.failures = FailureLog()

    def assess(
        self, t_s: np.ndarray, values: np.ndarray, *, limit: float, op: Direction = ">="
    ) -> RiskAssessment | None:
        try:
            risk = self.primary.assess(t_s, values, limit=limit, op=op)
            problem = None if risk is None else output_problem(risk)
        except Exception as exc:  # any failure of the model: the fall-back answers instead
            risk, problem = None, raised(exc)
        if problem is None:
            return risk
        self.failures.add(problem)
        return self.fallback.assess(t_s, values, limit=limit, op=op)

    def take_failures(self) -> list[str]:
        """The failures since the last call (and forget them)."""
        return self.failures.take()
