"""Camera evidence over the API: stored by content hash, linked from the alert its event raised,
served to the roles that see alerts; junk is refused with the reason."""

from __future__ import annotations

from datetime import timedelta

import cv2
import numpy as np

from mineguard.services.storage.types import utc_now

from .conftest import Api

JPEG = cv2.imencode(".jpg", np.full((24, 32, 3), 128, np.uint8))[1].tobytes()
MP4_HEAD = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"  # enough for the type check


def _gateway(api: Api) -> dict[str, str]:
    secret = api.call("manager", "POST", "/api/v1/gateways/gw-faces/register").json()["secret"]
    return {"X-Gateway-Id": "gw-faces", "X-Gateway-Secret": secret}


def test_upload_is_idempotent_and_served_to_alert_readers(api: Api) -> None:
    gateway = _gateway(api)
    first = api.client.post("/api/v1/evidence", content=JPEG, headers=gateway)
    assert first.status_code == 200, first.text
    stored = first.json()
    assert stored["media_type"] == "image/jpeg" and stored["size"] == len(JPEG) and stored["created"] is True
    again = api.client.post("/api/v1/evidence", content=JPEG, headers=gateway).json()
    assert again["sha256"] == stored["sha256"] and again["created"] is False
    got = api.call("operator", "GET", stored["url"])
    assert got.status_code == 200 and got.content == JPEG and got.headers["content-type"] == "image/jpeg"
    assert api.call(None, "GET", stored["url"]).status_code == 401
    assert (
        api.call("operator", "GET", stored["url"].upper().replace("/API/V1/EVIDENCE", "/api/v1/evidence")).status_code
        == 200
    )
    assert api.call("operator", "GET", "/api/v1/evidence/" + "0" * 64).status_code == 404
    assert api.call("operator", "GET", "/api/v1/evidence/not-a-hash").status_code == 422


def test_junk_is_refused_with_the_reason(api: Api) -> None:
    gateway = _gateway(api)
    for body in (b"", b"<html>hello</html>", b"GIF89a......"):
        response = api.client.post("/api/v1/evidence", content=body, headers=gateway)
        assert response.status_code == 422, body
        assert "evidence refused" in response.json()["error"]["message"]
    assert api.client.post("/api/v1/evidence", content=JPEG).status_code == 401  # no gateway, no token
    assert api.call("operator", "POST", "/api/v1/evidence", content=JPEG).status_code == 403


def test_the_alert_raised_by_a_camera_event_links_its_snapshot_and_clip(api: Api) -> None:
    gateway = _gateway(api)
    snapshot = api.client.post("/api/v1/evidence", content=JPEG, headers=gateway).json()
    clip = api.client.post("/api/v1/evidence", content=MP4_HEAD, headers=gateway).json()
    assert clip["media_type"] == "video/mp4"
    pipeline = api.client.app.state.ctx.pipeline
    t0 = utc_now()
    for i in range(5):
        t = t0 + timedelta(seconds=i)
        pipeline.observe_signal("danger.approach", t, 45.0, "face_1101")
        event = {
            "source": "vision",
            "label": "no_helmet",
            "t": t.isoformat(),
            "device_id": "cam-face-gate-1101",
            "event_id": f"cam:{i}",
            "attributes": {"evidence": {"snapshot": snapshot["sha256"], "clip": clip["sha256"]}},
        }
        assert api.client.post("/api/v1/events", json=[event], headers=gateway).json()["accepted"] == 1
    [alert] = [
        a for a in api.call("operator", "GET", "/api/v1/alerts").json() if a["rule_id"] == "no-helmet-danger-zone"
    ]
    media = alert["evidence"]["media"]
    assert media and media[0]["snapshot"] == snapshot["url"] and media[0]["clip"] == clip["url"]
    assert api.call("operator", "GET", media[0]["snapshot"]).content == JPEG


def test_fused_alert_joins_a_camera_event_and_a_sensor_excursion_in_one_zone(api: Api) -> None:
    """Someone enters face 1101 on camera while its methane reads 1.2 %: one emergency alert whose
    evidence names both inputs (the reading and the event) and links the camera's snapshot."""
    gateway = _gateway(api)
    snapshot = api.client.post("/api/v1/evidence", content=JPEG, headers=gateway).json()
    t0 = utc_now()
    readings = [
        {
            "device_id": "ch4-1101-t",
            "kind": "methane",
            "seq": i,
            "t": (t0 + timedelta(seconds=i)).isoformat(),
            "value": 1.2,
            "unit": "%",
        }
        for i in range(3)
    ]
    assert api.client.post("/api/v1/readings", json=readings, headers=gateway).status_code == 200
    event = {
        "source": "vision",
        "label": "restricted_entry",
        "t": (t0 + timedelta(seconds=2)).isoformat(),
        "device_id": "cam-face-gate-1101",
        "zone_id": "face_1101",
        "event_id": "cam:entry:1",
        "attributes": {"evidence": {"snapshot": snapshot["sha256"]}},
    }
    assert api.client.post("/api/v1/events", json=[event], headers=gateway).json()["accepted"] == 1
    [fused] = [
        a for a in api.call("operator", "GET", "/api/v1/alerts").json() if a["rule_id"] == "person-entering-gassy-face"
    ]
    assert fused["severity"] == "emergency" and "1.2 %" in fused["message"]
    inputs = fused["evidence"]["inputs"]
    assert inputs["methane@face_1101"].startswith("reading:ch4-1101-t#")
    assert inputs["vision.restricted_entry@face_1101"].startswith("event:")
    assert fused["evidence"]["media"][0]["snapshot"] == snapshot["url"]


def test_the_openapi_declares_the_file_body_and_every_served_type(api: Api) -> None:
    """Found by the fuzzer: the upload declared no body (a generated client sent none), and a stored PNG was
    served with a content type the GET route did not declare."""
    paths = api.client.app.openapi()["paths"]
    upload = paths["/api/v1/evidence"]["post"]["requestBody"]
    assert upload["required"] is True and set(upload["content"]) == {"image/jpeg", "image/png", "video/mp4"}
    served = paths["/api/v1/evidence/{sha256}"]["get"]["responses"]["200"]["content"]
    assert set(served) == set(upload["content"])
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
    stored = api.client.post("/api/v1/evidence", content=png, headers=_gateway(api)).json()
    assert api.call("operator", "GET", stored["url"]).headers["content-type"] in served
