"""Alert lifecycle on both backends: one alert per condition, escalation operator → supervisor →
manager, acknowledgement stops it, a returning condition re-arms it, everything audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from mineguard.services.alerts import book
from mineguard.services.alerts.policy import EscalationPolicy, Severity
from mineguard.services.audit.log import recent, verify
from mineguard.services.storage.models import Alert
from mineguard.services.twin.tracking import NotFound

T0 = datetime(2026, 11, 22, 6, tzinfo=UTC)
KEY = "methane-face:face_1101"
MESSAGE = "Methane 1.2 % in Face 1101, rising 0.1 %/min; fan F2 stopped — evacuate Face 1101"


def _raise(session, t: datetime, severity: str = "critical", message: str = MESSAGE):
    return book.raise_or_update(
        session,
        key=KEY,
        rule_id="methane-face",
        severity=severity,
        title="Methane at face",
        message=message,
        t=t,
        zone_id="face_1101",
        evidence={"methane_pct": 1.2},
    )


def test_one_condition_is_one_alert_that_updates(session) -> None:
    raised = _raise(session, T0, "warning")
    assert raised.kind == "raised" and raised.rung == "operator" and raised.alert.state == "open"
    assert _raise(session, T0 + timedelta(seconds=5), "warning") is None  # same condition, same severity
    worse = _raise(session, T0 + timedelta(seconds=10), "critical", "Methane 1.6 % in Face 1101")
    assert worse.kind == "updated" and worse.alert.id == raised.alert.id and worse.alert.severity == "critical"
    assert _raise(session, T0 + timedelta(seconds=15), "warning") is None  # severity never drops while it lasts
    assert session.scalar(select(func.count()).select_from(Alert)) == 1
    assert raised.alert.updates == 3 and raised.alert.message == MESSAGE  # the latest evidence is shown


def test_an_update_replaces_the_evidence_but_keeps_the_similar_incidents(session) -> None:
    raised = _raise(session, T0, "warning")
    raised.alert.evidence = {**raised.alert.evidence, "similar_incidents": [{"rank": 1}]}
    book.raise_or_update(
        session,
        key=KEY,
        rule_id="methane-face",
        severity="warning",
        title="Methane at face",
        message=MESSAGE,
        t=T0 + timedelta(seconds=10),
        evidence={"methane_pct": 1.3},
    )
    assert raised.alert.evidence == {"methane_pct": 1.3, "similar_incidents": [{"rank": 1}]}


def test_escalation_ladder_and_acknowledgement(session) -> None:
    alert = _raise(session, T0).alert  # critical: 120 s per rung
    assert book.escalate_due(session, T0 + timedelta(seconds=119)) == []
    first = book.escalate_due(session, T0 + timedelta(seconds=121))
    assert [(c.kind, c.rung) for c in first] == [("escalated", "supervisor")]
    second = book.escalate_due(session, T0 + timedelta(seconds=242))
    assert [(c.kind, c.rung) for c in second] == [("escalated", "manager")] and alert.escalation_level == 2
    assert book.escalate_due(session, T0 + timedelta(seconds=400)) == []  # the top rung is the manager
    book.acknowledge(session, alert.id, actor="mgr", t=T0 + timedelta(seconds=410), note="sending a team")
    assert (alert.state, alert.acknowledged_by, alert.next_escalation_at) == ("acknowledged", "mgr", None)
    with pytest.raises(book.AlertStateError, match="only an open alert"):
        book.acknowledge(session, alert.id, actor="mgr", t=T0 + timedelta(seconds=411))
    kinds = [event.kind for event in book.history_of(session, alert.id)]
    assert kinds == ["raised", "escalated", "escalated", "acknowledged"]


def test_acknowledged_in_time_never_escalates(session) -> None:
    alert = _raise(session, T0).alert
    book.acknowledge(session, alert.id, actor="op1", t=T0 + timedelta(seconds=30))
    assert book.escalate_due(session, T0 + timedelta(hours=1)) == []


def test_cleared_condition_resolves_and_a_return_re_arms(session) -> None:
    first = _raise(session, T0).alert
    book.escalate_due(session, T0 + timedelta(seconds=121))
    cleared = book.condition_cleared(session, KEY, T0 + timedelta(seconds=200))
    assert cleared.kind == "resolved" and first.resolved_by == "system" and first.resolution == "condition cleared"
    assert book.condition_cleared(session, KEY, T0 + timedelta(seconds=201)) is None
    again = _raise(session, T0 + timedelta(seconds=300))
    assert again.kind == "raised" and again.alert.id != first.id and again.alert.escalation_level == 0
    assert again.rung == "operator"


def test_manual_resolution_and_errors(session) -> None:
    alert = _raise(session, T0).alert
    book.resolve(session, alert.id, actor="sup-a", t=T0 + timedelta(minutes=3), resolution="fan restarted")
    with pytest.raises(book.AlertStateError, match="was resolved"):
        book.resolve(session, alert.id, actor="sup-a", t=T0 + timedelta(minutes=4), resolution="again")
    with pytest.raises(NotFound, match="GET /api/v1/alerts"):
        book.acknowledge(session, 999_999, actor="x", t=T0)


def test_info_never_escalates_and_everything_is_audited(session) -> None:
    info = book.raise_or_update(
        session,
        key="co-belt:health",
        rule_id="sensor-health",
        severity=Severity.INFO,
        title="CO sensor stale",
        message="co-belt: no reading for 10 min",
        t=T0,
    )
    assert info.alert.next_escalation_at is None
    assert book.escalate_due(session, T0 + timedelta(days=1), EscalationPolicy()) == []
    alert = _raise(session, T0).alert
    book.acknowledge(session, alert.id, actor="op1", t=T0 + timedelta(seconds=5))
    actions = [entry.action for entry in recent(session, 10)]
    assert {"alert.raised", "alert.acknowledged"} <= set(actions)
    assert verify(session).ok
