"""GET /api/v1/assets/{id}/state and /state/history: a machine's state from the readings of the
sensors mounted on it — who may see it, unknown assets, and parameters that are refused by name."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mineguard.services.storage.types import utc_now

from .conftest import Api


def _post(api: Api, *readings: dict) -> None:
    response = api.call("manager", "POST", "/api/v1/readings", json={"readings": list(readings)})
    assert response.status_code == 200 and response.json()["accepted"] == len(readings), response.text


def _run(seq: int, t, value: float, unit: str = "state") -> dict:
    return {"device_id": "belt-b1-run", "kind": "running", "seq": seq, "t": t.isoformat(), "value": value, "unit": unit}


def test_a_machines_state_and_its_history_from_its_sensors(api: Api) -> None:
    t0 = utc_now() - timedelta(minutes=5)
    _post(
        api,
        _run(1, t0, 1),
        _run(2, t0 + timedelta(minutes=1), 0, "on/off"),
        {
            "device_id": "belt-b1-bearing",
            "kind": "bearing_temp",
            "seq": 1,
            "t": t0.isoformat(),
            "value": 158,
            "unit": "degF",
        },
    )
    sensors = api.call("supervisor", "GET", "/api/v1/devices", params={"kind": "sensor"}).json()
    mounted = {d["id"]: d["asset_id"] for d in sensors if d["asset_id"] == "belt-b1"}
    assert mounted == {"belt-b1-run": "belt-b1", "belt-b1-bearing": "belt-b1", "vib-belt-drive": "belt-b1"}
    state = api.call("supervisor", "GET", "/api/v1/assets/belt-b1/state")
    assert state.status_code == 200, state.text
    body = state.json()
    assert body["asset_id"] == "belt-b1" and sorted(body["state"]) == ["bearing_temp", "running"]
    assert body["state"]["running"]["value"] == 0.0 and body["state"]["running"]["device_id"] == "belt-b1-run"
    assert (
        body["state"]["bearing_temp"]["value"] == pytest.approx(70.0)
        and body["state"]["bearing_temp"]["unit"] == "degC"
    )

    window = {"start": (t0 - timedelta(seconds=1)).isoformat(), "end": utc_now().isoformat()}
    runs = api.call("manager", "GET", "/api/v1/assets/belt-b1/state/history", params={"kind": "running", **window})
    assert runs.status_code == 200, runs.text
    assert [(r["value"], r["raw_unit"]) for r in runs.json()] == [(1.0, "state"), (0.0, "on/off")]
    everything = api.call("manager", "GET", "/api/v1/assets/belt-b1/state/history", params=window).json()
    assert {r["kind"] for r in everything} == {"running", "bearing_temp"}
    limited = api.call("manager", "GET", "/api/v1/assets/belt-b1/state/history", params={"limit": 1, **window}).json()
    assert len(limited) == 1
    assert api.call("manager", "GET", "/api/v1/assets/fan-f2/state").json()["state"] == {}  # nothing reported yet


def test_who_may_see_a_machines_state(api: Api) -> None:
    assert api.call("operator", "GET", "/api/v1/assets/belt-b1/state").status_code == 403  # operators: themselves
    assert api.call("operator", "GET", "/api/v1/assets/belt-b1/state/history").status_code == 403
    assert api.call(None, "GET", "/api/v1/assets/belt-b1/state").status_code == 401
    for role in ("supervisor", "manager", "super_manager"):
        assert api.call(role, "GET", "/api/v1/assets/belt-b1/state").status_code == 200
    own = api.call("operator", "GET", "/api/v1/assets/miner-001/state")
    assert own.status_code == 200 and own.json()["state"] == {}


def test_unknown_asset_is_404_naming_it(api: Api) -> None:
    for path in ("/api/v1/assets/pump-9/state", "/api/v1/assets/pump-9/state/history"):
        response = api.call("manager", "GET", path)
        assert response.status_code == 404 and "asset 'pump-9' does not exist" in response.text


BAD_PARAMS = [
    ({"kind": "Running!"}, "query.kind: String should match pattern"),
    (
        {"kind": "methane"},
        "query.kind: 'methane' is not measured on belt-b1 — its sensor kinds: bearing_temp, running, vibration",
    ),
    ({"limit": 0}, "query.limit: Input should be greater than or equal to 1"),
    ({"limit": 10_001}, "query.limit: Input should be less than or equal to 10000"),
    ({"start": "2026-11-22T06:00:00"}, "query.start: "),
    ({"start": "2026-11-22T07:00:00Z", "end": "2026-11-22T06:00:00Z"}, "end is before start"),
]


def test_bad_history_parameters_are_422_naming_them(api: Api) -> None:
    for params, problem in BAD_PARAMS:
        response = api.call("manager", "GET", "/api/v1/assets/belt-b1/state/history", params=params)
        assert response.status_code == 422, (params, response.text)
        assert problem in response.json()["error"]["message"], (params, response.text)
