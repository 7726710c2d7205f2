"""The evidence store: content hashes, type by first bytes, retention that spares open alerts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from mineguard.services.evidence import store
from mineguard.services.storage.db import make_engine, migrate, session_factory
from mineguard.services.storage.models import Alert, EvidenceFile

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


def jpeg(n: int) -> bytes:
    return b"\xff\xd8\xff\xe0" + bytes([n]) * 1000


@pytest.fixture
def sessions(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'ev.db'}")
    migrate(engine)
    return session_factory(engine)


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"\xff\xd8\xff\xdb", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n", "image/png"),
        (b"\x00\x00\x00\x20ftypmp42", "video/mp4"),
    ],
)
def test_sniff_by_first_bytes(head: bytes, kind: str) -> None:
    assert store.sniff(head + b"rest") == kind


def test_sniff_refuses_other_files() -> None:
    with pytest.raises(store.EvidenceError, match="not a JPEG, PNG or MP4"):
        store.sniff(b"%PDF-1.7")


def test_hashes_in_takes_only_well_formed_hashes() -> None:
    sha = "a" * 64
    assert store.hashes_in({"evidence": {"snapshot": sha, "clip": "../../etc/passwd", "x": 3}}) == [sha]
    assert store.hashes_in({"evidence": "nope"}) == [] and store.hashes_in(None) == []


def test_prune_drops_old_then_oldest_but_keeps_what_open_alerts_show(sessions) -> None:
    with sessions() as session, session.begin():
        shas = [store.put(session, jpeg(i), sender="t", now=NOW - timedelta(days=40 - i)).sha256 for i in range(5)]
        session.add(
            Alert(
                key="k",
                rule_id="r",
                severity="critical",
                state="open",
                title="t",
                message="m",
                opened_at=NOW,
                updated_at=NOW,
                evidence={"media": [{"event": 1, "snapshot": f"/api/v1/evidence/{shas[0]}"}]},
            )
        )
    with sessions() as session, session.begin():
        dropped = store.prune(session, now=NOW, max_age_days=37.5, max_bytes=2100)
    with sessions() as session:
        left = set(session.scalars(select(EvidenceFile.sha256)))
    # 0..2 are older than 37.5 days: 1 and 2 go, 0 stays (an open alert shows it); then over 2100 bytes
    # the oldest of the rest (3) goes; 0 and 4 remain
    assert dropped == 3 and left == {shas[0], shas[4]}
