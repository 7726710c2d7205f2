"""POST /api/v1/events from a camera box (gateway) and reading them back; a camera's no_helmet
events and a person near the danger zone raise the combined alert through the API path."""

from __future__ import annotations

from datetime import timedelta

from mineguard.services.storage.types import utc_now

from .conftest import Api


def _event(t, **change) -> dict:
    return {
        "source": "vision",
        "label": "no_helmet",
        "t": t.isoformat(),
        "device_id": "cam-face-gate-1101",
        "confidence": 0.87,
        "bbox": [200, 150, 290, 410],
        **change,
    }


def test_camera_events_are_stored_listed_and_raise_the_combined_alert(api: Api) -> None:
    secret = api.call("manager", "POST", "/api/v1/gateways/gw-faces/register").json()["secret"]
    camera_box = {"X-Gateway-Id": "gw-faces", "X-Gateway-Secret": secret}
    pipeline = api.client.app.state.ctx.pipeline
    t0 = utc_now()  # the service ticks every second on the wall clock: past signals would go stale (max_age_s 5)
    for i in range(5):  # a crew-a miner (the supervisor's crew) without a helmet, 45 m from face 1101, every second
        t = t0 + timedelta(seconds=i)
        pipeline.observe_signal("danger.approach", t, 45.0, "face_1101")
        body = {"events": [_event(t, event_id=f"frame-{i}", asset_id="miner-002"), _event(t, label="Bad")]}
        response = api.client.post("/api/v1/events", json=body, headers=camera_box)
        assert response.status_code == 200, response.text
        report = response.json()
        assert (report["accepted"], report["duplicates"], report["rejected"]) == (1, 0, 1)
        assert "label" in report["rejects"][0]["detail"]
    resent = api.client.post("/api/v1/events", json=[_event(t0, event_id="frame-0")], headers=camera_box).json()
    assert (resent["accepted"], resent["duplicates"]) == (0, 1)

    alerts = api.call("operator", "GET", "/api/v1/alerts").json()
    helmet = [a for a in alerts if a["rule_id"] == "no-helmet-danger-zone"]
    assert len(helmet) == 1, alerts
    assert helmet[0]["severity"] == "critical" and "not wearing a safety helmet" in helmet[0]["message"]
    assert "45.0 m away" in helmet[0]["message"]

    window = {"end": (t0 + timedelta(seconds=10)).isoformat()}
    listed = api.call("supervisor", "GET", "/api/v1/events", params={"label": "no_helmet", **window}).json()
    assert len(listed) == 5 and listed[0]["t"] > listed[-1]["t"]  # newest first
    assert listed[0]["zone_id"] == "face_gate_1101" and listed[0]["asset_id"] == "miner-002"
    assert listed[0]["bbox"] == [200.0, 150.0, 290.0, 410.0] and listed[0]["confidence"] == 0.87
    assert api.call("supervisor", "GET", "/api/v1/events", params={"zone_id": "main_roadway", **window}).json() == []
    rejects = api.call("manager", "GET", "/api/v1/readings/rejects", params={"reason": "invalid_schema"}).json()
    assert len(rejects) == 5 and '"label":"Bad"' in rejects[0]["payload"].replace(" ", "")


def test_whole_body_errors_are_kept(api: Api) -> None:
    response = api.call("manager", "POST", "/api/v1/events", content=b"{not json")
    assert response.status_code == 422 and "not valid JSON" in response.json()["error"]["message"]
    too_many = api.call("manager", "POST", "/api/v1/events", json=[_event(utc_now())] * 501)
    assert too_many.status_code == 422 and "split the batch" in too_many.json()["error"]["message"]
    rejects = api.call("manager", "GET", "/api/v1/readings/rejects").json()
    assert {r["reason"] for r in rejects} == {"malformed_json", "oversized"}
    bad_window = api.call(
        "supervisor", "GET", "/api/v1/events", params={"start": "2026-11-22T07:00:00Z", "end": "2026-11-22T06:00:00Z"}
    )
    assert bad_window.status_code == 422 and "swap them" in bad_window.json()["error"]["message"]


def test_an_event_holding_a_lone_surrogate_is_refused_and_kept_not_a_500(api: Api) -> None:
    """``"\\ud800"`` is valid JSON but no UTF-8 text; keeping such an event's text among the rejects used to
    raise (HTTP 500). It is refused with its text kept (the surrogate escaped) and the rest of the batch stored."""
    import json

    body = json.dumps([_event(utc_now(), event_id="ok-1"), _event(utc_now(), label="\ud800", event_id="bad-1")])
    response = api.call("manager", "POST", "/api/v1/events", content=body.encode())
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 1 and response.json()["rejected"] == 1
    rejects = api.call("manager", "GET", "/api/v1/readings/rejects").json()
    assert len(rejects) == 1 and json.loads(rejects[0]["payload"])["label"] == "\ud800"
