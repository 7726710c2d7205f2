"""POST /api/v1/readings as a gateway and as a manager, per-reading reports for a mixed batch,
whole-body errors, and reading back: history, rejects, stats."""

from __future__ import annotations

import json

from mineguard.services.api.schemas.readings import ReadingOut
from mineguard.services.ingest.store import AcceptedReading
from mineguard.services.storage.models import SensorReading

from .conftest import Api

T = "2026-11-22T06:00:{:02d}Z"


def _reading(seq: int, **change) -> dict:
    return {
        "device_id": "ch4-1101-t",
        "kind": "methane",
        "seq": seq,
        "t": T.format(seq),
        "value": 0.4,
        "unit": "%",
        **change,
    }


def test_gateway_posts_a_mixed_batch_and_reads_back(api: Api) -> None:
    secret = api.call("manager", "POST", "/api/v1/gateways/gw-faces/register").json()["secret"]
    gateway = {"X-Gateway-Id": "gw-faces", "X-Gateway-Secret": secret}
    batch = [
        _reading(1),
        _reading(2, value=5000, unit="ppm"),
        _reading(3, value=180),
        _reading(4, kind="co"),
        {"device_id": "ch4-1101-t", "seq": 5},
        "junk",
        _reading(1),
    ]
    response = api.client.post("/api/v1/readings", json={"readings": batch}, headers=gateway)
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["accepted"], report["duplicates"], report["rejected"]) == (2, 1, 4)
    assert report["rejected_by_reason"] == {"invalid_schema": 2, "out_of_range": 1, "wrong_kind": 1}
    assert [(r["index"], r["reason"], r["seq"]) for r in report["rejects"]] == [
        (2, "out_of_range", 3),
        (3, "wrong_kind", 4),
        (4, "invalid_schema", 5),
        (5, "invalid_schema", None),
    ]
    assert "t: required — add it" in report["rejects"][2]["detail"]

    again = api.client.post("/api/v1/readings", content=json.dumps(batch[:2]), headers=gateway)  # a bare array
    assert again.status_code == 200 and (again.json()["accepted"], again.json()["duplicates"]) == (0, 2)

    history = api.call(
        "supervisor",
        "GET",
        "/api/v1/readings",
        params={"device_id": "ch4-1101-t", "start": T.format(0), "end": T.format(59)},
    )
    assert history.status_code == 200, history.text
    assert [(r["seq"], r["value"], r["unit"], r["raw_value"], r["raw_unit"], r["source"]) for r in history.json()] == [
        (1, 0.4, "%", 0.4, "%", "http:gw-faces"),
        (2, 0.5, "%", 5000, "ppm", "http:gw-faces"),
    ]
    device = api.call("manager", "GET", "/api/v1/devices/ch4-1101-t").json()
    assert device["state"] == {"value": 0.5, "unit": "%", "t": "2026-11-22T06:00:02+00:00", "seq": 2, "flags": 0}

    rejects = api.call("manager", "GET", "/api/v1/readings/rejects", params={"reason": "wrong_kind"}).json()
    assert [(r["reason"], r["device_id"], r["seq"], r["source"]) for r in rejects] == [
        ("wrong_kind", "ch4-1101-t", 4, "http:gw-faces")
    ]
    assert json.loads(rejects[0]["payload"]) == batch[3] and "send kind 'methane'" in rejects[0]["detail"]
    stats = api.call("manager", "GET", "/api/v1/readings/stats").json()
    assert stats["readings"] == 2 and stats["rejected"] == 4
    assert stats["rejected_by_reason"]["invalid_schema"] == 2 and stats["rejected_by_reason"]["oversized"] == 0

    # "\ud800" is valid JSON but no UTF-8: refused and kept (it used to raise while its text was kept)
    surrogate = api.client.post("/api/v1/readings", content=json.dumps([_reading(6, unit="\ud800")]), headers=gateway)
    assert surrogate.status_code == 200 and surrogate.json()["rejected_by_reason"] == {"invalid_schema": 1}


def test_who_may_post(api: Api) -> None:
    body = {"readings": [_reading(10)]}
    secret = api.call("manager", "POST", "/api/v1/gateways/gw-roadways/register").json()["secret"]
    wrong = api.client.post(
        "/api/v1/readings", json=body, headers={"X-Gateway-Id": "gw-roadways", "X-Gateway-Secret": secret + "x"}
    )
    assert wrong.status_code == 401 and "missing or wrong X-Gateway-Secret" in wrong.json()["error"]["message"]
    unregistered = api.client.post(
        "/api/v1/readings", json=body, headers={"X-Gateway-Id": "gw-pit-bottom", "X-Gateway-Secret": secret}
    )
    assert unregistered.status_code == 401
    # with X-Gateway-Id the gateway check alone decides, even beside a manager's token
    mixed = api.call("manager", "POST", "/api/v1/readings", json=body, headers={"X-Gateway-Id": "gw-roadways"})
    assert mixed.status_code == 401
    anonymous = api.client.post("/api/v1/readings", json=body)
    assert anonymous.status_code == 401 and "X-Gateway-Id and X-Gateway-Secret" in anonymous.json()["error"]["message"]
    for role in ("operator", "supervisor"):
        refused = api.call(role, "POST", "/api/v1/readings", json=body)
        assert refused.status_code == 403 and f"role {role} may not post readings" in refused.text
    posted = api.call("manager", "POST", "/api/v1/readings", json=body)
    assert posted.status_code == 200 and posted.json()["accepted"] == 1
    rows = api.call("manager", "GET", "/api/v1/readings", params={"device_id": "ch4-1101-t", "start": T.format(0)})
    assert [r["source"] for r in rows.json()] == ["http:user:mgr"]
    assert api.call("operator", "GET", "/api/v1/readings", params={"device_id": "ch4-1101-t"}).status_code == 403
    assert api.call("supervisor", "GET", "/api/v1/readings/rejects").status_code == 403


def test_a_body_that_is_not_a_batch_is_422_and_kept(api: Api) -> None:
    cases = [
        (b'{"readings": [', "body is not valid JSON"),
        (b'{"reading": []}', "body is an object with keys"),
        (json.dumps([_reading(1)] * 1001).encode(), "batch has 1001 readings, at most 1000"),
    ]
    for body, message in cases:
        response = api.call("manager", "POST", "/api/v1/readings", content=body)
        assert response.status_code == 422 and message in response.json()["error"]["message"]
    rejects = api.call("manager", "GET", "/api/v1/readings/rejects").json()
    assert [(r["reason"], r["source"]) for r in rejects] == [("invalid_schema", "http:user:mgr")] * 2 + [
        ("malformed_json", "http:user:mgr")
    ]
    assert rejects[-1]["payload"] == '{"readings": ['
    empty = api.call("manager", "POST", "/api/v1/readings", content=b"[]")
    assert empty.status_code == 200 and empty.json()["accepted"] == 0
    unknown = api.call("manager", "GET", "/api/v1/readings", params={"device_id": "nope"})
    assert unknown.status_code == 404 and "GET /api/v1/devices" in unknown.text
    backwards = api.call(
        "manager",
        "GET",
        "/api/v1/readings",
        params={"device_id": "ch4-1101-t", "start": T.format(9), "end": T.format(1)},
    )
    assert backwards.status_code == 422 and "swap them" in backwards.text
    assert api.call("manager", "GET", "/api/v1/readings/rejects", params={"reason": "bad"}).status_code == 422


def test_the_reading_views_name_only_columns_of_the_stored_row() -> None:
    """ReadingOut (the API answer) and AcceptedReading (what ingest hands the pipeline) are views of one
    SensorReading row, not second definitions: a field that is not a column of that name fails here."""
    columns = set(SensorReading.__table__.columns.keys())
    assert set(ReadingOut.model_fields) <= columns
    assert set(AcceptedReading._fields) <= columns
    assert set(ReadingOut.model_fields) | {"id"} == columns  # the API shows the whole row but its internal id


def test_flags_and_raw_values_are_visible_and_a_spiky_sensor_raises_health_not_an_alarm(api: Api) -> None:
    """HTTP ingest runs the service's one cleanser: 3 % methane spikes (sent in ppm) among 0.3 % are
    stored flagged with their raw value, reach no rule (even rules that fire on one reading), are
    counted by flag, and the sensor-health job raises ``sensor-health:<device>``, resolved once clean."""
    from datetime import UTC, datetime, timedelta

    from mineguard.services.alerts.health_job import check_sensor_health
    from pipelines import instant_pipeline

    ctx = api.client.app.state.ctx
    changes: list = []
    ctx.pipeline = instant_pipeline(ctx.sessions, on_change=changes.append)
    t0 = datetime(2026, 11, 22, 6, tzinfo=UTC)

    def post(seqs, value_of, step_s: float = 1.0) -> None:
        batch = [
            _reading(s, t=(t0 + timedelta(seconds=s * step_s)).isoformat(), value=value_of(s), unit="ppm") for s in seqs
        ]
        response = api.call("manager", "POST", "/api/v1/readings", json={"readings": batch})
        assert response.status_code == 200 and response.json()["accepted"] == len(batch), response.text

    spikes = (12, 18, 24)
    post(range(30), lambda s: 30_000.0 if s in spikes else 3_000.0)
    window = {"device_id": "ch4-1101-t", "start": t0.isoformat(), "end": (t0 + timedelta(minutes=1)).isoformat()}
    rows = api.call("supervisor", "GET", "/api/v1/readings", params=window).json()
    assert [r["seq"] for r in rows if r["flags"]] == list(spikes)
    assert {(r["flags"] == ["spike"], r["value"], r["unit"], r["raw_value"], r["raw_unit"]) for r in rows} == {
        (True, 3.0, "%", 30_000.0, "ppm"),
        (False, 0.3, "%", 3_000.0, "ppm"),
    }
    stats = api.call("manager", "GET", "/api/v1/readings/stats").json()
    assert (stats["readings"], stats["flagged"]) == (30, 3)
    assert stats["flagged_by_flag"] == {"out_of_range": 0, "spike": 3, "stuck": 0, "after_gap": 0, "not_finite": 0}
    assert changes == [] and ctx.pipeline.feed.counts() == {"fed": 27, "flagged": 3, "late": 0}

    check_sensor_health(ctx.sessions, t0 + timedelta(seconds=35))
    (alert,) = api.call("manager", "GET", "/api/v1/alerts", params={"state": "open"}).json()
    assert (alert["rule_id"], alert["subject_id"], alert["title"]) == (
        "sensor-health",
        "ch4-1101-t",
        "Sensor ch4-1101-t spiky",
    )
    post(range(30, 100), lambda s: 3_000.0 + s % 3, step_s=10.0)  # 12 clean minutes, 10 s apart
    check_sensor_health(ctx.sessions, t0 + timedelta(seconds=995))
    assert api.call("manager", "GET", "/api/v1/alerts", params={"state": "open"}).json() == []
    after_silence = api.call("supervisor", "GET", "/api/v1/readings", params={**window, "end": "2026-11-22T06:06:00Z"})
    assert [(r["seq"], r["flags"]) for r in after_silence.json() if r["flags"]][-1] == (30, ["after_gap"])  # 271 s on
