"""GET /api/v1/health reports ingest (issue 13): messages waiting, lag, failures in a row, the
newest reading's age; 503 "unhealthy" with the reason when ingest is stuck or the database does
not answer; a critical ingest-health alert while stuck, resolved when ingest recovers; and a
poison reading on the service's own bus is refused alone."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

from mineguard.services.ingest.bus import topic_for
from mineguard.services.settings import Settings
from mineguard.services.storage.types import utc_now
from polling import wait_for
from service_inputs import POISON

from .conftest import ADMIN_PASSWORD, Api, login

STUCK_S = 0.5


@pytest.fixture
def watched(database_url: str) -> Iterator[Api]:
    """A service that calls ingest stuck after STUCK_S and checks it several times a second."""
    from mineguard.services.api.main import create_app

    settings = Settings(
        database_url=database_url, admin_password=ADMIN_PASSWORD, ingest_stuck_s=STUCK_S, health_check_s=0.1
    )
    app = create_app(settings)
    with TestClient(app) as client:
        api = Api(client)
        api.tokens["super_manager"] = login(client, "admin", ADMIN_PASSWORD)
        yield api
    app.state.ctx.engine.dispose()


def _co(seq: int, t: datetime) -> bytes:
    return json.dumps(
        {"device_id": "co-belt", "kind": "co", "seq": seq, "t": t.isoformat(), "value": 3.0, "unit": "ppm"}
    ).encode()


def test_health_reports_ingest_and_the_poison_reading_blocks_nothing(watched: Api) -> None:
    ctx = watched.client.app.state.ctx
    quiet = watched.client.get("/api/v1/health")
    assert quiet.status_code == 200, quiet.text
    body = quiet.json()
    assert (body["status"], body["site"], body["database"], body["reason"]) == ("ok", ctx.site_id, "ok", None)
    assert body["version"] and body["last_reading_at"] is None and body["last_reading_age_s"] is None
    assert body["ingest"]["running"] and (body["ingest"]["waiting"], body["ingest"]["lag_s"]) == (0, None)

    t = utc_now().replace(microsecond=0) - timedelta(seconds=10)
    topic = topic_for(ctx.site_id, "co-belt", "co")
    for seq in range(5):
        ctx.bus.publish(topic, _co(seq, t + timedelta(seconds=seq)))
    ctx.bus.publish(topic, json.dumps(POISON).encode())
    for seq in range(5, 10):
        ctx.bus.publish(topic, _co(seq, t + timedelta(seconds=seq)))
    assert ctx.bus.drain(timeout=10) and ctx.ingest.flush(timeout=10)
    stats = watched.call("super_manager", "GET", "/api/v1/readings/stats").json()
    assert (stats["readings"], stats["rejected"], stats["rejected_by_reason"]["invalid_schema"]) == (10, 1, 1)

    body = watched.client.get("/api/v1/health").json()
    assert body["status"] == "ok" and datetime.fromisoformat(body["last_reading_at"]) == t + timedelta(seconds=9)
    assert body["last_reading_age_s"] >= 0 and body["ingest"]["accepted"] == 10
    assert body["ingest"]["last_stored_at"] is not None and body["ingest"]["consecutive_failures"] == 0


def test_stuck_ingest_answers_503_raises_an_alert_and_recovers(watched: Api) -> None:
    ctx = watched.client.app.state.ctx
    worker, working_sessions = ctx.ingest, ctx.ingest.sessions

    def database_away():
        raise OperationalError("BEGIN", {}, ConnectionRefusedError("database is down"))

    worker.sessions = database_away  # the worker's database goes away; the API's still answers
    ctx.bus.publish(topic_for(ctx.site_id, "co-belt", "co"), _co(1, utc_now() - timedelta(seconds=1)))
    stuck = wait_for(lambda: (r := watched.client.get("/api/v1/health")).status_code == 503 and r, 10.0)
    assert stuck, "health never turned 503"
    body = stuck.json()
    assert body["status"] == "unhealthy" and body["version"] and body["site"] == ctx.site_id
    assert body["reason"].startswith("ingest stuck: 1 message waiting, the oldest for ")
    assert "failed attempts to store, the last: OperationalError" in body["reason"]
    assert body["ingest"]["waiting"] == 1 and body["ingest"]["lag_s"] >= STUCK_S  # rounded to ms: 0.5004 reads 0.5
    assert body["ingest"]["consecutive_failures"] >= 1 and "database is down" in body["ingest"]["last_error"]

    def ingest_alert(state: str):
        alerts = watched.call("super_manager", "GET", "/api/v1/alerts", params={"state": state}).json()
        return next((a for a in alerts if a["rule_id"] == "ingest-health"), None)

    alert = wait_for(lambda: ingest_alert("open"), 10.0)
    assert alert, "no open ingest-health alert"
    assert alert["severity"] == "critical" and alert["key"] == f"ingest-health:{ctx.site_id}"
    assert alert["title"] == "Ingest stalled: sensor readings are not being stored"
    assert "1 message waiting" in alert["message"] and "check the ingest service and its database" in alert["message"]
    assert alert["evidence"]["status"] == "ingest_stalled" and alert["evidence"]["waiting"] == 1

    worker.sessions = working_sessions  # the database is back: the kept reading is stored, nothing lost
    assert worker.flush(timeout=10)
    assert wait_for(lambda: watched.client.get("/api/v1/health").status_code == 200, 10.0)
    resolved = wait_for(lambda: ingest_alert("resolved"), 10.0)
    assert resolved, "the ingest-health alert was not resolved"
    assert resolved["resolution"] == "ingest recovered"
    assert watched.call("super_manager", "GET", "/api/v1/readings/stats").json()["readings"] == 1


def test_a_database_that_does_not_answer_is_503(watched: Api, monkeypatch) -> None:
    ctx = watched.client.app.state.ctx

    def database_away():
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("database is down"))

    monkeypatch.setattr(ctx, "sessions", database_away)
    response = watched.client.get("/api/v1/health")
    assert response.status_code == 503
    body = response.json()
    assert (body["status"], body["database"]) == ("unhealthy", "unreachable")
    assert body["reason"].startswith("the database does not answer (OperationalError)")
