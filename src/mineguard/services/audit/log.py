"""Append to and verify the keyed, anchored, hash-chained audit log.

Each entry's ``hash`` is ``HMAC-SHA256(key, "mineguard-audit-v2" || prev_hash || canonical JSON
of (seq, t, actor, action, subject, payload))`` with the key from ``MINEGUARD_AUDIT_KEY_FILE``
(:mod:`.key`, never in the database); ``key_id`` names the key. ``prev_hash`` of the first entry
is 64 zeros. The ``audit_head`` row keeps the last seq and hash, and signed checkpoints of the
head go to a file outside the database (:mod:`.anchors`), so entries deleted from the end — even
with the head rewound — and a chain recomputed from an edit onwards are found. Appends take the
head row's write lock first, so concurrent writers are serialised on SQLite and PostgreSQL.

Legacy: entries written before the key (``key_id`` NULL) are ``sha256(prev_hash || canonical)``.
They still verify, as an unkeyed prefix of the chain; an unkeyed entry after a keyed one fails.
A session without a seal (:mod:`.seal`; tests, tools) appends legacy entries.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mineguard.services.audit.anchors import AnchorScan
from mineguard.services.audit.key import AuditKey
from mineguard.services.audit.seal import AuditSeal, mark_pending, seal_of
from mineguard.services.storage.models import AuditEntry, AuditHead
from mineguard.services.storage.types import utc_now

GENESIS = "0" * 64
KEYED = b"mineguard-audit-v2\n"


def _canonical(seq: int, t: datetime, actor: str, action: str, subject: str, payload: dict[str, Any]) -> bytes:
    body = {
        "seq": seq,
        "t": t.isoformat(timespec="microseconds"),
        "actor": actor,
        "action": action,
        "subject": subject,
        "payload": payload,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def entry_hash(prev_hash: str, seq: int, t: datetime, actor: str, action: str, subject: str, payload: dict) -> str:
    """The legacy, unkeyed hash (entries with ``key_id`` NULL)."""
    return hashlib.sha256(prev_hash.encode() + _canonical(seq, t, actor, action, subject, payload)).hexdigest()


def entry_mac(
    key: AuditKey, prev_hash: str, seq: int, t: datetime, actor: str, action: str, subject: str, payload: dict
) -> str:
    """The keyed hash: HMAC-SHA256 with the audit key."""
    return key.mac(KEYED + prev_hash.encode() + _canonical(seq, t, actor, action, subject, payload))


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
    seal = seal_of(session)
    key = seal.key if seal is not None else None
    if key is None:
        digest = entry_hash(prev_hash, seq, t, actor, action, subject, payload)
    else:
        digest = entry_mac(key, prev_hash, seq, t, actor, action, subject, payload)
        mark_pending(session)
    session.add(
        AuditEntry(
            seq=seq,
            t=t,
            actor=actor,
            action=action,
            subject=subject,
            payload=payload,
            prev_hash=prev_hash,
            hash=digest,
            key_id=key.key_id if key else None,
        )
    )
    head.hash = digest
    session.flush()
    return seq


def head(session: Session) -> tuple[int, str] | None:
    """The chain's last (seq, hash) as this session sees it; notifications carry it off the machine."""
    row = session.get(AuditHead, 1)
    return (row.seq, row.hash) if row is not None and row.seq else None


@dataclass(frozen=True)
class AuditReport:
    """The result of :func:`verify`; ``first_bad_seq`` is None when the chain is intact.

    ``cause``: tampered, wrong_key (entries signed with another key) or no_key (none given).
    ``legacy``: unkeyed entries at the start of the chain (written before the key);
    ``anchors``: checkpoints the log was compared with; ``warnings``: what could not be checked.
    """

    entries: int
    first_bad_seq: int | None
    problem: str | None
    cause: str | None = field(default=None, compare=False)
    legacy: int = field(default=0, compare=False)
    anchors: int = field(default=0, compare=False)
    key_id: str | None = field(default=None, compare=False)
    warnings: tuple[str, ...] = field(default=(), compare=False)

    @property
    def ok(self) -> bool:
        return self.first_bad_seq is None

    def format(self) -> str:
        if self.ok:
            text = f"audit log intact: {self.entries} entries, hash chain verified"
            if self.key_id is not None:
                keyed = self.entries - self.legacy
                text += (
                    f" ({keyed} HMAC-signed with key {self.key_id}, {self.legacy} legacy unkeyed up to seq "
                    f"{self.legacy}; matches {self.anchors} checkpoints)"
                )
            return text
        verdict = "TAMPERED" if self.cause in (None, "tampered") else "NOT VERIFIED"
        return f"audit log {verdict} at seq {self.first_bad_seq}: {self.problem} ({self.entries} entries checked)"


def verify(session: Session, batch: int = 5000, *, seal: AuditSeal | None = None) -> AuditReport:
    """Walk the chain in order and report the first edited, inserted or deleted entry.

    With a seal (default: the session's), keyed entries are checked with its key and the log is
    compared with its checkpoints: a hash that differs from a checkpoint, or a log that ends
    before one, fails.
    """
    seal = seal if seal is not None else seal_of(session)
    key = seal.key if seal is not None else None
    scan = seal.anchors.read(key) if seal is not None and seal.anchors is not None else AnchorScan()
    by_seq: dict[int, list] = {}
    for anchor in scan.anchors:
        by_seq.setdefault(anchor.seq, []).append(anchor)
    where = f" in {seal.anchors.path}" if seal is not None and seal.anchors is not None else ""
    walk = _Walk(key)

    def report(seq: int | None, problem: str | None, cause: str | None = "tampered") -> AuditReport:
        return AuditReport(
            walk.checked,
            seq,
            problem,
            cause,
            walk.legacy,
            len(scan.anchors),
            key.key_id if key else None,
            tuple(scan.warnings),
        )

    head = session.get(AuditHead, 1)
    last = 0
    while True:
        chunk = list(
            session.scalars(select(AuditEntry).where(AuditEntry.seq > last).order_by(AuditEntry.seq).limit(batch))
        )
        if not chunk:
            break
        for row in chunk:
            bad = walk.step(row)
            if bad is not None:
                return report(*bad)
            for anchor in by_seq.get(row.seq, ()):
                if anchor.hash != row.hash:
                    return report(
                        row.seq,
                        f"hash differs from the checkpoint of {anchor.t}{where} (line "
                        f"{anchor.line}): the chain was rewritten after it",
                    )
            last = row.seq
    checked = walk.checked
    head_seq = head.seq if head else 0
    if head_seq != checked:
        return report(
            checked + 1, f"log ends at seq {checked} but its head records {head_seq} (entries deleted from the end)"
        )
    if head is not None and head.hash != walk.prev_hash:
        return report(checked, "last entry's hash differs from the head (entry edited)")
    longest = scan.longest
    if longest is not None and longest.seq > checked:
        return report(
            checked + 1,
            f"log ends at seq {checked} but the checkpoint of {longest.t}{where} (line "
            f"{longest.line}) records seq {longest.seq}: entries deleted from the end and the head "
            "rewound",
        )
    return report(None, None, None)


class _Walk:
    """The chain rules for one entry after another; ``step`` returns (seq, problem, cause) or None."""

    def __init__(self, key: AuditKey | None) -> None:
        self.key, self.prev_hash, self.checked, self.legacy = key, GENESIS, 0, 0
        self.keyed_from: int | None = None

    def step(self, row: AuditEntry) -> tuple[int, str, str] | None:
        expected = self.checked + 1
        if row.seq != expected:
            return expected, f"entry {expected} is missing (deleted); next is {row.seq}", "tampered"
        if row.prev_hash != self.prev_hash:
            return row.seq, "prev_hash does not match the previous entry (chain broken)", "tampered"
        fields = (row.prev_hash, row.seq, row.t, row.actor, row.action, row.subject, row.payload)
        if row.key_id is None:
            if self.keyed_from is not None:
                return (
                    row.seq,
                    (
                        f"unkeyed entry after the HMAC-signed ones that began at seq {self.keyed_from} "
                        "(forged, or written without the audit key)"
                    ),
                    "tampered",
                )
            if entry_hash(*fields) != row.hash:
                return row.seq, "content does not match its hash (entry edited)", "tampered"
            self.legacy += 1
        else:
            self.keyed_from = self.keyed_from or row.seq
            if self.key is None:
                return (
                    row.seq,
                    (
                        f"entry is HMAC-signed (key id {row.key_id}) and no audit key was given — set "
                        "MINEGUARD_AUDIT_KEY_FILE to the service's key"
                    ),
                    "no_key",
                )
            if entry_mac(self.key, *fields) != row.hash:
                if row.key_id != self.key.key_id:
                    return (
                        row.seq,
                        (
                            f"entry is signed with key id {row.key_id} but the key file holds key id "
                            f"{self.key.key_id} — wrong MINEGUARD_AUDIT_KEY_FILE?"
                        ),
                        "wrong_key",
                    )
                return (
                    row.seq,
                    ("content does not match its HMAC (entry edited, or the chain recomputed without the key)"),
                    "tampered",
                )
            if row.key_id != self.key.key_id:
                return row.seq, f"key id edited ({row.key_id}; the entry is signed with {self.key.key_id})", "tampered"
        self.prev_hash, self.checked = row.hash, self.checked + 1
        return None


def recent(session: Session, limit: int = 100, action: str | None = None) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit)
    if action:
        query = query.where(AuditEntry.action == action)
    return list(session.scalars(query))
