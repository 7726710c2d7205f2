from __future__ import annotations

import json
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from pydantic import ValidationError

from mineguard.mine.rules.regulation import Severity
from mineguard.services.alerts.notifiers.base import NOTIFIERS, Notice, build_notifier, load_plugins
from mineguard.services.alerts.notifiers.config import NotifierConfig, build_notifiers, parse_notifier_config
from mineguard.services.alerts.notifiers.sms import SmsNotifier
from mineguard.services.alerts.notifiers.webhook import WebhookConfig, WebhookNotifier

T = datetime(2026, 3, 1, 6, 30, tzinfo=UTC)


def test_notice_from_change_copies_plain_values() -> None:
    alert = SimpleNamespace(
        id=3,
        key="gas:p3",
        severity="emergency",
        state="open",
        title="Gas",
        message="CH4 2 %",
        zone_id="panel-3",
        evidence={"ch4_pct": 2.0},
        escalation_level=1,
    )
    notice = Notice.from_change(SimpleNamespace(alert=alert, kind="escalated", rung="supervisor"), T)
    assert notice == Notice(
        alert_id=3,
        kind="escalated",
        severity=Severity.EMERGENCY,
        title="Gas",
        message="CH4 2 %",
        t=T,
        zone_id="panel-3",
        rung="supervisor",
        evidence={"ch4_pct": 2.0},
    )
    alert.evidence["ch4_pct"] = 9.0  # the notice holds its own copy
    assert notice.evidence == {"ch4_pct": 2.0}
    assert notice.to_dict()["t"] == "2026-03-01T06:30:00+00:00"
    assert notice.to_dict()["severity"] == "emergency"


def test_registry_and_config_union_list_the_same_plugins() -> None:
    load_plugins()
    union = NotifierConfig.__origin__.__args__  # type: ignore[attr-defined]
    assert {cls.model_fields["type"].default for cls in union} == set(NOTIFIERS) == {"webhook", "email", "sms", "voice"}


def test_parse_and_build_by_type() -> None:
    config = parse_notifier_config({"type": "webhook", "url": "http://127.0.0.1:9/x", "secret": "s"})
    assert isinstance(config, WebhookConfig)
    assert config.rungs == ["operator", "supervisor", "manager"]
    assert config.min_severity == Severity.WARNING
    assert config.kinds == ["raised", "updated", "escalated"]
    assert isinstance(build_notifier(config), WebhookNotifier)
    built = build_notifiers([{"type": "sms", "url": "https://gw.example/send", "to": ["+27820000000"], "name": "sms1"}])
    assert isinstance(built[0], SmsNotifier) and built[0].name == "sms1"
    assert build_notifier(config).name == "webhook"


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ({"type": "pager", "url": "http://127.0.0.1/x"}, "pager"),
        ({"type": "webhook", "url": "http://127.0.0.1/x", "colour": "red"}, "colour"),
        ({"type": "webhook", "url": "ftp://127.0.0.1/x"}, "http(s) URL"),
        ({"type": "webhook", "url": "http://127.0.0.1/x", "rungs": ["janitor"]}, "rungs"),
        ({"type": "webhook", "url": "http://127.0.0.1/x", "min_severity": "loud"}, "min_severity"),
        ({"type": "webhook", "url": "http://127.0.0.1/x", "kinds": ["deleted"]}, "kinds"),
        ({"type": "email", "host": "h", "from_addr": "a@b", "to_addrs": ["c@d"], "use_ssl": True}, "exclude"),
        ({"type": "email", "host": "h", "from_addr": "a@b", "to_addrs": []}, "to_addrs"),
        ({"type": "sms", "url": "http://127.0.0.1/x", "to": ["+1"], "format": "xml"}, "format"),
        ({"url": "http://127.0.0.1/x"}, "type"),
    ],
)
def test_config_errors_name_the_problem(data: dict, needle: str) -> None:
    with pytest.raises(ValidationError) as err:
        parse_notifier_config(data)
    assert needle in str(err.value)


def _notice(**kw: object) -> Notice:
    base = {
        "alert_id": 1,
        "kind": "raised",
        "severity": Severity.WARNING,
        "title": "t",
        "message": "m",
        "t": T,
        "rung": "operator",
    }
    return Notice(**{**base, **kw})  # type: ignore[arg-type]


def test_wants_filters_by_rung_severity_and_kind() -> None:
    cfg = parse_notifier_config(
        {
            "type": "webhook",
            "url": "http://127.0.0.1/x",
            "rungs": ["manager"],
            "min_severity": "critical",
            "kinds": ["escalated"],
        }
    )
    notifier = build_notifier(cfg)
    assert notifier.wants(_notice(kind="escalated", severity=Severity.CRITICAL, rung="manager"))
    assert notifier.wants(_notice(kind="escalated", severity=Severity.EMERGENCY, rung="manager"))
    assert not notifier.wants(_notice(kind="escalated", severity=Severity.WARNING, rung="manager"))
    assert not notifier.wants(_notice(kind="raised", severity=Severity.CRITICAL, rung="manager"))
    assert not notifier.wants(_notice(kind="escalated", severity=Severity.CRITICAL, rung="operator"))
    default = build_notifier(parse_notifier_config({"type": "webhook", "url": "http://127.0.0.1/x"}))
    assert default.wants(_notice())
    assert not default.wants(_notice(severity=Severity.INFO))
    assert not default.wants(_notice(kind="resolved", rung=None))


def test_notices_carry_the_audit_entry_of_their_change() -> None:
    """Every channel carries the audit log entry (seq, hash) of the change: copies of the chain's head off the box."""
    from mineguard.services.alerts.notifiers.email import body_of
    from mineguard.services.alerts.notifiers.sms import sms_text
    from mineguard.services.alerts.notifiers.webhook import body_of as webhook_body

    digest = "9f" * 32
    notice = _notice(
        audit_seq=42, audit_hash=digest, message="CH4 1.6 % at P3-N2 — withdraw people", severity=Severity.CRITICAL
    )
    assert json.loads(webhook_body(notice))["audit"] == {"seq": 42, "hash": digest}
    assert f"Audit: audit log seq 42, hash {digest}" in body_of(notice)
    assert sms_text(notice) == "[CRITICAL] CH4 1.6 % at P3-N2 — withdraw people audit#42:9f9f9f9f9f9f"
    long = _notice(audit_seq=42, audit_hash=digest, message="word " * 30)
    assert "audit#" not in sms_text(long)  # the safety text never gives way to it
    assert "audit" not in _notice().to_dict()
