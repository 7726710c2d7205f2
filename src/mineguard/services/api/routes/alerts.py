"""Alerts: list, read with history, acknowledge (anyone on the ladder), resolve (supervisor up).

An alert about a person (its ``subject_id`` is a person, or a tag they wear) follows the person's
visibility (``services/auth/scope.py``): left out of the list, 403 on the alert itself.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Query
from sqlalchemy import select

from mineguard.mine.roles import Permission
from mineguard.services.alerts import book
from mineguard.services.api.deps import UnitDep, db_id, require
from mineguard.services.api.errors import ApiError
from mineguard.services.api.responses import raises
from mineguard.services.api.schemas.alerts import AckAlertIn, AlertEventOut, AlertOut, ResolveAlertIn
from mineguard.services.auth.scope import SCOPE_RULE, device_visible, may_see_subject, person_visible
from mineguard.services.events import TwinEvent
from mineguard.services.storage.models import Alert, User
from mineguard.services.storage.types import utc_now

router = APIRouter(prefix="/api/v1/alerts", tags=["alerts"])
AlertId = db_id(Alert.id)


def alert_event(change: book.AlertChange) -> TwinEvent:
    alert = change.alert
    similar = (alert.evidence or {}).get("similar_incidents", [])  # past incidents, when an index is configured
    return TwinEvent(
        f"alert.{change.kind}",
        {
            "id": alert.id,
            "severity": alert.severity,
            "state": alert.state,
            "title": alert.title,
            "message": alert.message,
            "zone_id": alert.zone_id,
            "rung": change.rung,
            "similar_incidents": similar,
        },
    )


@router.get("", response_model=list[AlertOut])
def list_alerts(
    unit: UnitDep,
    state: str | None = Query(None, pattern="^(open|acknowledged|resolved|active)$"),
    limit: int = Query(200, ge=1, le=2000),
    user: User = require(Permission.VIEW_MAP),
) -> list[Alert]:
    query = select(Alert).where(person_visible(user, Alert.subject_id), device_visible(user, Alert.subject_id))
    query = query.order_by(Alert.id.desc()).limit(limit)
    if state == "active":
        query = query.where(Alert.state.in_(book.ACTIVE))
    elif state:
        query = query.where(Alert.state == state)
    return list(unit.session.scalars(query))


@router.get("/{alert_id}", response_model=AlertOut)
def get_alert(alert_id: AlertId, unit: UnitDep, user: User = require(Permission.VIEW_MAP)) -> Alert:
    return visible_alert(unit, user, alert_id)


def visible_alert(unit, user: User, alert_id: int) -> Alert:
    """The alert, or 403 when it is about a person outside the caller's scope."""
    alert = book.get_alert(unit.session, alert_id)
    if not may_see_subject(unit.session, user, alert.subject_id):
        about = f"role {user.role} may not see alert {alert_id}: it is about a person outside your scope"
        raise ApiError(403, f"{about} — {SCOPE_RULE}")
    return alert


@router.get("/{alert_id}/history", response_model=list[AlertEventOut])
def alert_history(alert_id: AlertId, unit: UnitDep, user: User = require(Permission.VIEW_MAP)) -> list:
    visible_alert(unit, user, alert_id)
    return book.history_of(unit.session, alert_id)


def _change_state(
    unit, user: User, alert_id: int, apply: Callable[..., book.AlertChange], **detail: str | None
) -> Alert:
    """Acknowledge or resolve (``apply``) a visible alert as ``user``; a state that does not allow it is 409."""
    visible_alert(unit, user, alert_id)
    try:
        change = apply(unit.session, alert_id, actor=user.username, t=utc_now(), **detail)
    except book.AlertStateError as exc:
        raise ApiError(409, str(exc)) from None
    unit.emit(alert_event(change))
    return change.alert


@router.post("/{alert_id}/ack", response_model=AlertOut)
@raises(409)
def acknowledge(
    alert_id: AlertId, body: AckAlertIn, unit: UnitDep, user: User = require(Permission.ACK_ALERTS)
) -> Alert:
    return _change_state(unit, user, alert_id, book.acknowledge, note=body.note, reason=body.reason)


@router.post("/{alert_id}/resolve", response_model=AlertOut)
@raises(409)
def resolve(
    alert_id: AlertId, body: ResolveAlertIn, unit: UnitDep, user: User = require(Permission.RESOLVE_ALERTS)
) -> Alert:
    return _change_state(unit, user, alert_id, book.resolve, resolution=body.resolution)
