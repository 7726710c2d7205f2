"""Connect the notifier dispatcher to the service: load the channels from a YAML file and record
each delivery outcome in the alert's history (``notified`` / ``notify_failed``)."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker

from mineguard.services.alerts.notifiers.base import DeliveryResult
from mineguard.services.alerts.notifiers.config import build_notifiers
from mineguard.services.alerts.notifiers.dispatch import Dispatcher
from mineguard.services.storage.models import AlertEvent
from mineguard.services.storage.types import utc_now


class NotifierFileError(ValueError):
    """The notifiers file cannot be used; the message names the entry and the fix."""


def load_dispatcher(path: Path, sessions: sessionmaker[Session]) -> Dispatcher:
    """``path`` is a YAML list of notifier configs (``type: webhook|email|sms|voice`` + fields)."""
    if not path.is_file():
        raise NotifierFileError(f"{path}: no such notifiers file — set MINEGUARD_NOTIFIERS_FILE to a YAML list")
    try:
        entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    except yaml.YAMLError as exc:
        raise NotifierFileError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(entries, list):
        raise NotifierFileError(f"{path}: expected a list of notifiers, each with a 'type'")
    try:
        notifiers = build_notifiers(entries)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise NotifierFileError(f"{path}: {problems}") from None

    def record(name: str, alert_id: int, result: DeliveryResult) -> None:
        kind = "notified" if result.ok else "notify_failed"
        detail = {"detail": result.detail, "attempts": result.attempts, "skipped": result.skipped}
        with sessions() as session, session.begin():
            session.add(AlertEvent(alert_id=alert_id, t=utc_now(), kind=kind, actor=f"notifier:{name}", detail=detail))

    return Dispatcher(notifiers, on_result=record)
