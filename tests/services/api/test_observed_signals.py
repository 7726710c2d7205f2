"""Every scenario signal is observed, not injected: through the API only (no ``observe_signal`` call
from the test), the fan's run-state readings make the gas rule fire, and tag fixes posted by a
gateway make the twin derive ``danger.approach`` and a running machine's approach and closing speed."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from mineguard.services.storage.types import utc_now

from .conftest import Api

BARCODE = "6901234500042"  # tag-0004
Z = -403.0


@pytest.fixture
def seen(api: Api, monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """Every signal the rule engine gets through ``observe_signal``: (key, zone, value, source)."""
    pipeline = api.client.app.state.ctx.pipeline
    original, calls = pipeline.observe_signal, []

    def spy(key, t, value, zone_id=None, source=None):
        calls.append((key, zone_id, value, source))
        return original(key, t, value, zone_id, source=source)

    monkeypatch.setattr(pipeline, "observe_signal", spy)
    return calls


def _gateway(api: Api) -> dict[str, str]:
    secret = api.call("manager", "POST", "/api/v1/gateways/gw-faces/register").json()["secret"]
    return {"X-Gateway-Id": "gw-faces", "X-Gateway-Secret": secret}


def _alerts(api: Api, rule_id: str) -> list[dict]:
    return [a for a in api.call("manager", "GET", "/api/v1/alerts").json() if a["rule_id"] == rule_id]


def test_fan_stopped_reading_and_rising_methane_raise_the_gas_rule(api: Api, seen: list) -> None:
    gateway = _gateway(api)
    raised = []
    for i in range(40):  # stamped with the wall clock: the service ticks on it, old signals go stale
        t = utc_now().isoformat()
        batch = [
            {"device_id": "ch4-1101-t", "kind": "methane", "seq": i, "t": t, "value": 0.35 + 0.05 * i, "unit": "%"},
            {"device_id": "fan-f2-run", "kind": "running", "seq": i, "t": t, "value": 0, "unit": "on/off"},
        ]
        response = api.client.post("/api/v1/readings", json={"readings": batch}, headers=gateway)
        assert response.status_code == 200 and response.json()["accepted"] == 2, response.text
        raised = _alerts(api, "gas-rising-fan-stopped")
        if raised:
            break
        time.sleep(0.4)
    assert raised, "the gas rule did not fire from the readings"
    assert raised[0]["severity"] == "emergency" and "booster fan F2 stopped" in raised[0]["message"]
    assert raised[0]["evidence"]["fan-f2.running@return_airway"] == 0.0
    assert seen == []  # nothing was injected
    state = api.call("manager", "GET", "/api/v1/assets/fan-f2/state").json()["state"]
    assert state["running"]["value"] == 0.0


def _fix(x: float, t) -> dict:
    return {"barcode": BARCODE, "t": t.isoformat(), "x_m": x, "y_m": 0.0, "z_m": Z}


def test_tag_fixes_walking_to_the_face_give_the_engine_approach_signals(api: Api, seen: list) -> None:
    gateway = _gateway(api)
    paired = api.call("manager", "POST", "/api/v1/tags/pair", json={"barcode": BARCODE, "asset_id": "miner-004"})
    assert paired.status_code == 200, paired.text
    t0 = utc_now() - timedelta(seconds=20)
    shearer_on = {"device_id": "shearer-1101-run", "kind": "running", "seq": 1, "t": t0.isoformat(), "value": 1}
    fan_off = {"device_id": "fan-f2-run", "kind": "running", "seq": 1, "t": t0.isoformat(), "value": 0}
    response = api.call(
        "manager", "POST", "/api/v1/readings", json=[{**shearer_on, "unit": "state"}, {**fan_off, "unit": "state"}]
    )
    assert response.json()["accepted"] == 2, response.text

    # miner-004 walks east along the main roadway towards face 1101 (x = 790), one fix every 2 s
    for i, x in enumerate((690.0, 710.0, 730.0, 750.0)):
        response = api.client.post(
            "/api/v1/gateways/gw-faces/readings",
            json={"readings": [_fix(x, t0 + timedelta(seconds=2 * i))]},
            headers=gateway,
        )
        assert response.status_code == 200, response.text
    face = [(value, source) for key, zone, value, source in seen if (key, zone) == ("danger.approach", "face_1101")]
    assert [value for value, _ in face] == pytest.approx([100.0, 80.0, 60.0, 40.0], abs=0.05)
    assert {source for _, source in face} == {"twin:miner-004"}
    shearer = [value for key, zone, value, _ in seen if (key, zone) == ("shearer-1101.approach", "face_1101")]
    assert shearer == pytest.approx([100.0, 80.0, 60.0, 40.0], abs=0.05)
    closing = [value for key, zone, value, _ in seen if (key, zone) == ("shearer-1101.closing", "face_1101")]
    assert closing == pytest.approx([10.0, 10.0, 10.0], abs=0.01)  # 20 m every 2 s; no speed from the first fix
    assert not [key for key, *_ in seen if key.startswith(("fan-f2.", "belt-b1."))]  # stopped / not known to run

    # a batch of several fixes is one derivation, at its newest fix
    before = len(seen)
    batch = [_fix(752.0 + i, t0 + timedelta(seconds=8, milliseconds=200 * i)) for i in range(5)]
    assert (
        api.client.post("/api/v1/gateways/gw-faces/readings", json={"readings": batch}, headers=gateway).status_code
        == 200
    )
    after = [(key, zone, value) for key, zone, value, _ in seen[before:] if key == "danger.approach"]
    assert [(key, zone) for key, zone, _ in after].count(("danger.approach", "face_1101")) == 1
    assert next(v for k, z, v in after if z == "face_1101") == pytest.approx(34.0, abs=0.05)


def test_a_camera_and_the_twins_distance_raise_the_no_helmet_rule(api: Api, seen: list) -> None:
    gateway = _gateway(api)
    api.call("manager", "POST", "/api/v1/tags/pair", json={"barcode": BARCODE, "asset_id": "miner-004"})
    helmet = []
    for i in range(30):  # the camera at the face gate sees miner-004 without a helmet, 30 m from the face
        t = utc_now()
        fix = api.client.post(
            "/api/v1/gateways/gw-faces/readings", json={"readings": [_fix(760.0, t)]}, headers=gateway
        )
        assert fix.status_code == 200, fix.text
        event = {
            "source": "vision",
            "label": "no_helmet",
            "t": t.isoformat(),
            "device_id": "cam-face-gate-1101",
            "event_id": f"f{i}",
        }
        assert api.client.post("/api/v1/events", json=[event], headers=gateway).status_code == 200
        helmet = _alerts(api, "no-helmet-danger-zone")
        if helmet:
            break
        time.sleep(0.3)
    assert helmet, "the no-helmet rule did not fire"
    assert helmet[0]["evidence"]["danger.approach@face_1101"] == pytest.approx(30.0, abs=0.05)
    assert "30.0 m away" in helmet[0]["message"]
    assert all(source == "twin:miner-004" for key, _, _, source in seen if key == "danger.approach")
