"""The retraining step on plain data: it trains on the older stretch only, replays both models on the newer one
and records what it used; a stretch in the wrong order or with no windows is refused."""

from __future__ import annotations

import numpy as np
import pytest

from mineguard.warning.risk import TrendModel
from mineguard.warning.risk.feedback import SiteSeries, Verdict
from mineguard.warning.risk.replay import Alarm
from mineguard.warning.risk.retrain import retrain_risk

T0 = 1_800_000_000.0
H = 3600.0


def history() -> tuple[SiteSeries, list[Alarm]]:
    """12 h a reading a minute: 0.3 %, and every 3 h a rise of 0.03 %/min to 1.1 % (an alarm at the crossing)."""
    t = T0 + np.arange(0.0, 12 * H, 60.0)
    minute = (t - T0) / 60.0
    v = 0.3 + np.zeros_like(t)
    alarms = []
    for start in range(60, 720, 180):
        v += np.clip((minute - start) * 0.03, 0.0, 0.8) * (minute < start + 40)
        alarms.append(Alarm(T0 + (start + 24) * 60.0, frozenset({"ch4"}), "methane.working_face"))
    return SiteSeries("ch4", t, v, 1.0, ">="), alarms


def test_it_trains_on_the_older_stretch_and_replays_both_models_on_the_newer() -> None:
    series, alarms = history()
    verdicts = [Verdict("ch4", T0 + 2 * H, T0 + 2.2 * H, "maintenance", 5)]
    stretch = {"since_s": T0, "replay_from_s": T0 + 8 * H, "until_s": T0 + 12 * H}
    quick = {"n_series": 10, "epochs": 1, "step_s": 120.0, "every_s": 120.0}
    result = retrain_risk([series], alarms, verdicts, before=TrendModel(), **stretch, **quick)
    assert result.verdicts == {"true_alarm": 0, "false_alarm": 0, "maintenance": 1, "test": 0}
    # windows whose history and horizon lie before the replay: (8 h - 5 min - 10 min) / 2 min, less the maintenance
    assert 180 < result.site_windows < 235 and len(result.site_data_sha256) == 64
    for side in ("before", "after"):
        assert result.scores[side]["alarms"] == 1  # the rise crossing at 10.4 h: never trained on
    assert result.scores["before"]["warned"] == 1  # the trend model warns a 0.03 %/min rise
    assert result.model.training["replay"] == result.scores and result.model.training["site_windows"] > 180


def test_a_stretch_in_the_wrong_order_or_without_windows_is_refused() -> None:
    series, alarms = history()
    common = {"before": TrendModel(), "n_series": 10, "epochs": 1}
    with pytest.raises(ValueError, match="since < replay_from < until"):
        retrain_risk([series], alarms, [], since_s=T0, replay_from_s=T0 - 1, until_s=T0 + H, **common)
    with pytest.raises(ValueError, match="no training windows"):
        retrain_risk([series], alarms, [], since_s=T0, replay_from_s=T0 + 600, until_s=T0 + H, **common)
