"""The probes and what monitoring reads (issue 21): ``/healthz``, ``/readyz`` telling the truth about the
database, ingest, broker and cameras, ``/metrics`` fed by the real interfaces, security headers on every
answer, and CORS closed unless the site opens it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.exc import OperationalError

from mineguard.services.ingest.bus import topic_for
from mineguard.services.settings import Settings
from polling import wait_for
from service_inputs import methane_rise

from .conftest import ADMIN_PASSWORD, Api


def scrape(client: TestClient) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def camera_health(camera: str, down: bool, n: int) -> dict:
    t = datetime.now(UTC).isoformat()
    attributes = {"state": "reconnecting" if down else "streaming", "frames_dropped": n, "fps": 5.0}
    return {
        "source": "system",
        "label": "camera_down",
        "t": t,
        "device_id": camera,
        "value": down,
        "event_id": f"{camera}:health:{n}",
        "attributes": attributes,
    }


def test_healthz_and_readyz_when_all_is_well(api: Api) -> None:
    assert api.client.get("/healthz").json() == {"status": "alive"}
    ready = api.client.get("/readyz")
    assert ready.status_code == 200, ready.text
    body = ready.json()
    assert body["ready"] is True
    assert {c["name"]: c["ok"] for c in body["checks"]} == {"database": True, "ingest": True}  # no broker: bus
    assert body["cameras"] == {
        "cam-face-1101": "unknown",
        "cam-face-gate-1101": "unknown",
        "cam-surface-gate": "unknown",
    }


def test_readyz_reports_cameras_and_metrics_count_their_health(api: Api) -> None:
    events = [camera_health("cam-surface-gate", True, 3), camera_health("cam-face-1101", False, 0)]
    posted = api.call("manager", "POST", "/api/v1/events", json={"events": events})
    assert posted.status_code == 200 and posted.json()["accepted"] == 2, posted.text
    body = api.client.get("/readyz").json()
    assert body["ready"] is True  # a camera down is an alert, not a service that cannot work
    assert body["cameras"]["cam-surface-gate"] == "down" and body["cameras"]["cam-face-1101"] == "up"
    got = scrape(api.client)
    assert got[("mineguard_camera_up", (("camera", "cam-surface-gate"),))] == 0
    assert got[("mineguard_camera_frames_dropped", (("camera", "cam-surface-gate"),))] == 3
    assert got[("mineguard_camera_up", (("camera", "cam-face-1101"),))] == 1


def test_readyz_is_503_and_says_why_when_the_database_is_away(api: Api, monkeypatch) -> None:
    ctx = api.client.app.state.ctx

    def database_away():
        raise OperationalError("SELECT", {}, ConnectionRefusedError("database is down"))

    monkeypatch.setattr(ctx, "sessions", database_away)
    ready = api.client.get("/readyz")
    assert ready.status_code == 503
    database = next(c for c in ready.json()["checks"] if c["name"] == "database")
    assert database == {"name": "database", "ok": False, "detail": "does not answer (OperationalError)"}


def test_readings_alerts_and_requests_are_counted(api: Api) -> None:
    ctx = api.client.app.state.ctx
    readings = methane_rise()
    bad = {"device_id": "ch4-1101-t", "kind": "methane", "seq": 99, "value": "NaN", "unit": "%", "t": "2026-12-05"}
    report = api.call("manager", "POST", "/api/v1/readings", json={"readings": [*readings, bad]}).json()
    assert report["accepted"] == len(readings) and report["rejected"] == 1
    ctx.bus.publish(topic_for(ctx.site_id, "co-belt", "co"), b"{not json")
    assert wait_for(lambda: ctx.ingest.totals.rejected, 10.0)
    assert wait_for(lambda: api.call("manager", "GET", "/api/v1/alerts").json(), 10.0), "no alert raised"
    api.call("manager", "GET", "/api/v1/alerts/424242")
    got = scrape(api.client)
    assert got[("mineguard_readings_total", (("outcome", "accepted"), ("transport", "http")))] == len(readings)
    assert got[("mineguard_readings_total", (("outcome", "rejected"), ("transport", "http")))] == 1
    assert got[("mineguard_readings_total", (("outcome", "rejected"), ("transport", "bus")))] == 1
    assert any(k[0] == "mineguard_readings_rejected_total" and ("transport", "http") in k[1] for k in got)
    assert got[("mineguard_alert_latency_seconds_count", ())] >= 1
    assert any(k[0] == "mineguard_alert_changes_total" and ("kind", "raised") in k[1] for k in got)
    template = (("method", "GET"), ("route", "/api/v1/alerts/{alert_id}"), ("status", "404"))
    assert got[("mineguard_http_requests_total", template)] == 1  # the template, never the id itself
    assert "424242" not in api.client.get("/metrics").text
    assert got[("mineguard_ingest_waiting", ())] >= 0 and ("mineguard_stream_subscribers", ()) in got


def test_security_headers_on_every_answer(api: Api) -> None:
    answers = {
        "json": api.call("operator", "GET", "/api/v1/alerts"),
        "refused": api.client.get("/api/v1/alerts"),
        "unmatched": api.client.get("/no/such/page"),
        "too big": api.call("manager", "POST", "/api/v1/readings", content=b"[" + b" " * 300_000 + b"]"),
        "dashboard": api.client.get("/dashboard/"),
    }
    assert answers["refused"].status_code == 401 and answers["too big"].status_code == 413
    for name, answer in answers.items():
        h = answer.headers
        assert h["x-content-type-options"] == "nosniff", name
        assert h["x-frame-options"] == "DENY", name
        assert h["referrer-policy"] == "no-referrer", name
        assert "camera=()" in h["permissions-policy"], name
        assert "content-security-policy" in h, name
    assert answers["json"].headers["cache-control"] == "no-store"  # rescue lists never sit in a shared cache
    assert answers["json"].headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert "script-src 'self'" in answers["dashboard"].headers["content-security-policy"]  # its own, kept


def test_cors_is_closed_by_default(api: Api) -> None:
    preflight = {"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "GET"}
    answer = api.client.options("/api/v1/alerts", headers=preflight)
    assert "access-control-allow-origin" not in answer.headers
    simple = api.call("operator", "GET", "/api/v1/alerts", headers={"Origin": "https://elsewhere.example"})
    assert "access-control-allow-origin" not in simple.headers


def test_cors_opens_to_the_configured_origins_only(database_url: str) -> None:
    from mineguard.services.api.main import create_app

    origin = "https://control.example-mine.org"
    app = create_app(Settings(database_url=database_url, admin_password=ADMIN_PASSWORD, cors_origins=[origin]))
    with TestClient(app) as client:
        ok = client.options("/api/v1/alerts", headers={"Origin": origin, "Access-Control-Request-Method": "GET"})
        assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == origin
        assert ok.headers["x-content-type-options"] == "nosniff"
        other = {"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "GET"}
        assert "access-control-allow-origin" not in client.options("/api/v1/alerts", headers=other).headers
    app.state.ctx.engine.dispose()


@pytest.mark.parametrize("value", ["not json", '["http://a", 3]'])
def test_bad_cors_setting_is_a_clear_error(value: str, monkeypatch) -> None:
    from pydantic import ValidationError

    monkeypatch.setenv("MINEGUARD_CORS_ORIGINS", value)
    with pytest.raises((ValidationError, ValueError), match="cors_origins"):
        Settings()


def test_readyz_is_503_while_the_broker_is_away(tmp_path) -> None:
    from local_broker import BrokerUnavailable, local_broker
    from mineguard.services.api.main import create_app

    try:
        broker_cm = local_broker()
        broker = broker_cm.__enter__()
    except BrokerUnavailable as exc:
        pytest.skip(str(exc))
    try:
        url = f"mqtt://{broker.host}:{broker.port}"
        database = f"sqlite:///{tmp_path / 'db.sqlite'}"
        app = create_app(Settings(database_url=database, admin_password=ADMIN_PASSWORD, mqtt_url=url, mqtt_check="off"))
        with TestClient(app) as client:
            assert client.get("/readyz").status_code == 200
            broker.stop()
            ready = wait_for(lambda: (r := client.get("/readyz")).status_code == 503 and r, 10.0)
            assert ready, "readyz stayed 200 with the broker gone"
            check = next(c for c in ready.json()["checks"] if c["name"] == "broker")
            assert check["ok"] is False and url in check["detail"]
            broker.start()
            assert wait_for(lambda: client.get("/readyz").status_code == 200, 15.0), (
                "not ready after the broker came back"
            )
        app.state.ctx.engine.dispose()
    finally:
        broker_cm.__exit__(None, None, None)
