from __future__ import annotations

import hashlib
import hmac
import json

from mineguard.services.alerts.notifiers.base import Notice
from mineguard.services.alerts.notifiers.config import parse_notifier_config
from mineguard.services.alerts.notifiers.webhook import WebhookNotifier, signature


def test_signature_known_answer() -> None:
    # RFC 4231, test case 2.
    assert signature("Jefe", b"what do ya want for nothing?") == (
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )


def test_posts_signed_json(http_server, notice: Notice) -> None:
    cfg = parse_notifier_config(
        {"type": "webhook", "url": http_server.url, "secret": "topsecret", "headers": {"X-Site": "north"}}
    )
    result = WebhookNotifier(cfg).send(notice, timeout_s=2)
    assert result.ok, result.detail
    (request,) = http_server.requests
    assert request.path == "/hook"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["x-site"] == "north"
    assert request.headers["x-mineguard-event"] == "raised"
    expected = "sha256=" + hmac.new(b"topsecret", request.body, hashlib.sha256).hexdigest()
    assert request.headers["x-mineguard-signature"] == expected
    assert json.loads(request.body) == {
        "alert_id": 7,
        "kind": "raised",
        "severity": "critical",
        "title": "Methane high in Panel 3",
        "message": "CH4 1.6 % at P3-N2 — withdraw people from Panel 3 and cut power",
        "zone_id": "panel-3",
        "rung": "operator",
        "t": "2026-03-01T06:30:00+00:00",
        "evidence": {"ch4_pct": 1.6, "sensor": "P3-N2"},
    }


def test_no_secret_no_signature_and_non_2xx_fails(http_server, notice: Notice) -> None:
    http_server.statuses = [500]
    result = WebhookNotifier(parse_notifier_config({"type": "webhook", "url": http_server.url})).send(notice)
    assert not result.ok
    assert "HTTP 500" in result.detail and "gateway says no" in result.detail
    assert "x-mineguard-signature" not in http_server.requests[0].headers
