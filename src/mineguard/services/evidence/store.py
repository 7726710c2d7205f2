"""Snapshots and clips a camera sends as evidence, stored once by the SHA-256 of their bytes.

A camera box uploads the JPEG snapshot and MP4 clip of a vision event (``POST
/api/v1/evidence``), then names their hashes in the event's ``attributes.evidence``; the alert
raised from the event lists them under ``evidence["media"]`` and the API serves the bytes to
every role that sees alerts. Only JPEG, PNG and MP4 are taken, recognised by their first bytes
rather than by what the sender claims. :func:`prune` keeps the store within its retention:
files older than ``max_age_days`` go, then the oldest until the total is under ``max_bytes``,
except files still named by an alert that is not resolved. :func:`forget` deletes the evidence of
given events at once, whatever its age, and every pointer to it (a person's face erased, issue 16).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from mineguard.services.storage.models import Alert, EvidenceFile, SourceEvent

SHA256 = re.compile(r"^[0-9a-f]{64}$")


class EvidenceError(ValueError):
    """Bytes that are not evidence MineGuard keeps; the message says what was expected."""


def sniff(data: bytes) -> str:
    """The media type of ``data`` from its first bytes: image/jpeg, image/png or video/mp4."""
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[4:8] == b"ftyp":
        return "video/mp4"
    raise EvidenceError("not a JPEG, PNG or MP4 file (checked by its first bytes) — send the snapshot or clip itself")


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    media_type: str
    size: int
    created: bool  # False: the same bytes were already stored


def put(session: Session, data: bytes, *, sender: str, now: datetime) -> StoredFile:
    """Store ``data`` (idempotent: the same bytes give the same hash and one row)."""
    if not data:
        raise EvidenceError("empty body — send the snapshot or clip bytes")
    media_type = sniff(data)
    digest = hashlib.sha256(data).hexdigest()
    if session.get(EvidenceFile, digest) is not None:
        return StoredFile(digest, media_type, len(data), created=False)
    session.add(
        EvidenceFile(sha256=digest, media_type=media_type, size=len(data), data=data, sender=sender, created_at=now)
    )
    return StoredFile(digest, media_type, len(data), created=True)


def get(session: Session, sha256: str) -> EvidenceFile | None:
    return session.get(EvidenceFile, sha256.lower()) if SHA256.match(sha256.lower()) else None


def hashes_in(attributes: object) -> list[str]:
    """The evidence hashes an event names: ``attributes.evidence = {"snapshot": sha, "clip": sha}``."""
    named = attributes.get("evidence") if isinstance(attributes, dict) else None
    if not isinstance(named, dict):
        return []
    return [v for v in named.values() if isinstance(v, str) and SHA256.match(v)]


def media_for_events(session: Session, event_ids: Iterable[int]) -> list[dict[str, object]]:
    """What an alert shows as its media: for each source event with evidence, the event and the
    URLs of its snapshot and clip (only files the store really has)."""
    ids = sorted({int(i) for i in event_ids})
    if not ids:
        return []
    events = session.execute(select(SourceEvent.id, SourceEvent.attributes).where(SourceEvent.id.in_(ids))).all()
    named = {event_id: attributes.get("evidence", {}) for event_id, attributes in events if hashes_in(attributes)}
    have = set(
        session.scalars(
            select(EvidenceFile.sha256).where(
                EvidenceFile.sha256.in_([h for a in named.values() for h in hashes_in({"evidence": a})])
            )
        )
    )
    media = []
    for event_id, evidence in sorted(named.items()):
        links = {
            kind: f"/api/v1/evidence/{sha}" for kind, sha in evidence.items() if isinstance(sha, str) and sha in have
        }
        if links:
            media.append({"event": event_id, **links})
    return media


def _kept_by_open_alerts(session: Session) -> set[str]:
    kept: set[str] = set()
    for evidence in session.scalars(select(Alert.evidence).where(Alert.state != "resolved")):
        for item in (evidence or {}).get("media", []) if isinstance(evidence, dict) else []:
            kept.update(str(url).rsplit("/", 1)[-1] for key, url in item.items() if key != "event")
    return kept


def prune(session: Session, *, now: datetime, max_age_days: float, max_bytes: int) -> int:
    """Delete evidence past its retention (see the module docs); the number of files deleted."""
    kept = _kept_by_open_alerts(session)
    cutoff = now - timedelta(days=max_age_days)
    old = [
        sha
        for sha in session.scalars(select(EvidenceFile.sha256).where(EvidenceFile.created_at < cutoff))
        if sha not in kept
    ]
    if old:
        session.execute(delete(EvidenceFile).where(EvidenceFile.sha256.in_(old)))
    total = session.scalar(select(func.coalesce(func.sum(EvidenceFile.size), 0))) or 0
    dropped = len(old)
    if total > max_bytes:
        for sha, size in session.execute(
            select(EvidenceFile.sha256, EvidenceFile.size).order_by(EvidenceFile.created_at)
        ):
            if total <= max_bytes:
                break
            if sha in kept:
                continue
            session.execute(delete(EvidenceFile).where(EvidenceFile.sha256 == sha))
            total -= size
            dropped += 1
    return dropped


@dataclass(frozen=True)
class Forgotten:
    """What :func:`forget` removed: stored files, events that named them, alert media entries."""

    files: int
    events: int
    alert_media: int


def forget(session: Session, event_ids: Iterable[int]) -> Forgotten:
    """Delete every file the events name (``attributes.evidence``) and every pointer to those files:
    the events' ``evidence`` attribute and the alerts' ``evidence["media"]`` entries.

    The files go even when an open alert names them: this is erasure, not retention.
    """
    ids = sorted({int(i) for i in event_ids})
    events = list(session.scalars(select(SourceEvent).where(SourceEvent.id.in_(ids)))) if ids else []
    hashes = {h for event in events for h in hashes_in(event.attributes)}
    if not hashes:
        return Forgotten(0, 0, 0)
    files = session.execute(delete(EvidenceFile).where(EvidenceFile.sha256.in_(sorted(hashes)))).rowcount
    touched = 0
    for event in events:
        if "evidence" in (event.attributes or {}):
            event.attributes = {
                k: v for k, v in event.attributes.items() if k != "evidence"
            }  # a new dict: SQLAlchemy sees it
            touched += 1
    media_dropped = 0
    for alert in session.scalars(select(Alert).where(Alert.evidence.is_not(None))):
        media = (alert.evidence or {}).get("media") if isinstance(alert.evidence, dict) else None
        if not isinstance(media, list):
            continue
        kept = [item for item in media if not _names_any(item, hashes)]
        if len(kept) != len(media):
            media_dropped += len(media) - len(kept)
            rest = {k: v for k, v in alert.evidence.items() if k != "media"}
            alert.evidence = {**rest, "media": kept} if kept else rest
    session.flush()
    return Forgotten(files, touched, media_dropped)


def _names_any(item: object, hashes: set[str]) -> bool:
    if not isinstance(item, dict):
        return False
    return any(str(url).rsplit("/", 1)[-1] in hashes for key, url in item.items() if key != "event")
