"""The served window-gbm's decision on known probabilities, its refusal of NaN, and the guard's fall-back."""

from __future__ import annotations

import numpy as np
import pytest

from mineguard.warning.window_served import FallbackFusionModel, LiveWindow, NoFusionModel, judge

NONE_GAS_FIRE = np.array([0.3, 0.6, 0.1, 0.0, 0.0, 0.0])  # over HAZARDS: none, gas, fire, belt, roof, ppe


@pytest.mark.parametrize(
    ("hazard", "risk", "threshold", "warn"),
    [
        (NONE_GAS_FIRE, [0.7, 0.2, 0.1, 0.0], 0.6, True),  # p(any hazard) 0.7 >= 0.6
        (NONE_GAS_FIRE, [0.7, 0.2, 0.1, 0.0], 0.8, False),  # below, and the level is normal
        (NONE_GAS_FIRE, [0.1, 0.2, 0.3, 0.4], 0.8, True),  # below, but the most likely level is alarm
    ],
)
def test_it_warns_on_the_hazard_threshold_or_a_warning_level(hazard, risk, threshold, warn) -> None:
    a = judge(hazard, np.array(risk), threshold=threshold, model="m")
    assert (a.hazard, a.hazard_probability, a.warn) == ("gas", 0.6, warn)
    assert a.any_hazard == pytest.approx(0.7) and a.risk_level == ("alarm" if risk[3] == 0.4 else "normal")


def test_nan_is_not_an_answer() -> None:
    with pytest.raises(ValueError, match="are not in"):
        judge(np.full(6, np.nan), np.full(4, 0.25), threshold=0.5, model="m")


class Raises:
    name, layout = "broken", None

    def assess(self, window):
        raise RuntimeError("booster gone")


def test_the_guard_answers_nothing_and_logs_why() -> None:
    guarded = FallbackFusionModel(Raises(), NoFusionModel())
    window = LiveWindow(np.zeros((2, 1)), np.zeros((2, 1)), "", (True, False, False))
    assert guarded.assess(window) is None and guarded.name == "broken"
    assert guarded.take_failures() == ["raised RuntimeError: booster gone"] and guarded.take_failures() == []
