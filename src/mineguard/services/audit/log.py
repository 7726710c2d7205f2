"""Append to and verify the hash-chained audit log.

Each entry's ``hash`` is ``sha256(prev_hash || canonical JSON of (seq, t, actor, action,
subject, payload))``; ``prev_hash`` of the first entry is 64 zeros. The ``audit_head`` row keeps
the last seq and hash, so rows deleted from the end of the log are found too. Appends take the
head row's write lock first, so concurrent writers are serialised on SQLite and PostgreSQL.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mineguard.services.storage.models import AuditEntry, AuditHead
from mineguard.services.storage.types import utc_now

GENESIS = "0" * 64


def _canonical(seq: int, t: datetime, actor: str, action: str, subject: str, payload: dict[str, Any]) -> bytes:
    body = {"seq": seq, "t": t.isoformat(timespec="microseconds"), "actor": actor, "action": action,
            "subject": subject, "payload": payload}  # fmt: skip
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def entry_hash(prev_hash: str, seq: int, t: datetime, actor: str, action: str, subject: str, payload: dict) -> str:
    return hashlib.sha256(prev_hash.encode() + _canonical(seq, t, actor, action, subject, payload)).hexdigest()


def append(session: Session, *, actor: str, action: str, subject: str, payload: dict[str, Any] | None = None) -> int:
    """Append one entry in the caller's transaction; returns its sequence number."""
    payload = json.loads(json.dumps(payload or {}, default=str))  # stored exactly as hashed
    locked = session.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq + 1))
    if locked.rowcount == 0:
        session.add(AuditHead(id=1, seq=1, hash=GENESIS))
        session.flush()
    head = session.execute(select(AuditHead).where(AuditHead.id == 1)).scalar_one()
    session.refresh(head)
    seq, t, prev_hash = head.seq, utc_now(), head.hash
    digest = entry_hash(prev_hash, seq, t, actor, action, subject, payload)
    session.add(AuditEntry(seq=seq, t=t, actor=actor, action=action, subject=subject, payload=payload,
                           prev_hash=prev_hash, hash=digest))  # fmt: skip
    head.hash = digest
    session.flush()
    return seq


@dataclass(frozen=True)
class AuditReport:
    """The result of :func:`verify`; ``first_bad_seq`` is None when the chain is intact."""

    entries: int
    first_bad_seq: int | None
    problem: str | None

    @property
    def ok(self) -> bool:
        return self.first_bad_seq is None

    def format(self) -> str:
        if self.ok:
            return f"audit log intact: {self.entries} entries, hash chain verified"
        return f"audit log TAMPERED at seq {self.first_bad_seq}: {self.problem} ({self.entries} entries checked)"


def verify(session: Session, batch: int = 5000) -> AuditReport:
    """Walk the chain in order and report the first edited, inserted or deleted entry."""
    head = session.get(AuditHead, 1)
    expected_seq, prev_hash, checked, last = 1, GENESIS, 0, 0
    while True:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.seq > last).order_by(AuditEntry.seq).limit(batch))
        chunk = list(rows)
        if not chunk:
            break
        for row in chunk:
            if row.seq != expected_seq:
                return AuditReport(
                    checked, expected_seq, f"entry {expected_seq} is missing (deleted); next is {row.seq}"
                )
            if row.prev_hash != prev_hash:
                return AuditReport(checked, row.seq, "prev_hash does not match the previous entry (chain broken)")
            digest = entry_hash(prev_hash, row.seq, row.t, row.actor, row.action, row.subject, row.payload)
            if digest != row.hash:
                return AuditReport(checked, row.seq, "content does not match its hash (entry edited)")
            prev_hash, expected_seq, checked, last = row.hash, row.seq + 1, checked + 1, row.seq
    head_seq = head.seq if head else 0
    if head_seq != checked:
        return AuditReport(checked, checked + 1, f"log ends at seq {checked} but its head records {head_seq} "
                           "(entries deleted from the end)")  # fmt: skip
    if head is not None and head.hash != prev_hash:
        return AuditReport(checked, checked, "last entry's hash differs from the head (entry edited)")
    return AuditReport(checked, None, None)


def recent(session: Session, limit: int = 100, action: str | None = None) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit)
    if action:
        query = query.where(AuditEntry.action == action)
    return list(session.scalars(query))
