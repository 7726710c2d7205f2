"""What keys and anchors the audit log of one running service: its key and its checkpoint file.

:meth:`AuditSeal.attach` puts the seal into every session of a session factory
(``session.info``), so :func:`~.log.append` signs with the key without a new argument, and
writes a checkpoint after each commit that appended entries. :meth:`AuditSeal.checkpoint` is
also run at start and on a schedule (``MINEGUARD_AUDIT_ANCHOR_S``).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, event, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from mineguard.services.audit.anchors import AnchorFile, database_identity
from mineguard.services.audit.key import AuditKey, AuditKeyMissing, load_key
from mineguard.services.storage.models import AuditHead
from mineguard.services.storage.types import utc_now

log = logging.getLogger(__name__)

SEAL = "mineguard.audit.seal"
PENDING = "mineguard.audit.pending"


def default_paths(database_url: str) -> tuple[Path, Path]:
    """The key and anchor files next to a SQLite database, else under ``var/``."""
    url = make_url(database_url)
    folder = Path("var")
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        folder = Path(url.database).parent
    return folder / "audit.key", folder / "audit-anchors.jsonl"


@dataclass
class AuditSeal:
    """``key`` None: verification only (no key at hand); entries are then appended unkeyed."""

    key: AuditKey | None
    anchors: AnchorFile | None
    _anchored: int = field(default=0, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @classmethod
    def from_settings(cls, settings, *, create: bool = True) -> AuditSeal:
        """The seal of ``settings`` (``MINEGUARD_AUDIT_KEY_FILE``, ``MINEGUARD_AUDIT_ANCHOR_FILE``).

        ``create``: make the key file if there is none (the service); else (``verify``) a missing
        key leaves ``key`` None and keyed entries are reported unverifiable.
        """
        key_file, anchor_file = default_paths(settings.database_url)
        try:
            key = load_key(settings.audit_key_file or key_file, create=create)
        except AuditKeyMissing:
            key = None
        database = database_identity(make_url(settings.database_url))
        return cls(key, AnchorFile(settings.audit_anchor_file or anchor_file, database))

    def attach(self, sessions: sessionmaker[Session]) -> None:
        """Sign every entry appended through ``sessions``; checkpoint after each commit that appended."""
        sessions.configure(info={**sessions.kw.get("info", {}), SEAL: self})
        event.listen(sessions, "after_commit", self._after_commit)
        event.listen(sessions, "after_rollback", lambda session: session.info.pop(PENDING, None))

    def _after_commit(self, session: Session) -> None:
        if session.info.pop(PENDING, None):
            try:
                self.checkpoint(session.get_bind())
            except Exception:  # the commit stands; the next scheduled checkpoint covers it
                log.exception("audit checkpoint after commit failed")

    def checkpoint(self, engine: Engine) -> int | None:
        """Append the current head to the anchor file if it moved on; returns the anchored seq."""
        if self.key is None or self.anchors is None:
            return None
        with self._lock:  # read and write under one lock: a slower thread never sees its older head as a rewind
            with engine.connect() as connection:
                head = connection.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)).first()
            if head is None or head.seq == self._anchored:
                return None
            if head.seq < self._anchored:
                log.error(
                    "audit log head went back from seq %d to %d — entries were deleted from the end; run "
                    "`mineguard audit verify`",
                    self._anchored,
                    head.seq,
                )
                return None
            self.anchors.write(self.key, head.seq, head.hash, utc_now().isoformat())
            self._anchored = head.seq
        return head.seq


def seal_of(session: Session) -> AuditSeal | None:
    return session.info.get(SEAL)


def mark_pending(session: Session) -> None:
    """An entry was appended in this session: checkpoint after its commit."""
    session.info[PENDING] = True
