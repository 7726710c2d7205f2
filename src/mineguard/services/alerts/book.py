"""The alert book: raise-or-update by condition key, acknowledge, resolve, escalate.

- De-duplication: while an alert with the same ``key`` is open or acknowledged, the condition
  updates it (severity can only rise while it lasts, the message and evidence are refreshed,
  ``updates`` counts) instead of raising a new one.
- Lifecycle: open → acknowledged → resolved, each step recording who and when. When the
  condition clears, the alert resolves itself ("condition cleared"); a person may also resolve it.
- Escalation: an open alert not acknowledged within its severity's time climbs operator →
  supervisor → manager. If the condition returns after it was resolved, a new alert starts
  again at the operator: the escalation is re-armed.
- Every state change goes to the alert's history and to the tamper-evident audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mineguard.services.alerts.policy import EscalationPolicy, Severity
from mineguard.services.audit import log as audit
from mineguard.services.storage.models import Alert, AlertEvent
from mineguard.services.twin.tracking import NotFound

ACTIVE = ("open", "acknowledged")
DEFAULT_POLICY = EscalationPolicy()


class AlertStateError(ValueError):
    """A lifecycle step that does not apply to the alert's state; the message says why."""


@dataclass(frozen=True)
class AlertChange:
    """What happened to an alert, for notifiers and the live stream."""

    alert: Alert
    kind: str  # raised | updated | escalated | acknowledged | resolved
    rung: str | None = None  # who is to be told (escalation rung), when someone is
    audit: tuple[int, str] | None = None  # the audit log entry of this change (seq, hash): notices carry it


def _history(
    session: Session, alert: Alert, t: datetime, kind: str, actor: str, detail: dict[str, Any]
) -> tuple[int, str] | None:
    """Record the change in the alert's history and the audit log; returns the audit head after it."""
    session.add(AlertEvent(alert_id=alert.id, t=t, kind=kind, actor=actor, detail=detail))
    audit.append(
        session,
        actor=actor,
        action=f"alert.{kind}",
        subject=f"alert:{alert.id}",
        payload={"key": alert.key, "severity": alert.severity, "state": alert.state, **detail},
    )
    return audit.head(session)


def active_alert(session: Session, key: str) -> Alert | None:
    return session.scalar(select(Alert).where(Alert.key == key, Alert.state.in_(ACTIVE)).order_by(Alert.id.desc()))


def raise_or_update(
    session: Session,
    *,
    key: str,
    rule_id: str,
    severity: Severity | str,
    title: str,
    message: str,
    t: datetime,
    zone_id: str | None = None,
    subject_id: str | None = None,
    evidence: dict[str, Any] | None = None,
    policy: EscalationPolicy = DEFAULT_POLICY,
) -> AlertChange | None:
    """Raise a new alert for ``key`` or update the active one; None when nothing changed."""
    severity = Severity(severity)
    alert = active_alert(session, key)
    if alert is None:
        timeout = policy.timeout(severity)
        alert = Alert(
            key=key,
            rule_id=rule_id,
            severity=severity,
            state="open",
            title=title,
            message=message,
            zone_id=zone_id,
            subject_id=subject_id,
            evidence=evidence or {},
            opened_at=t,
            updated_at=t,
            next_escalation_at=None if timeout is None else t + timedelta(seconds=timeout),
        )
        session.add(alert)
        session.flush()
        mark = _history(session, alert, t, "raised", "system", {"message": message})
        return AlertChange(alert, "raised", policy.rung(0), mark)
    rose = Severity(alert.severity).rank < severity.rank
    alert.condition_active, alert.updated_at, alert.updates = True, t, alert.updates + 1
    alert.message, alert.evidence, alert.title = message, _merge_evidence(alert.evidence, evidence), title
    if not rose:
        return None
    alert.severity = severity
    if alert.state == "open":  # a worse condition restarts the clock at the current rung
        timeout = policy.timeout(severity)
        alert.next_escalation_at = None if timeout is None else t + timedelta(seconds=timeout)
    mark = _history(session, alert, t, "updated", "system", {"severity": str(severity), "message": message})
    return AlertChange(alert, "updated", policy.rung(alert.escalation_level), mark)


KEPT_EVIDENCE = ("similar_incidents",)  # attached once when raised (alerts/evidence.py); updates keep it


def _merge_evidence(old: dict[str, Any], new: dict[str, Any] | None) -> dict[str, Any]:
    """The update's evidence replaces the old, except what was attached once at raise time."""
    if not new:
        return old
    kept = {k: old[k] for k in KEPT_EVIDENCE if k in old and k not in new}
    return {**new, **kept} if kept else new


def condition_cleared(session: Session, key: str, t: datetime, detail: str = "condition cleared") -> AlertChange | None:
    alert = active_alert(session, key)
    if alert is None:
        return None
    return _resolve(session, alert, t, "system", detail)


def acknowledge(
    session: Session, alert_id: int, *, actor: str, t: datetime, note: str | None = None, reason: str | None = None
) -> AlertChange:
    """Acknowledge an open alert; ``reason`` (true_alarm, false_alarm, maintenance, test) and ``note`` go to its
    history (``services/alerts/feedback.py`` reads the reasons back as the risk model's labels)."""
    alert = get_alert(session, alert_id)
    if alert.state != "open":
        raise AlertStateError(f"alert {alert_id} is {alert.state} — only an open alert can be acknowledged")
    alert.state, alert.acknowledged_by, alert.acknowledged_at = "acknowledged", actor, t
    alert.next_escalation_at, alert.updated_at = None, t
    detail = {key: value for key, value in (("reason", reason), ("note", note)) if value}
    mark = _history(session, alert, t, "acknowledged", actor, detail)
    return AlertChange(alert, "acknowledged", audit=mark)


def resolve(session: Session, alert_id: int, *, actor: str, t: datetime, resolution: str) -> AlertChange:
    alert = get_alert(session, alert_id)
    if alert.state == "resolved":
        raise AlertStateError(f"alert {alert_id} was resolved at {alert.resolved_at} by {alert.resolved_by}")
    return _resolve(session, alert, t, actor, resolution)


def _resolve(session: Session, alert: Alert, t: datetime, actor: str, resolution: str) -> AlertChange:
    alert.state, alert.resolved_by, alert.resolved_at, alert.resolution = "resolved", actor, t, resolution
    alert.condition_active, alert.next_escalation_at, alert.updated_at = False, None, t
    mark = _history(session, alert, t, "resolved", actor, {"resolution": resolution})
    return AlertChange(alert, "resolved", audit=mark)


def escalate_due(session: Session, t: datetime, policy: EscalationPolicy = DEFAULT_POLICY) -> list[AlertChange]:
    """Climb one rung for every open alert whose acknowledgement time has passed."""
    changes = []
    due = select(Alert).where(
        Alert.state == "open", Alert.next_escalation_at.is_not(None), Alert.next_escalation_at <= t
    )
    for alert in session.scalars(due):
        top = alert.escalation_level >= 2
        if not top:
            alert.escalation_level += 1
        timeout = policy.timeout(alert.severity)
        alert.next_escalation_at = None if top or timeout is None else t + timedelta(seconds=timeout)
        rung = policy.rung(alert.escalation_level)
        if not top:
            detail = {"to": rung, "level": alert.escalation_level}
            mark = _history(session, alert, t, "escalated", "system", detail)
            changes.append(AlertChange(alert, "escalated", rung, mark))
    return changes


def get_alert(session: Session, alert_id: int) -> Alert:
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise NotFound(f"alert {alert_id} does not exist — list alerts at GET /api/v1/alerts")
    return alert


def history_of(session: Session, alert_id: int) -> list[AlertEvent]:
    get_alert(session, alert_id)
    return list(session.scalars(select(AlertEvent).where(AlertEvent.alert_id == alert_id).order_by(AlertEvent.id)))
