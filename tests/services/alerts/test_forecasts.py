"""Each risk round stores every assessed sensor's forecast with its 80 % and 95 % intervals; a model answer
that is not finite is not stored; old forecasts are pruned."""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import select

from mineguard.services.alerts.forecasts import Z_80, Z_95, interval, is_finite, prune_forecasts, record_forecast
from mineguard.services.alerts.risk_job import check_risk
from mineguard.services.storage.db import session_factory
from mineguard.services.storage.models import Device, Forecast
from mineguard.warning.risk import RiskAssessment, TrendModel
from mineguard.warning.sensing.live import LiveCleanser

from .conftest import NOW, store_readings


def assessment(**changes) -> RiskAssessment:
    values = {"model": "trend", "value": 0.5, "rate_per_min": 0.05, "horizon_s": 600.0, "predicted": 1.0}
    values |= {"predicted_sd": 0.1, "limit": 1.0, "op": ">=", "probability": 0.5, "minutes_to_limit": 10.0}
    return RiskAssessment(**{**values, **changes})


def test_intervals_are_the_central_normal_intervals() -> None:
    assert interval(1.0, 0.1, Z_95) == pytest.approx((0.804, 1.196))
    assert interval(1.0, 0.1, Z_80) == pytest.approx((1.0 - 0.12816, 1.0 + 0.12816))
    assert interval(2.0, 0.0, Z_95) == (2.0, 2.0)
    with pytest.raises(ValueError, match="cannot be negative"):
        interval(1.0, -0.1, Z_80)


@pytest.mark.parametrize(
    "change",
    [{"predicted": math.nan}, {"predicted_sd": math.inf}, {"probability": math.nan}, {"minutes_to_limit": -math.inf}],
)
def test_a_non_finite_answer_is_not_stored(engine, change) -> None:
    sessions = session_factory(engine)
    assert is_finite(assessment()) and is_finite(assessment(minutes_to_limit=None))
    assert not is_finite(assessment(**change))
    device = Device(id="ch4-x", kind="sensor", sensor_kind="methane", zone_id="face_1101")
    with sessions() as s, s.begin():
        assert record_forecast(s, device, assessment(**change), t=NOW, issued_at=NOW, model="trend") is None
        row = record_forecast(s, device, assessment(), t=NOW, issued_at=NOW, model="trend")
        assert row is not None and (row.lower_95, row.upper_95) == pytest.approx((0.804, 1.196))
    with sessions() as s:
        assert len(s.scalars(select(Forecast)).all()) == 1


def test_a_risk_round_stores_each_assessed_sensor_and_old_ones_are_pruned(engine, session) -> None:
    sessions = session_factory(engine)
    rng = np.random.default_rng(1)
    times = [NOW - timedelta(seconds=10 * i) for i in range(30, 0, -1)]  # the last 5 min, every 10 s
    store_readings(sessions, "ch4-1101-t", "methane", "%", times, [0.5 + 0.05 * (30 - i) / 6 for i in range(30, 0, -1)])
    store_readings(sessions, "co-belt", "co", "ppm", times, 3 + rng.normal(0, 0.2, 30))  # steady: stored, no warning
    model = TrendModel(window_s=300, horizon_s=600)
    changes = check_risk(sessions, NOW, model=model)
    assert [c.alert.subject_id for c in changes] == ["ch4-1101-t"]
    evidence = changes[0].alert.evidence
    assert evidence["interval_95"] == pytest.approx(
        list(interval(evidence["predicted"], evidence["predicted_sd"], Z_95))
    )
    with sessions() as s:
        rows = {f.device_id: f for f in s.scalars(select(Forecast))}
    assert set(rows) == {"ch4-1101-t", "co-belt"}
    methane = rows["ch4-1101-t"]
    assert methane.issued_at == NOW and methane.t == times[-1] and methane.zone_id == "face_1101"
    assert methane.model == "trend" and methane.horizon_s == 600 and methane.limit == 1.0 and methane.op == ">="
    assert methane.lower_95 < methane.lower_80 < methane.predicted < methane.upper_80 < methane.upper_95
    assert methane.predicted == pytest.approx(evidence["predicted"]) and methane.probability > 0.8
    assert rows["co-belt"].probability < 0.01
    check_risk(sessions, NOW + timedelta(seconds=10), model=model)
    with sessions() as s, s.begin():
        assert len(s.scalars(select(Forecast)).all()) == 4
        assert prune_forecasts(s, NOW + timedelta(seconds=5)) == 2
    with sessions() as s:
        assert {f.issued_at for f in s.scalars(select(Forecast))} == {NOW + timedelta(seconds=10)}


def test_flagged_readings_are_left_out_of_the_forecast(engine, session) -> None:
    sessions = session_factory(engine)
    times = [NOW - timedelta(seconds=10 * i) for i in range(30, 0, -1)]
    values = [0.5] * 30
    values[-1] = 40.0  # a spike the live cleansing flags: the forecast must not start from it
    store_readings(sessions, "ch4-1101-t", "methane", "%", times, values, cleanser=LiveCleanser())
    check_risk(sessions, NOW, model=TrendModel(window_s=300, horizon_s=600))
    with sessions() as s:
        (row,) = s.scalars(select(Forecast)).all()
    assert row.value == 0.5 and row.t == times[-2]
