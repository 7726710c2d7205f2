"""The hash-chained audit log: appends chain, and edits or deletions behind its back are found."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from mineguard.services.audit.log import GENESIS, AuditReport, append, entry_hash, recent, verify
from mineguard.services.storage.db import session_factory
from mineguard.services.storage.models import AuditEntry, AuditHead

ENTRIES = [
    ("alice", "user.created", "user:bob", {"role": "operator"}),
    ("alice", "threshold.changed", "site:s1:sensitivity", {"noise_g": {"from": 0.05, "to": 0.08}}),
    ("carol", "tag.paired", "tag:6901234500011", {"asset_id": "miner-001", "note": "井下 ✓"}),
]


@pytest.fixture
def factory(engine) -> sessionmaker[Session]:
    """A migrated database holding the three committed ENTRIES (seq 1, 2, 3)."""
    factory = session_factory(engine)
    with factory() as session:
        assert verify(session) == AuditReport(0, None, None)  # an empty log is intact
        seqs = [append(session, actor=a, action=act, subject=s, payload=p) for a, act, s, p in ENTRIES]
        session.commit()
    assert seqs == [1, 2, 3]
    return factory


def _verify(factory: sessionmaker[Session]) -> AuditReport:
    with factory() as session:
        return verify(session)


def test_append_chains_entries(factory: sessionmaker[Session]) -> None:
    with factory() as session:
        rows = session.query(AuditEntry).order_by(AuditEntry.seq).all()
        assert [(r.seq, r.actor, r.action, r.subject, r.payload) for r in rows] == [
            (i + 1, *entry) for i, entry in enumerate(ENTRIES)
        ]
        assert rows[0].prev_hash == GENESIS == "0" * 64
        assert rows[1].prev_hash == rows[0].hash
        assert rows[2].prev_hash == rows[1].hash
        for row in rows:
            assert len(row.hash) == 64
            assert row.t.tzinfo is not None
            assert row.hash == entry_hash(
                row.prev_hash, row.seq, row.t, row.actor, row.action, row.subject, row.payload
            )
        head = session.get(AuditHead, 1)
        assert (head.seq, head.hash) == (3, rows[2].hash)
        assert [e.seq for e in recent(session)] == [3, 2, 1]
        assert [e.seq for e in recent(session, limit=2)] == [3, 2]
        assert [e.seq for e in recent(session, action="tag.paired")] == [3]
        assert recent(session, action="no.such.action") == []
        report = verify(session)
    assert report == AuditReport(entries=3, first_bad_seq=None, problem=None)
    assert report.ok
    assert report.format() == "audit log intact: 3 entries, hash chain verified"
    assert _verify(factory).ok  # verification reads only


def _recompute_hash(connection, seq: int) -> None:
    """What a careful forger does: fix the edited row's own hash (but not the chain after it)."""
    with Session(bind=connection) as session:
        row = session.get(AuditEntry, seq)
        row.hash = entry_hash(row.prev_hash, row.seq, row.t, row.actor, row.action, row.subject, row.payload)
        session.flush()


def _edit_actor(connection) -> None:
    connection.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2"))


def _edit_subject_of_last(connection) -> None:
    connection.execute(text("UPDATE audit_log SET subject = 'tag:0000000000000' WHERE seq = 3"))


def _edit_and_rehash(connection) -> None:
    _edit_actor(connection)
    _recompute_hash(connection, 2)


def _edit_last_and_rehash(connection) -> None:
    _edit_subject_of_last(connection)
    _recompute_hash(connection, 3)


TAMPERING: dict[str, tuple[Callable, AuditReport]] = {
    "edit_actor": (_edit_actor, AuditReport(1, 2, "content does not match its hash (entry edited)")),
    "edit_last": (_edit_subject_of_last, AuditReport(2, 3, "content does not match its hash (entry edited)")),
    "overwrite_hash": (
        lambda c: c.execute(text(f"UPDATE audit_log SET hash = '{'f' * 64}' WHERE seq = 2")),
        AuditReport(1, 2, "content does not match its hash (entry edited)"),
    ),
    "edit_and_rehash": (
        _edit_and_rehash,
        AuditReport(2, 3, "prev_hash does not match the previous entry (chain broken)"),
    ),
    "edit_last_and_rehash": (
        _edit_last_and_rehash,
        AuditReport(3, 3, "last entry's hash differs from the head (entry edited)"),
    ),
    "delete_middle": (
        lambda c: c.execute(text("DELETE FROM audit_log WHERE seq = 2")),
        AuditReport(1, 2, "entry 2 is missing (deleted); next is 3"),
    ),
    "delete_last": (
        lambda c: c.execute(text("DELETE FROM audit_log WHERE seq = 3")),
        AuditReport(2, 3, "log ends at seq 2 but its head records 3 (entries deleted from the end)"),
    ),
    "delete_first": (
        lambda c: c.execute(text("DELETE FROM audit_log WHERE seq = 1")),
        AuditReport(0, 1, "entry 1 is missing (deleted); next is 2"),
    ),
}


def test_tampering_behind_the_services_back_is_found(factory: sessionmaker[Session], subtests) -> None:
    """Each case tampers with raw SQL inside a transaction, verifies there, then rolls back."""
    engine = factory.kw["bind"]
    for case, (tamper, expected) in TAMPERING.items():
        with subtests.test(case=case), engine.connect() as connection:
            transaction = connection.begin()
            try:
                tamper(connection)
                with Session(bind=connection) as session:
                    report = verify(session)
            finally:
                transaction.rollback()
            assert report == expected
            assert not report.ok
            assert report.format() == (
                f"audit log TAMPERED at seq {expected.first_bad_seq}: {expected.problem} "
                f"({expected.entries} entries checked)"
            )
    assert _verify(factory).ok  # every tampering was rolled back


def test_report_format_known_text() -> None:
    assert AuditReport(0, None, None).format() == "audit log intact: 0 entries, hash chain verified"
    tampered = AuditReport(1, 2, "content does not match its hash (entry edited)")
    assert tampered.format() == (
        "audit log TAMPERED at seq 2: content does not match its hash (entry edited) (1 entries checked)"
    )
    assert "edited" in tampered.problem


def test_entry_hash_depends_on_every_field() -> None:
    from datetime import UTC, datetime

    t = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    base = entry_hash(GENESIS, 1, t, "alice", "a.b", "s", {"k": 1})
    assert base == entry_hash(GENESIS, 1, t, "alice", "a.b", "s", {"k": 1})
    variants = [
        entry_hash("1" * 64, 1, t, "alice", "a.b", "s", {"k": 1}),
        entry_hash(GENESIS, 2, t, "alice", "a.b", "s", {"k": 1}),
        entry_hash(GENESIS, 1, t.replace(microsecond=1), "alice", "a.b", "s", {"k": 1}),
        entry_hash(GENESIS, 1, t, "mallory", "a.b", "s", {"k": 1}),
        entry_hash(GENESIS, 1, t, "alice", "a.c", "s", {"k": 1}),
        entry_hash(GENESIS, 1, t, "alice", "a.b", "z", {"k": 1}),
        entry_hash(GENESIS, 1, t, "alice", "a.b", "s", {"k": 2}),
    ]
    assert len({base, *variants}) == 8
