"""Alerts through the API as the control room uses them: see, acknowledge, resolve, audit."""

from __future__ import annotations

from service_inputs import methane_rise

from .conftest import raise_test_alert


def test_acknowledge_then_resolve(api) -> None:
    alert_id = raise_test_alert(api.client.app)
    with api.client.websocket_connect(f"/api/v1/stream?token={api.tokens['manager']}") as ws:
        ws.receive_json()
        listed = api.call("operator", "GET", "/api/v1/alerts", params={"state": "active"}).json()
        assert [a["id"] for a in listed] == [alert_id] and "evacuate Face 1101" in listed[0]["message"]
        acked = api.call("operator", "POST", f"/api/v1/alerts/{alert_id}/ack", json={"note": "on my way"})
        assert acked.status_code == 200 and acked.json()["acknowledged_by"] == "op1"
        event = ws.receive_json()
        assert event["type"] == "alert.acknowledged" and event["data"]["id"] == alert_id
    again = api.call("operator", "POST", f"/api/v1/alerts/{alert_id}/ack", json={})
    assert again.status_code == 409 and "only an open alert" in again.json()["error"]["message"]
    assert (
        api.call(
            "operator", "POST", f"/api/v1/alerts/{alert_id}/resolve", json={"resolution": "fan restarted"}
        ).status_code
        == 403
    )
    resolved = api.call(
        "supervisor", "POST", f"/api/v1/alerts/{alert_id}/resolve", json={"resolution": "fan restarted"}
    )
    assert resolved.json()["state"] == "resolved" and resolved.json()["resolved_by"] == "sup-a"
    history = api.call("manager", "GET", f"/api/v1/alerts/{alert_id}/history").json()
    assert [h["kind"] for h in history] == ["raised", "acknowledged", "resolved"]
    assert api.call("manager", "GET", "/api/v1/alerts", params={"state": "active"}).json() == []
    assert api.call("manager", "GET", "/api/v1/audit/verify").json()["ok"]


def test_unknown_alert(api) -> None:
    response = api.call("operator", "POST", "/api/v1/alerts/4242/ack", json={})
    assert response.status_code == 404 and "GET /api/v1/alerts" in response.json()["error"]["message"]


def test_readings_posted_over_http_raise_an_alert_on_the_stream(api) -> None:
    readings = methane_rise()
    with api.client.websocket_connect(f"/api/v1/stream?token={api.tokens['operator']}") as ws:
        ws.receive_json()
        response = api.call("manager", "POST", "/api/v1/readings", json={"readings": readings})
        assert response.status_code == 200 and response.json()["accepted"] == 16
        event = ws.receive_json()
        assert event["type"] == "alert.raised" and event["data"]["zone_id"] == "face_1101"
    active = api.call("operator", "GET", "/api/v1/alerts", params={"state": "active"}).json()
    assert len(active) == 1 and active[0]["severity"] == "critical"
    assert "withdraw people from Longwall face 1101" in active[0]["message"]


def test_acknowledge_with_a_reason_keeps_it_in_the_history(api) -> None:
    alert_id = raise_test_alert(api.client.app)
    refused = api.call("operator", "POST", f"/api/v1/alerts/{alert_id}/ack", json={"reason": "bored"})
    assert refused.status_code == 422 and "reason" in refused.text
    assert api.call("operator", "GET", f"/api/v1/alerts/{alert_id}").json()["state"] == "open"
    body = {"reason": "false_alarm", "note": "sensor being calibrated"}
    assert api.call("operator", "POST", f"/api/v1/alerts/{alert_id}/ack", json=body).status_code == 200
    history = api.call("operator", "GET", f"/api/v1/alerts/{alert_id}/history").json()
    assert history[-1]["kind"] == "acknowledged" and history[-1]["detail"] == body


def test_me_names_the_permissions_of_the_role(api) -> None:
    operator = api.call("operator", "GET", "/api/v1/auth/me").json()
    assert operator["role"] == "operator" and "ack_alerts" in operator["permissions"]
    assert "resolve_alerts" not in operator["permissions"] and "set_thresholds" not in operator["permissions"]
    supervisor = api.call("supervisor", "GET", "/api/v1/auth/me").json()
    assert {"ack_alerts", "resolve_alerts"} <= set(supervisor["permissions"])
