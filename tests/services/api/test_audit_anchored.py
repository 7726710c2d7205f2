"""The audit log against someone who can write the database (issue 13, item 9), through the API and the CLI.

Both attacks of the issue passed ``audit verify`` when the chain was a plain sha256 chain: delete
the last entries and rewind ``audit_head``; edit a row and recompute every hash with the
package's own function. With the HMAC key outside the database and signed checkpoints in a file,
both fail, and so do a wrong key and an unkeyed entry after keyed ones.
"""

from __future__ import annotations

import json
import logging
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from mineguard.cli import main
from mineguard.services.audit.key import AuditKeyError, load_key
from mineguard.services.audit.log import append, entry_hash
from mineguard.services.settings import Settings
from mineguard.services.storage.db import make_engine, migrate, session_factory
from mineguard.services.storage.models import AuditEntry, AuditHead

from .conftest import ADMIN_PASSWORD, login

USERS = ["ann", "ben", "cat", "dan"]


@pytest.fixture
def service(database_url: str) -> Iterator[tuple[TestClient, Engine, str]]:
    """A service whose audit log holds site.loaded, user.created (admin) and four more user.created entries."""
    from mineguard.services.api.main import create_app

    app = create_app(Settings(database_url=database_url, admin_password=ADMIN_PASSWORD))
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {login(client, 'admin', ADMIN_PASSWORD)}"
        for name in USERS:
            body = {"username": name, "password": f"{name}-password-1", "role": "operator", "crew": "crew-a"}
            assert client.post("/api/v1/users", json=body).status_code == 201
        yield client, app.state.ctx.engine, database_url
    app.state.ctx.engine.dispose()


def _verify(client: TestClient) -> dict:
    response = client.get("/api/v1/audit/verify")
    assert response.status_code == 200, response.text
    return response.json()


def _cli_verify(url: str, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["audit", "verify", "--database-url", url, *extra])
    out = capsys.readouterr()
    return code, out.out, out.err


def _last_seq(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(select(AuditHead.seq))


def test_a_legit_log_verifies_with_the_key_and_its_checkpoints(service, capsys) -> None:
    client, engine, url = service
    body = _verify(client)
    last = _last_seq(engine)
    assert last >= 6
    assert body | {"key_id": None, "warnings": None} == {
        "ok": True,
        "entries": last,
        "first_bad_seq": None,
        "problem": None,
        "cause": None,
        "key_id": None,
        "legacy_entries": 0,
        "anchors_checked": body["anchors_checked"],
        "warnings": None,
    }
    assert len(body["key_id"]) == 16 and body["anchors_checked"] >= len(USERS)  # a checkpoint after each commit
    assert body["warnings"] == []
    code, out, _ = _cli_verify(url, capsys)
    assert code == 0 and out.startswith(f"audit log intact: {last} entries, hash chain verified ({last} HMAC-signed")
    with engine.connect() as connection:
        assert {len(h) for h in connection.scalars(select(AuditEntry.key_id))} == {16}  # every entry names the key


def test_deleting_the_last_entries_and_rewinding_the_head_is_found(service, capsys) -> None:
    """Attack 1 of the issue: the chain and head agree again, but the checkpoints outside remember."""
    client, engine, url = service
    last = _last_seq(engine)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_log WHERE seq > :keep"), {"keep": last - 2})
        kept = connection.execute(select(AuditEntry.hash).where(AuditEntry.seq == last - 2)).scalar_one()
        connection.execute(text("UPDATE audit_head SET seq = :seq, hash = :hash"), {"seq": last - 2, "hash": kept})
    body = _verify(client)
    assert (body["ok"], body["first_bad_seq"], body["cause"]) == (False, last - 1, "tampered")
    assert f"log ends at seq {last - 2} but the checkpoint of" in body["problem"]
    assert f"records seq {last}: entries deleted from the end and the head rewound" in body["problem"]
    code, out, _ = _cli_verify(url, capsys)
    assert code == 1 and out.startswith(f"audit log TAMPERED at seq {last - 1}: log ends at seq {last - 2}")


def _edit_and_recompute(engine: Engine, seq: int, *, unkeyed: bool) -> None:
    """Attack 2 of the issue: edit a row, then recompute every later hash with the package's own function."""
    with Session(engine) as session, session.begin():
        rows = list(session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))
        rows[seq - 1].payload = {**rows[seq - 1].payload, "role": "super_manager"}
        prev = rows[seq - 2].hash if seq > 1 else "0" * 64
        for row in rows[seq - 1 :]:
            if unkeyed:
                row.key_id = None
            row.prev_hash = prev
            row.hash = prev = entry_hash(prev, row.seq, row.t, row.actor, row.action, row.subject, row.payload)
        session.get(AuditHead, 1).hash = prev


def test_editing_a_row_and_recomputing_every_hash_is_found(service, capsys) -> None:
    client, engine, url = service
    _edit_and_recompute(engine, 4, unkeyed=False)
    body = _verify(client)
    assert (body["ok"], body["first_bad_seq"], body["cause"]) == (False, 4, "tampered")
    assert body["problem"] == "content does not match its HMAC (entry edited, or the chain recomputed without the key)"
    code, out, _ = _cli_verify(url, capsys)
    assert code == 1 and out.startswith("audit log TAMPERED at seq 4: content does not match its HMAC")


def test_recomputing_the_chain_as_unkeyed_legacy_entries_is_found(service, capsys) -> None:
    """The forger also marks the rewritten entries as legacy: they follow keyed ones, and differ from checkpoints."""
    client, engine, url = service
    _edit_and_recompute(engine, 4, unkeyed=True)
    body = _verify(client)
    assert (body["ok"], body["first_bad_seq"]) == (False, 4)
    assert body["problem"].startswith("unkeyed entry after the HMAC-signed ones that began at seq 1")
    _edit_and_recompute(engine, 1, unkeyed=True)  # the whole chain as legacy: only the checkpoints can tell
    body = _verify(client)
    assert (body["ok"], body["first_bad_seq"]) == (False, 2)  # seq 1 and 2 were committed (and anchored) together
    assert "hash differs from the checkpoint of" in body["problem"] and "rewritten after it" in body["problem"]
    assert _cli_verify(url, capsys)[0] == 1


def test_a_wrong_key_is_told_apart_from_tampering(service, tmp_path: Path, capsys) -> None:
    _, _, url = service
    other = tmp_path / "other.key"
    other.write_text("ab" * 32)
    code, out, _ = _cli_verify(url, capsys, "--key-file", str(other))
    assert code == 1
    assert out.startswith("audit log NOT VERIFIED at seq 1: entry is signed with key id ")
    assert f"but the key file holds key id {load_key(other).key_id} — wrong MINEGUARD_AUDIT_KEY_FILE?" in out
    code, out, _ = _cli_verify(url, capsys, "--key-file", str(tmp_path / "missing.key"))
    assert code == 1 and "no audit key was given — set MINEGUARD_AUDIT_KEY_FILE" in out


def test_without_the_anchor_file_the_chain_is_still_checked_with_a_warning(service, tmp_path: Path, capsys) -> None:
    _, engine, url = service
    gone = str(tmp_path / "no-anchors.jsonl")
    code, out, err = _cli_verify(url, capsys, "--anchor-file", gone)
    assert code == 0 and out.startswith("audit log intact")
    assert f"warning: no anchor file at {gone}: the chain was checked with the key only" in err
    _edit_and_recompute(engine, 3, unkeyed=False)
    code, out, _ = _cli_verify(url, capsys, "--anchor-file", gone)
    assert code == 1 and out.startswith("audit log TAMPERED at seq 3: content does not match its HMAC")


def test_a_legacy_log_still_verifies_and_is_keyed_from_the_cut_over(database_url: str, capsys) -> None:
    """Entries written before the key (unkeyed sha256) verify as a prefix; the service keys every new one."""
    from mineguard.services.api.main import create_app

    engine = make_engine(database_url)
    migrate(engine)
    with session_factory(engine)() as session:  # no seal: the old service wrote entries like these
        for name in USERS:
            append(session, actor="admin", action="user.created", subject=f"user:{name}", payload={})
        session.commit()
    engine.dispose()
    app = create_app(Settings(database_url=database_url, admin_password=ADMIN_PASSWORD))
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {login(client, 'admin', ADMIN_PASSWORD)}"
        body = _verify(client)
        total = _last_seq(app.state.ctx.engine)
        assert (body["ok"], body["entries"], body["legacy_entries"]) == (True, total, len(USERS))
        assert total > len(USERS)  # site.loaded and the admin's user.created are keyed
        code, out, _ = _cli_verify(database_url, capsys)
        assert code == 0 and f"{len(USERS)} legacy unkeyed up to seq {len(USERS)}" in out
        with app.state.ctx.engine.begin() as connection:  # an unkeyed entry after the cut-over fails
            connection.execute(text("UPDATE audit_log SET key_id = NULL WHERE seq = :seq"), {"seq": total})
        assert _verify(client)["first_bad_seq"] == total
    app.state.ctx.engine.dispose()


def test_the_key_file_is_made_once_with_mode_600_next_to_the_database(tmp_path: Path, monkeypatch, caplog) -> None:
    from mineguard.services.api.main import create_app

    monkeypatch.delenv("MINEGUARD_AUDIT_KEY_FILE")
    monkeypatch.delenv("MINEGUARD_AUDIT_ANCHOR_FILE")
    caplog.set_level(logging.WARNING, logger="mineguard.services.audit.key")
    url = f"sqlite:///{tmp_path / 'var' / 'mineguard.db'}"
    (tmp_path / "var").mkdir()
    app = create_app(Settings(database_url=url, admin_password=ADMIN_PASSWORD))
    app.state.ctx.engine.dispose()
    key_file, anchors = tmp_path / "var" / "audit.key", tmp_path / "var" / "audit-anchors.jsonl"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = load_key(key_file)
    assert [r.getMessage() for r in caplog.records if "created the audit log key" in r.getMessage()]
    with make_engine(url).connect() as connection:  # the key never goes into the database
        dump = json.dumps([list(map(str, row)) for row in connection.execute(text("SELECT * FROM audit_log"))])
    assert key.secret.hex() not in dump
    record = json.loads(anchors.read_text().splitlines()[-1])
    assert record["key_id"] == key.key_id and record["db"].endswith("mineguard.db") and len(record["mac"]) == 64
    before = key_file.read_text()
    create_app(Settings(database_url=url, admin_password=ADMIN_PASSWORD)).state.ctx.engine.dispose()
    assert key_file.read_text() == before  # kept, not replaced

    key_file.unlink()
    key_file.mkdir()  # unreadable (root reads any file, so a folder stands in for chmod 000)
    with pytest.raises(AuditKeyError, match=r"audit key file .*audit.key cannot be read .* MINEGUARD_AUDIT_KEY_FILE"):
        create_app(Settings(database_url=url, admin_password=ADMIN_PASSWORD))
    key_file.rmdir()
    key_file.write_text("not a key\n")
    with pytest.raises(AuditKeyError, match="does not hold an audit key"):
        create_app(Settings(database_url=url, admin_password=ADMIN_PASSWORD))
