"""GET /api/v1/forecasts and /api/v1/warnings/lead-times on a running service: the risk job stores each
round's forecasts with their intervals, and the warning it raises before a methane alarm is measured as
that alarm's lead time; who may read them; bad parameters answered 4xx naming the field."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from mineguard.services.settings import Settings
from mineguard.services.storage.types import utc_now

from .conftest import ADMIN_PASSWORD, ROLE_USERS, Api, login


@pytest.fixture
def fast_risk_api(database_url: str) -> Iterator[Api]:
    """A service whose risk job runs every 0.2 s (the default is 10 s)."""
    from mineguard.services.api.main import create_app

    app = create_app(Settings(database_url=database_url, admin_password=ADMIN_PASSWORD, risk_check_s=0.2))
    with TestClient(app) as client:
        result = Api(client)
        result.tokens["super_manager"] = login(client, "admin", ADMIN_PASSWORD)
        for role in ("operator", "supervisor"):
            body = {**ROLE_USERS[role], "role": role, "password": f"{role}-password"}
            assert result.call("super_manager", "POST", "/api/v1/users", json=body).status_code == 201
            result.tokens[role] = login(client, ROLE_USERS[role]["username"], f"{role}-password")
        yield result
    app.state.ctx.engine.dispose()


def send(api: Api, values: list[float], *, start, step_s: float, seq: int) -> None:
    readings = [
        {"device_id": "ch4-1101-t", "kind": "methane", "seq": seq + i, "value": v, "unit": "%"}
        | {"t": (start + timedelta(seconds=step_s * i)).isoformat()}
        for i, v in enumerate(values)
    ]
    response = api.call("super_manager", "POST", "/api/v1/readings", json={"readings": readings})
    assert response.status_code == 200 and response.json()["accepted"] == len(values), response.text


def wait_for(api: Api, path: str, ready, timeout_s: float = 15.0):
    deadline = time.monotonic() + timeout_s
    while True:
        body = api.call("supervisor", "GET", path).json()
        if ready(body) or time.monotonic() > deadline:
            return body
        time.sleep(0.1)


def test_forecasts_are_stored_and_the_warning_before_the_alarm_is_its_lead_time(fast_risk_api: Api) -> None:
    api = fast_risk_api
    rising = [0.40 + 0.01 * i for i in range(24)]  # 4 min rising 0.06 %/min, ending 40 s ago
    send(api, rising, start=utc_now() - timedelta(seconds=280), step_s=10.0, seq=1)
    stored = wait_for(api, "/api/v1/forecasts?device_id=ch4-1101-t", lambda body: len(body) > 0)
    assert stored, "the risk job stored no forecast"
    newest = stored[0]
    assert (
        newest["device_id"] == "ch4-1101-t"
        and newest["zone_id"] == "face_1101"
        and newest["model"] == "risk default (trend)"
    )
    assert newest["lower_95"] < newest["lower_80"] < newest["predicted"] < newest["upper_80"] < newest["upper_95"]
    assert newest["limit"] == 1.0 and newest["probability"] > 0.8
    zone = api.call("supervisor", "GET", "/api/v1/forecasts?zone_id=face_1101").json()
    assert {f["zone_id"] for f in zone} == {"face_1101"} and any(f["device_id"] == "ch4-1101-t" for f in zone)
    alerts = wait_for(api, "/api/v1/alerts", lambda body: any(a["rule_id"] == "risk.methane" for a in body))
    warning = next(a for a in alerts if a["rule_id"] == "risk.methane")
    low, high = warning["evidence"]["interval_95"]
    assert low < warning["evidence"]["predicted"] < high
    time.sleep(3.0)
    # on up past the 1.0 % line over the last 30 s (a ramp, not a spike), above it for the rule's 10 s: the alarm
    ramp = [0.65 + 0.01 * i for i in range(60)]
    send(api, ramp, start=utc_now() - timedelta(seconds=30), step_s=0.5, seq=100)
    report = wait_for(
        api,
        "/api/v1/warnings/lead-times",
        lambda body: any(a["rule_id"] == "methane.working_face" for a in body["alarms"]),
    )
    alarm = next(a for a in report["alarms"] if a["rule_id"] == "methane.working_face")
    assert alarm["alarms"] == 1 and alarm["warned"] == 1 and alarm["median_lead_s"] > 0
    warned = next(w for w in report["warnings"] if w["rule_id"] == "risk.methane")
    assert warned["warnings"] == 1 and warned["followed_by_alarm"] == 1 and warned["false_alarms"] == 0


def test_who_may_read_forecasts_and_bad_parameters(fast_risk_api: Api) -> None:
    api = fast_risk_api
    for path in ("/api/v1/forecasts", "/api/v1/warnings/lead-times"):
        assert api.call("operator", "GET", path).status_code == 403
        assert api.call(None, "GET", path).status_code == 401
        assert api.call("supervisor", "GET", path).status_code == 200
    unknown_zone = api.call("supervisor", "GET", "/api/v1/forecasts?zone_id=no_such_zone")
    assert unknown_zone.status_code == 404 and "zone_id" in unknown_zone.json()["error"]["message"]
    assert api.call("supervisor", "GET", "/api/v1/forecasts?device_id=no-such").status_code == 404
    swapped = api.call("supervisor", "GET", "/api/v1/forecasts?start=2026-12-02T00:00:00Z&end=2026-12-01T00:00:00Z")
    assert swapped.status_code == 422 and "end is before start" in swapped.text
    zero = api.call("supervisor", "GET", "/api/v1/warnings/lead-times?lookback_s=0")
    assert zero.status_code == 422 and "lookback_s" in zero.text
    assert api.call("supervisor", "GET", "/api/v1/forecasts?limit=0").status_code == 422
