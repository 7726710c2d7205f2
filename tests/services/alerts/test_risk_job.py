"""Early-warning alerts from the risk model: a methane rise heading for the 1.0 % limit raises a
warning with the forecast before the limit and the site's action, which resolves once the limit is
reached; a steady sensor stays quiet; without the site's text the action is the generic one."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import select

from mineguard.mine.early_warning import EarlyWarningConfig
from mineguard.mine.site import load_site
from mineguard.services.alerts.risk_job import check_risk
from mineguard.services.storage.db import session_factory
from mineguard.services.storage.models import Alert
from mineguard.warning.risk import TrendModel

from .conftest import NOW, store_readings


def _methane_rise(sessions) -> None:
    times = [NOW - timedelta(seconds=10 * i) for i in range(30, 0, -1)]  # the last 5 min, every 10 s
    store_readings(sessions, "ch4-1101-t", "methane", "%", times, [0.5 + 0.05 * (30 - i) / 6 for i in range(30, 0, -1)])


def test_methane_rise_warns_before_the_limit_and_resolves_at_it(engine, session) -> None:
    sessions = session_factory(engine)
    rng = np.random.default_rng(1)
    times = [NOW - timedelta(seconds=10 * i) for i in range(30, 0, -1)]  # the last 5 min, every 10 s
    _methane_rise(sessions)
    store_readings(sessions, "co-belt", "co", "ppm", times, 3 + rng.normal(0, 0.2, 30))  # steady: no risk
    model = TrendModel(window_s=300, horizon_s=600)
    texts = load_site().early_warning  # the sample site's actions
    changes = check_risk(sessions, NOW, model=model, texts=texts)
    assert [(c.kind, c.alert.rule_id, c.alert.subject_id) for c in changes] == [
        ("raised", "risk.methane", "ch4-1101-t")
    ]
    alert = changes[0].alert
    assert alert.severity == "warning" and alert.zone_id == "face_1101"
    assert alert.message.startswith(
        "Methane 0.742 % in Longwall face 1101, rising 0.05 %/min; trend forecast: the 1 % "
        "limit in about 5 min (p = 1.00 within 10 min) — increase ventilation at Longwall face 1101 and find the source"
    )
    assert alert.evidence["limit"] == 1.0 and alert.evidence["limit_level"] == "warning"
    assert "第四百九十八条" in alert.evidence["limit_source"]  # the regulation clause of the 1.0 % limit
    assert check_risk(sessions, NOW, model=model, texts=texts) == []  # same readings: no second alert, no update
    later = [NOW + timedelta(seconds=10 * i) for i in range(1, 31)]  # it keeps rising and passes 1.0 %
    store_readings(sessions, "ch4-1101-t", "methane", "%", later, [0.75 + 0.05 * i / 6 for i in range(1, 31)], seq0=100)
    resolved = check_risk(sessions, later[-1], model=model, texts=texts)
    assert [(c.kind, c.alert.subject_id) for c in resolved] == [("resolved", "ch4-1101-t")]
    with sessions() as s:
        assert [a.state for a in s.scalars(select(Alert).where(Alert.rule_id == "risk.methane"))] == ["resolved"]


@pytest.mark.parametrize(
    ("texts", "action"),
    [
        pytest.param(
            EarlyWarningConfig(actions={"methane": "open the bypass door of {zone} and call the ventilation officer"}),
            "open the bypass door of Longwall face 1101 and call the ventilation officer",
            id="site-text",
        ),
        pytest.param(
            EarlyWarningConfig(actions={"co": "look for fire in {zone}"}), "check Longwall face 1101", id="other-kind"
        ),
        pytest.param(None, "check Longwall face 1101", id="no-early-warning-section"),
    ],
)
def test_the_warning_ends_with_the_sites_action_else_a_generic_one(engine, session, texts, action) -> None:
    sessions = session_factory(engine)
    _methane_rise(sessions)
    (change,) = check_risk(sessions, NOW, model=TrendModel(window_s=300, horizon_s=600), texts=texts)
    assert change.alert.message.endswith(f"(p = 1.00 within 10 min) — {action}")


def test_thresholds_are_checked() -> None:
    with pytest.raises(ValueError, match="clear_p < raise_p"):
        check_risk(None, NOW, raise_p=0.3, clear_p=0.5)  # type: ignore[arg-type]


def test_no_warning_while_an_alarm_on_the_sensor_is_on(engine, session) -> None:
    from mineguard.services.alerts import book

    sessions = session_factory(engine)
    times = [NOW - timedelta(seconds=10 * i) for i in range(30, 0, -1)]
    store_readings(sessions, "ch4-1101-t", "methane", "%", times, [0.5 + 0.05 * (30 - i) / 6 for i in range(30, 0, -1)])
    with sessions() as s, s.begin():
        book.raise_or_update(
            s,
            key="gas-rising-fan-stopped:face_1101",
            rule_id="gas-rising-fan-stopped",
            severity="emergency",
            title="Gas rising with the fan stopped",
            message="evacuate",
            t=NOW,
            zone_id="face_1101",
            evidence={"inputs": {"methane@face_1101": "reading:ch4-1101-t#29", "fan": "reading:fan-f2-run#3"}},
        )
    model = TrendModel(window_s=300, horizon_s=600)
    assert check_risk(sessions, NOW, model=model) == []  # the alarm speaks for the sensor
    with sessions() as s, s.begin():
        book.condition_cleared(s, "gas-rising-fan-stopped:face_1101", NOW, "fan running")
    assert [c.alert.subject_id for c in check_risk(sessions, NOW, model=model)] == ["ch4-1101-t"]
