"""Every route that returns data about a person applies the assets routes' scope (seed 004 §3.1.4):
the crew-a supervisor (sup-a, miner-003) and the operator (op1, miner-001) never learn where
miner-006 (crew-b) is or what happened to them — not through the tag they wear, its readings, the
events, help calls or alerts about them, nor the live stream — while the manager sees everyone."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mineguard.services.storage.types import utc_now

from .conftest import Api, raise_test_alert

CREW_B_TAG, CREW_A_TAG = ("tag-0006", "6901234500066"), ("tag-0002", "6901234500028")


def _now() -> str:
    return (utc_now() - timedelta(seconds=5)).isoformat()


def _pair_and_move(api: Api, tag: tuple[str, str], person: str, secret: str) -> None:
    paired = api.call("manager", "POST", "/api/v1/tags/pair", json={"barcode": tag[1], "asset_id": person})
    assert paired.status_code == 200, paired.text
    fix = {"readings": [{"barcode": tag[1], "t": _now(), "x_m": 100, "y_m": 0, "z_m": -400}]}
    moved = api.client.post("/api/v1/gateways/gw-faces/readings", json=fix, headers={"X-Gateway-Secret": secret})
    assert moved.status_code == 200, moved.text


def _event(device: str, person: str | None) -> dict:
    event = {"source": "tag", "label": "fall_or_faint", "t": _now(), "device_id": device}
    return {**event, "asset_id": person} if person else event


@pytest.fixture
def mine(api: Api) -> Api:
    """miner-006 (crew-b) wears tag-0006, miner-002 (crew-a) tag-0002; both fell; help was called for both."""
    secret = api.call("manager", "POST", "/api/v1/gateways/gw-faces/register").json()["secret"]
    _pair_and_move(api, CREW_B_TAG, "miner-006", secret)
    _pair_and_move(api, CREW_A_TAG, "miner-002", secret)
    events = [_event("tag-0006", "miner-006"), _event("tag-0006", None), _event("tag-0002", "miner-002")]
    stored = api.call("manager", "POST", "/api/v1/events", json={"events": events})
    assert stored.status_code == 200 and stored.json()["accepted"] == 3, stored.text
    for person in ("miner-006", "miner-002"):
        called = api.call("manager", "POST", "/api/v1/help", json={"message": f"{person} down", "asset_id": person})
        assert called.status_code == 201, called.text
    app = api.client.app
    api.alerts = {  # type: ignore[attr-defined]
        "gas": raise_test_alert(app),
        "miner-006": _person_alert(app, "miner-006"),
        "tag-0006": _person_alert(app, "tag-0006"),
        "miner-001": _person_alert(app, "miner-001"),
        "miner-002": _person_alert(app, "miner-002"),
    }
    return api


def _person_alert(app, subject: str) -> int:
    from mineguard.services.alerts import book

    with app.state.ctx.sessions() as session, session.begin():
        change = book.raise_or_update(
            session,
            key=f"fall:{subject}",
            rule_id="fall",
            severity="critical",
            title=f"Fall of {subject}",
            message=f"{subject} fell",
            t=utc_now(),
            zone_id="surface_gate",
            subject_id=subject,
        )
        return change.alert.id


def test_the_reported_leaks_are_closed(mine: Api) -> None:
    assert mine.call("supervisor", "GET", "/api/v1/assets/miner-006").status_code == 403  # as before
    response = mine.call("supervisor", "GET", "/api/v1/devices/tag-0006")
    assert response.status_code == 403 and "outside your scope" in response.json()["error"]["message"]
    listed = {device["id"]: device for device in mine.call("supervisor", "GET", "/api/v1/devices").json()}
    assert "tag-0006" not in listed and listed["tag-0002"]["paired_asset_id"] == "miner-002"
    assert "ch4-1101-t" in listed  # sensors are nobody's
    tags = [d["id"] for d in mine.call("supervisor", "GET", "/api/v1/devices", params={"kind": "tag"}).json()]
    assert "tag-0006" not in tags and "tag-0002" in tags
    events = mine.call("supervisor", "GET", "/api/v1/events").json()
    assert [(e["device_id"], e["asset_id"]) for e in events] == [("tag-0002", "miner-002")]
    assert mine.call("supervisor", "GET", "/api/v1/events", params={"asset_id": "miner-006"}).json() == []


def test_the_manager_sees_everyone(mine: Api) -> None:
    assert mine.call("manager", "GET", "/api/v1/devices/tag-0006").json()["paired_asset_id"] == "miner-006"
    assert len(mine.call("manager", "GET", "/api/v1/events").json()) == 3
    assert {h["asset_id"] for h in mine.call("manager", "GET", "/api/v1/help").json()} == {"miner-006", "miner-002"}
    assert set(mine.alerts.values()) <= {a["id"] for a in mine.call("manager", "GET", "/api/v1/alerts").json()}
    assert mine.call("manager", "GET", f"/api/v1/alerts/{mine.alerts['miner-006']}").status_code == 200
    readings = mine.call("manager", "GET", "/api/v1/readings", params={"device_id": "tag-0006"})
    assert readings.status_code == 200, readings.text


def test_readings_of_a_worn_tag_follow_the_wearer(mine: Api) -> None:
    response = mine.call("supervisor", "GET", "/api/v1/readings", params={"device_id": "tag-0006"})
    assert response.status_code == 403 and "outside your scope" in response.json()["error"]["message"]
    assert mine.call("supervisor", "GET", "/api/v1/readings", params={"device_id": "tag-0002"}).status_code == 200
    assert mine.call("supervisor", "GET", "/api/v1/readings", params={"device_id": "ch4-1101-t"}).status_code == 200


def test_help_calls_about_people_follow_their_scope(mine: Api) -> None:
    calls = mine.call("supervisor", "GET", "/api/v1/help").json()
    assert [call["asset_id"] for call in calls] == ["miner-002"]


@pytest.mark.parametrize(
    ("role", "hidden", "shown"),
    [
        ("supervisor", ["miner-006", "tag-0006"], ["gas", "miner-001", "miner-002"]),
        ("operator", ["miner-006", "tag-0006", "miner-002"], ["gas", "miner-001"]),
    ],
)
def test_alerts_about_a_person_follow_their_scope(mine: Api, role: str, hidden: list[str], shown: list[str]) -> None:
    listed = {alert["id"] for alert in mine.call(role, "GET", "/api/v1/alerts").json()}
    assert {mine.alerts[name] for name in shown} <= listed
    assert not {mine.alerts[name] for name in hidden} & listed
    for name in hidden:
        alert_id = mine.alerts[name]
        for method, path, body in [
            ("GET", f"/api/v1/alerts/{alert_id}", None),
            ("GET", f"/api/v1/alerts/{alert_id}/history", None),
            ("POST", f"/api/v1/alerts/{alert_id}/ack", {"note": "seen"}),
        ]:
            response = mine.call(role, method, path, json=body)
            assert response.status_code == 403 and "outside your scope" in response.text, (name, path, response.text)
    if role == "supervisor":
        hidden_id = mine.alerts[hidden[0]]
        resolve = mine.call(role, "POST", f"/api/v1/alerts/{hidden_id}/resolve", json={"resolution": "nope"})
        assert resolve.status_code == 403
    assert mine.call(role, "GET", f"/api/v1/alerts/{mine.alerts['miner-001']}").status_code == 200
    acked = mine.call(role, "POST", f"/api/v1/alerts/{mine.alerts['miner-001']}/ack", json={"note": "on it"})
    assert acked.status_code == 200, acked.text


def test_operators_see_no_devices_events_or_help(mine: Api) -> None:
    for path in (
        "/api/v1/devices",
        "/api/v1/devices/tag-0001",
        "/api/v1/events",
        "/api/v1/help",
        "/api/v1/readings?device_id=tag-0001",
    ):
        assert mine.call("operator", "GET", path).status_code == 403, path


def test_occupants_leave_out_people_outside_the_scope(mine: Api) -> None:
    path, window = f"/api/v1/zones/{_zone_of(mine, 'miner-002')}/occupants", {"start": _now()}
    supervisor = {p["entity_id"] for p in mine.call("supervisor", "GET", path, params=window).json()}
    manager = {p["entity_id"] for p in mine.call("manager", "GET", path, params=window).json()}
    assert {"miner-002", "miner-006"} <= manager and "miner-006" not in supervisor and "miner-002" in supervisor


def test_the_stream_scopes_events_about_people(mine: Api) -> None:
    with mine.client.websocket_connect(f"/api/v1/stream?token={mine.tokens['supervisor']}") as ws:
        assert ws.receive_json()["type"] == "stream.hello"
        events = [_event("tag-0006", "miner-006"), _event("tag-0002", "miner-002")]
        assert mine.call("manager", "POST", "/api/v1/events", json={"events": events}).status_code == 200
        first = ws.receive_json()
        assert first["type"] == "event" and first["data"]["asset_id"] == "miner-002", first
        for person in ("miner-006", "miner-002"):
            called = mine.call("manager", "POST", "/api/v1/help", json={"message": "down", "asset_id": person})
            assert called.status_code == 201
        help_call = ws.receive_json()
        assert help_call["type"] == "help.called" and help_call["data"]["asset_id"] == "miner-002", help_call


def _zone_of(api: Api, person: str) -> str:
    return api.call("manager", "GET", f"/api/v1/assets/{person}").json()["zone_id"]
