"""End to end, as the people at a mine use it: log in per role, register a gateway, pair a tag,
walk a miner underground through the gateway, query where they were, change a threshold
(and fail as a manager), command the gateway, call for help, verify the log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from mineguard.mine.graph import ZoneGraph
from mineguard.mine.site import load_site
from mineguard.services.twin.motion import generate_accel

T0 = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
ROUTE = ["surface_gate", "main_shaft", "pit_bottom", "main_roadway", "face_gate_1101", "face_1101"]
BARCODE = "6901234500011"


def _reading(graph: ZoneGraph, zone: str, minute: int, kind: str = "walking") -> dict:
    x, y, z = graph.point_along(zone, 0.5)
    accel = np.round(generate_accel(kind, seconds=8.4, rate_hz=25.0, seed=minute), 4).tolist()
    return {
        "barcode": BARCODE,
        "t": (T0 + timedelta(minutes=minute)).isoformat(),
        "x_m": x,
        "y_m": y,
        "z_m": z,
        "accel_g": accel,
        "rate_hz": 25.0,
    }


def test_a_shift_underground(api) -> None:
    graph = ZoneGraph.from_site(load_site())
    # a manager registers the face gateway and pairs Li Wei's tag by its barcode
    registration = api.call("manager", "POST", "/api/v1/gateways/gw-faces/register")
    assert registration.status_code == 201, registration.text
    secret = {"X-Gateway-Secret": registration.json()["secret"]}
    paired = api.call("manager", "POST", "/api/v1/tags/pair", json={"barcode": BARCODE, "asset_id": "miner-001"})
    assert paired.status_code == 200 and paired.json()["paired_asset_id"] == "miner-001"

    # the gateway reports the tag walking from the lamp room to face 1101, then a fall there
    readings = [_reading(graph, zone, minute * 10) for minute, zone in enumerate(ROUTE)]
    readings.append(_reading(graph, "face_1101", 55, kind="fall"))
    response = api.client.post("/api/v1/gateways/gw-faces/readings", json={"readings": readings}, headers=secret)
    assert response.status_code == 200, response.text
    outcomes = response.json()
    assert [o["zone_id"] for o in outcomes] == [*ROUTE, "face_1101"]
    assert [o["motion"] for o in outcomes] == ["moving"] * len(ROUTE) + ["fall_or_faint"]

    # where was he at 06:25? (between the pit-bottom fix at 06:20 and the roadway fix at 06:30)
    at = api.call("manager", "GET", "/api/v1/assets/miner-001/position", params={"at": "2026-11-22T06:25:00Z"})
    assert at.status_code == 200 and at.json()["zone_id"] == "pit_bottom"
    history = api.call(
        "manager",
        "GET",
        "/api/v1/assets/miner-001/history",
        params={"start": T0.isoformat(), "end": (T0 + timedelta(hours=1)).isoformat()},
    )
    assert [h["zone_id"] for h in history.json()] == [*ROUTE, "face_1101"]

    # who was in the main roadway between 06:00 and 07:00? Li Wei, from 06:30 to 06:40
    occupants = api.call(
        "supervisor",
        "GET",
        "/api/v1/zones/main_roadway/occupants",
        params={"start": T0.isoformat(), "end": (T0 + timedelta(hours=1)).isoformat()},
    )
    assert occupants.status_code == 200
    assert occupants.json() == [
        {"entity_id": "miner-001", "start": "2026-11-22T06:30:00Z", "end": "2026-11-22T06:40:00Z"}
    ]

    # the operator sees himself, fallen at the face; his supervisor sees him too; crew-b's data is not his
    me = api.call("operator", "GET", "/api/v1/assets/me").json()
    assert me["zone_id"] == "face_1101" and me["state"]["motion"] == "fall_or_faint"
    assert "impact" in me["state"]["motion_reason"]
    assert api.call("supervisor", "GET", "/api/v1/assets/miner-001").status_code == 200
    assert api.call("operator", "GET", "/api/v1/assets/miner-004").status_code == 403
    assert [a["id"] for a in api.call("operator", "GET", "/api/v1/assets").json()] == ["miner-001"]

    # the supervisor calls for help for him
    help_call = api.call(
        "supervisor", "POST", "/api/v1/help", json={"asset_id": "miner-001", "message": "fall at face"}
    )
    assert help_call.status_code == 201 and help_call.json()["zone_id"] == "face_1101"

    # thresholds: the super-manager may raise the impact limit; a manager may not
    change = {"changes": [{"key": "fall_impact_g", "value": 29.42, "unit": "m/s2"}]}
    denied = api.call("manager", "PUT", "/api/v1/sensitivity", json=change)
    assert denied.status_code == 403 and "super_manager" in denied.json()["error"]["message"]
    allowed = api.call("super_manager", "PUT", "/api/v1/sensitivity", json=change)
    assert allowed.status_code == 200
    assert abs(allowed.json()["values"]["fall_impact_g"] - 3.0) < 1e-3

    # the manager sounds the alarm through the gateway; the gateway polls and acknowledges
    queued = api.call(
        "manager",
        "POST",
        "/api/v1/gateways/gw-faces/commands",
        json={"command": "sound_alarm", "args": {"seconds": 60, "pattern": "evacuate"}},
    )
    assert queued.status_code == 201 and queued.json()["status"] == "queued"
    polled = api.client.post("/api/v1/gateways/gw-faces/commands/poll", headers=secret).json()
    assert [c["command"] for c in polled] == ["sound_alarm"] and polled[0]["status"] == "delivered"
    acked = api.client.post(
        f"/api/v1/gateways/gw-faces/commands/{polled[0]['id']}/ack",
        headers=secret,
        json={"ok": True, "result": {"siren": "on"}},
    )
    assert acked.json()["status"] == "acknowledged"
    commands = api.call("manager", "GET", "/api/v1/gateways/gw-faces/commands").json()
    assert commands[0]["status"] == "acknowledged"

    # the log holds every change, and its chain verifies
    verify = api.call("manager", "GET", "/api/v1/audit/verify").json()
    assert verify["ok"] and verify["first_bad_seq"] is None
    actions = {e["action"] for e in api.call("manager", "GET", "/api/v1/audit", params={"limit": 500}).json()}
    assert {
        "site.loaded",
        "user.created",
        "gateway.registered",
        "tag.paired",
        "person.fall_or_faint",
        "help.called",
        "threshold.changed",
    } <= actions


def test_sync_feed_and_zone_limits(api) -> None:
    feed = {row["zone_id"]: row for row in api.call("manager", "GET", "/api/v1/zones/sync").json()}
    assert feed["face_1101"]["operating_procedure_id"] == "SOP-CUT-07"
    assert feed["surface_gate"]["staff_count"] == 6  # the six miners start at the lamp room
    limited = api.call("super_manager", "PATCH", "/api/v1/zones/face_1101/limits", json={"staff_limit": 8})
    assert limited.status_code == 200 and limited.json()["staff_limit"] == 8
    assert api.call("manager", "PATCH", "/api/v1/zones/face_1101/limits", json={"staff_limit": 9}).status_code == 403
    entries = api.call("super_manager", "GET", "/api/v1/audit", params={"action": "criteria.changed"}).json()
    assert entries[0]["payload"] == {"staff_limit": {"from": 12, "to": 8}}


def test_gateway_secret_is_required(api) -> None:
    api.call("manager", "POST", "/api/v1/gateways/gw-faces/register")
    for headers in ({}, {"X-Gateway-Secret": "wrong"}):
        response = api.client.post("/api/v1/gateways/gw-faces/commands/poll", headers=headers)
        assert response.status_code == 401
        assert "X-Gateway-Secret" in response.json()["error"]["message"]
