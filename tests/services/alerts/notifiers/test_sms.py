from __future__ import annotations

import json
from dataclasses import replace
from urllib.parse import parse_qs

from mineguard.services.alerts.notifiers.base import Notice
from mineguard.services.alerts.notifiers.config import parse_notifier_config
from mineguard.services.alerts.notifiers.sms import SmsNotifier, cut, sms_text


def test_short_text_is_kept_whole(notice: Notice) -> None:
    assert sms_text(notice) == "[CRITICAL] CH4 1.6 % at P3-N2 — withdraw people from Panel 3 and cut power"


def test_long_text_puts_the_action_first_and_fits(notice: Notice) -> None:
    what = "CH4 1.6 % at P3-N2, rising 0.2 %/min for 5 min across sensors P3-N1, P3-N2 and P3-N3 near the face " * 2
    long = replace(notice, message=what.strip() + " — withdraw people from Panel 3 and cut power")
    text = sms_text(long)
    assert len(text) <= 160
    assert text.startswith("[CRITICAL] withdraw people from Panel 3 and cut power — CH4 1.6 % at P3-N2")
    assert text.endswith("…")


def test_long_text_without_action_is_cut_at_a_word(notice: Notice) -> None:
    text = sms_text(replace(notice, message="word " * 60), limit=160)
    assert len(text) <= 160 and text.endswith("word…")
    assert cut("abc", 5) == "abc"
    assert cut("x" * 10, 5) == "xxxx…"


def test_posts_json_with_bearer_token(http_server, notice: Notice) -> None:
    cfg = parse_notifier_config(
        {"type": "sms", "url": http_server.url, "to": ["+27820000001", "+27820000002"], "token": "tok-123"}
    )
    result = SmsNotifier(cfg).send(notice, timeout_s=2)
    assert result.ok, result.detail
    (request,) = http_server.requests
    assert request.headers["authorization"] == "Bearer tok-123"
    assert json.loads(request.body) == {"to": ["+27820000001", "+27820000002"], "text": sms_text(notice)}


def test_posts_form(http_server, notice: Notice) -> None:
    cfg = parse_notifier_config({"type": "sms", "url": http_server.url, "to": ["+1555", "+1666"], "format": "form"})
    assert SmsNotifier(cfg).send(notice, timeout_s=2).ok
    (request,) = http_server.requests
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert "authorization" not in request.headers
    assert parse_qs(request.body.decode()) == {"to": ["+1555,+1666"], "text": [sms_text(notice)]}
