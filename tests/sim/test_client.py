"""The simulated mine's HTTP client against a real service (create_app served by uvicorn on loopback)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from mineguard.sim.client import ServiceClient, ServiceError
from mineguard.sim.people import TagFix


def test_a_wrong_password_is_a_clear_error_not_a_traceback(service) -> None:
    client = ServiceClient(service.url, service.username, "not-the-password")
    with client, pytest.raises(ServiceError, match=r"POST /api/v1/auth/token: 401 .*password"):
        client.login()


def test_an_unreachable_service_is_a_clear_error() -> None:
    client = ServiceClient("http://127.0.0.1:9", "admin", "x", timeout_s=2)
    with client, pytest.raises(ServiceError, match=r"cannot reach http://127.0.0.1:9"):
        client.login()


def test_gateways_register_and_re_register_with_a_new_secret(service) -> None:
    with service.client() as client:
        assert client.login() == "super_manager"
        first = client.register_gateway("gw-faces")
        second = client.register_gateway("gw-faces")  # allowed: the secret is rotated
        assert first != second and client.secrets["gw-faces"] == second
        with pytest.raises(ServiceError, match=r"POST /api/v1/gateways/cam-face-1101/register: 409 .*not a gateway"):
            client.register_gateway("cam-face-1101")


def test_tag_fixes_go_through_the_gateway_and_move_the_paired_person(service) -> None:
    now = datetime.now(UTC)
    with service.client() as client:
        client.register_gateway("gw-roadways")
        paired = client.pair_tag("6901234500042", "miner-004")
        assert paired["id"] == "tag-0004"
        accel = np.tile([0.0, 0.0, 1.0], (50, 1))
        fix = TagFix("miner-004", "6901234500042", "gw-roadways", (400.0, 0.5, -400.0), accel, 25.0)
        outcome = client.post_tag_fixes("gw-roadways", [fix], now.isoformat())
        assert outcome[0]["asset_id"] == "miner-004" and outcome[0]["zone_id"] == "main_roadway"
        history = client.get("/assets/miner-004/history")
        assert history and history[-1]["x"] == pytest.approx(400.0)
        client.secrets["gw-roadways"] = "wrong"
        with pytest.raises(ServiceError, match=r"401 gateway 'gw-roadways': missing or wrong X-Gateway-Secret"):
            client.post_tag_fixes("gw-roadways", [fix], now.isoformat())


def test_events_readings_alerts_and_totals(service) -> None:
    now = datetime.now(UTC).isoformat()
    event = {
        "source": "vision",
        "label": "no_helmet",
        "t": now,
        "device_id": "cam-face-gate-1101",
        "zone_id": "face_gate_1101",
        "confidence": 0.9,
        "event_id": "test-1",
    }
    reading = {"device_id": "ch4-1102-t", "kind": "methane", "seq": 1, "t": now, "value": 0.31, "unit": "%"}
    with service.client() as client:
        assert client.post_events([event])["accepted"] == 1
        assert client.post_events([event])["duplicates"] == 1
        report = client.post_readings([reading, {**reading, "seq": 2, "kind": "co"}])
        assert report["accepted"] == 1 and report["rejected"] == 1
        stats = client.reading_stats()
        assert stats["readings"] == 1 and stats["rejected"] == 1
        assert client.health()["status"] == "ok"
        assert [a["rule_id"] for a in client.alerts()] == ["no-helmet-at-gate"]  # the site's camera rule, a warning
        with pytest.raises(
            ServiceError, match=r"GET /api/v1/alerts: 422 .*query.limit: Input should be greater than or equal to 1$"
        ):
            client.alerts(limit=0)
