"""Hostile times through the API (issue 13, items 2, 4 and 10): a time that cannot be converted to
UTC or lies outside 1900..9000 refuses that reading or event alone, and is a 422 naming the field
in a position or a query value (never a 500); bare numbers are not times; positions and tag
fixes from the future are refused instead of freezing the live position; late fixes never move it."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from mineguard.services.storage.models import Asset
from mineguard.services.storage.types import utc_now
from service_inputs import POISON

from .conftest import Api

POISON_T = POISON["t"]  # year 10000 in UTC
BAD_TIMES = [POISON_T, "0001-01-01T00:00:00+14:00", "0001-01-01T00:00:00Z", "0.5", "0.0"]
ROAD, PIT = (395.0, 0.0, -400.0), (15.0, 0.0, -400.0)  # main_roadway, pit_bottom
# route, other query values, the time parameters it takes
QUERIES = [
    ("/api/v1/readings", {"device_id": "ch4-1101-t"}, "start"),
    ("/api/v1/readings", {"device_id": "ch4-1101-t"}, "end"),
    ("/api/v1/events", {}, "start"),
    ("/api/v1/events", {}, "end"),
    ("/api/v1/zones/face_1101/occupants", {}, "start"),
    ("/api/v1/zones/face_1101/occupants", {"start": "2026-11-22T06:00:00Z"}, "end"),
    ("/api/v1/assets/miner-005/position", {}, "at"),
    ("/api/v1/assets/miner-005/history", {}, "start"),
    ("/api/v1/assets/miner-005/history", {}, "end"),
]


def _position(t: datetime | str, xyz: tuple[float, float, float]) -> dict:
    return {"t": t if isinstance(t, str) else t.isoformat(), "x_m": xyz[0], "y_m": xyz[1], "z_m": xyz[2]}


def _problems(response) -> str:
    assert response.status_code == 422, response.text
    return " | ".join(response.json()["error"]["problems"]) or response.json()["error"]["message"]


def test_the_poison_reading_is_refused_alone_in_an_http_batch(shared_api: Api) -> None:
    good = {
        "device_id": "co-belt",
        "kind": "co",
        "seq": 2_000_001,
        "t": "2026-11-22T06:00:00Z",
        "value": 3,
        "unit": "ppm",
    }
    response = shared_api.call("manager", "POST", "/api/v1/readings", json={"readings": [good, POISON]})
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["accepted"], report["rejected"], report["rejected_by_reason"]) == (1, 1, {"invalid_schema": 1})
    (reject,) = report["rejects"]
    assert (reject["index"], reject["device_id"], reject["seq"]) == (1, "co-belt", 3000100)
    assert f"t: {POISON_T} is out of range — write a time between 1900-01-01 and 9000-01-01" in reject["detail"]
    kept = shared_api.call("manager", "GET", "/api/v1/readings/rejects", params={"device_id": "co-belt"}).json()
    assert any(r["seq"] == 3000100 and '"9999-12-31T23:59:59-14:00"' in r["payload"] for r in kept)


def test_the_poison_time_in_an_event_is_refused_alone(shared_api: Api) -> None:
    event = {"source": "operator", "label": "gas_smell", "zone_id": "face_1101"}
    body = {"events": [{**event, "t": utc_now().isoformat()}, {**event, "t": POISON_T}, {**event, "t": 0.5}]}
    response = shared_api.call("manager", "POST", "/api/v1/events", json=body)
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["accepted"], report["rejected"]) == (1, 2)
    assert f"t: {POISON_T} is out of range" in report["rejects"][0]["detail"]
    assert "t: must be an ISO-8601 string with a time zone" in report["rejects"][1]["detail"]


@pytest.mark.parametrize("t", [POISON_T, "0001-01-01T00:00:00+14:00", "0.5"])
def test_a_position_at_an_impossible_time_is_422_naming_t(shared_api: Api, t: str) -> None:
    response = shared_api.call("manager", "POST", "/api/v1/assets/miner-005/position", json=_position(t, ROAD))
    assert "t: " in _problems(response)


@pytest.mark.parametrize("value", BAD_TIMES)
@pytest.mark.parametrize(("path", "params", "name"), QUERIES, ids=[f"{q[0]}?{q[2]}" for q in QUERIES])
def test_impossible_query_times_are_422_naming_the_parameter(
    shared_api: Api, path: str, params: dict, name: str, value: str
) -> None:
    response = shared_api.call("manager", "GET", path, params={**params, name: value})
    problems = _problems(response)
    assert f"query.{name}: " in problems
    assert "is out of range" in problems or "is a number, not a time — write ISO-8601 with a time zone" in problems


def test_a_position_from_the_future_is_refused_and_real_fixes_move_the_dot(shared_api: Api) -> None:
    far = shared_api.call(
        "manager", "POST", "/api/v1/assets/miner-005/position", json=_position("2999-01-01T00:00:00Z", (1, 1, 1))
    )
    problems = _problems(far)
    assert (
        problems.startswith("t 2999-01-01T00:00:00+00:00 is ") and "ahead of the server clock (limit 300 s)" in problems
    )
    assert "NTP" in problems
    now = utc_now().replace(microsecond=0)
    moved = shared_api.call("manager", "POST", "/api/v1/assets/miner-005/position", json=_position(now, ROAD))
    assert moved.status_code == 201, moved.text
    late = shared_api.call(
        "manager", "POST", "/api/v1/assets/miner-005/position", json=_position(now - timedelta(minutes=5), PIT)
    )
    assert late.status_code == 201 and late.json()["zone_id"] == "pit_bottom"
    live = shared_api.call("manager", "GET", "/api/v1/assets/miner-005").json()
    assert (live["x"], live["zone_id"], datetime.fromisoformat(live["updated_at"])) == (395.0, "main_roadway", now)
    window = {"start": (now - timedelta(hours=1)).isoformat(), "end": (now + timedelta(minutes=1)).isoformat()}
    history = shared_api.call("manager", "GET", "/api/v1/assets/miner-005/history", params=window).json()
    assert [h["zone_id"] for h in history] == ["pit_bottom", "main_roadway"]  # the late fix: history only


def test_a_live_position_frozen_in_the_future_is_released(shared_api: Api) -> None:
    """A live row written with a time from the future before this check existed no longer holds it."""
    ctx = shared_api.client.app.state.ctx
    with ctx.sessions() as session, session.begin():
        miner = session.get(Asset, "miner-006")
        miner.x, miner.y, miner.z, miner.updated_at = 1.0, 1.0, 1.0, datetime.fromisoformat("2999-01-01T00:00:00+00:00")
    now = utc_now().replace(microsecond=0)
    moved = shared_api.call("manager", "POST", "/api/v1/assets/miner-006/position", json=_position(now, ROAD))
    assert moved.status_code == 201, moved.text
    live = shared_api.call("manager", "GET", "/api/v1/assets/miner-006").json()
    assert (live["x"], live["zone_id"], datetime.fromisoformat(live["updated_at"])) == (395.0, "main_roadway", now)


def test_a_tag_fix_from_the_future_is_refused_alone(shared_api: Api) -> None:
    secret = shared_api.call("manager", "POST", "/api/v1/gateways/gw-roadways/register").json()["secret"]
    gateway = {"X-Gateway-Id": "gw-roadways", "X-Gateway-Secret": secret}
    paired = shared_api.call(
        "manager", "POST", "/api/v1/tags/pair", json={"barcode": "6901234500028", "asset_id": "miner-002"}
    )
    assert paired.status_code == 200, paired.text
    now = utc_now().replace(microsecond=0)
    fixes = [
        _position(now - timedelta(seconds=60), PIT),
        _position("2999-01-01T00:00:00Z", (1, 1, 1)),
        _position(now - timedelta(seconds=30), ROAD),
    ]
    body = {"readings": [{"barcode": "6901234500028", **fix} for fix in fixes]}
    response = shared_api.client.post("/api/v1/gateways/gw-roadways/readings", json=body, headers=gateway)
    assert response.status_code == 200, response.text
    outcomes = response.json()
    assert [(o["asset_id"], o["zone_id"]) for o in outcomes] == [
        ("miner-002", "pit_bottom"),
        (None, None),
        ("miner-002", "main_roadway"),
    ]
    assert [o["refused"] is None for o in outcomes] == [True, False, True]
    assert outcomes[1]["refused"].startswith("readings[1].t 2999-01-01T00:00:00+00:00 is ")
    assert "ahead of the server clock" in outcomes[1]["refused"] and "NTP" in outcomes[1]["refused"]
    live = shared_api.call("manager", "GET", "/api/v1/assets/miner-002").json()
    assert live["zone_id"] == "main_roadway" and datetime.fromisoformat(live["updated_at"]) == now - timedelta(
        seconds=30
    )
    kept = shared_api.call("manager", "GET", "/api/v1/readings/rejects", params={"reason": "clock_skew"}).json()
    assert any(r["source"] == "http:gw-roadways" and r["detail"].startswith("readings[1].t 2999") for r in kept)
