"""Checkpoints of the audit log's head, signed and appended to a file outside the database.

One JSON line per checkpoint: ``{"v": 1, "db", "seq", "hash", "t", "key_id", "mac"}`` where
``mac`` is the HMAC (audit key) of the other fields, so a checkpoint cannot be forged without the
key. ``db`` names the database the checkpoint belongs to (several may share one file). ``verify``
compares the log with every checkpoint: a log shorter than a checkpoint was truncated, a hash
that differs from one was rewritten.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import URL

from mineguard.services.audit.key import AuditKey


def database_identity(url: URL) -> str:
    """The database a checkpoint belongs to: the SQLite file's absolute path, or backend://host:port/name."""
    if url.get_backend_name() == "sqlite":
        return f"sqlite:///{Path(url.database or ':memory:').resolve()}" if url.database else "sqlite://"
    return f"{url.get_backend_name()}://{url.host or ''}:{url.port or ''}/{url.database or ''}"


@dataclass(frozen=True)
class Anchor:
    seq: int
    hash: str
    t: str
    line: int


@dataclass
class AnchorScan:
    """The usable checkpoints of one database, and what was wrong with the file."""

    anchors: list[Anchor] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def longest(self) -> Anchor | None:
        return max(self.anchors, key=lambda a: a.seq, default=None)


def _message(record: dict) -> bytes:
    body = {k: record.get(k) for k in ("v", "db", "seq", "hash", "t", "key_id")}
    return b"mineguard-audit-anchor\n" + json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


class AnchorFile:
    """``MINEGUARD_AUDIT_ANCHOR_FILE``: appended to by the service, read by ``verify``."""

    def __init__(self, path: Path, database: str) -> None:
        self.path, self.database = Path(path), database
        self._lock = threading.Lock()

    def write(self, key: AuditKey, seq: int, hash_: str, t: str) -> None:
        record = {"v": 1, "db": self.database, "seq": seq, "hash": hash_, "t": t, "key_id": key.key_id}
        record["mac"] = key.mac(_message(record))
        line = (json.dumps(record, sort_keys=True, separators=(",", ":")) + "\n").encode()
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line)  # one write of a short line: appends from several processes do not interleave
                os.fsync(fd)
            finally:
                os.close(fd)

    def read(self, key: AuditKey | None) -> AnchorScan:
        scan = AnchorScan()
        try:
            lines = self.path.read_text().splitlines()
        except FileNotFoundError:
            scan.warnings.append(
                f"no anchor file at {self.path}: the chain was checked with the key only, so entries "
                "deleted from the end together with a rewound head cannot be found"
            )
            return scan
        except OSError as exc:
            scan.warnings.append(f"anchor file {self.path} cannot be read ({exc.strerror}); chain checked without it")
            return scan
        if key is None:
            scan.warnings.append(f"no audit key: the checkpoints in {self.path} cannot be authenticated, not used")
            return scan
        for number, text in enumerate(lines, 1):
            where = f"{self.path} line {number}"
            try:
                record = json.loads(text)
                if not isinstance(record, dict) or record.get("db") != self.database:
                    continue  # another database's checkpoint
                anchor = Anchor(int(record["seq"]), str(record["hash"]), str(record["t"]), number)
            except (ValueError, KeyError, TypeError):
                scan.warnings.append(f"{where} is not a checkpoint (damaged?) — skipped")
                continue
            if record.get("key_id") != key.key_id:
                scan.warnings.append(
                    f"{where}: checkpoint signed with another key (id {record.get('key_id')}) — skipped"
                )
            elif record.get("mac") != key.mac(_message(record)):
                scan.warnings.append(f"{where}: checkpoint signature does not match (edited?) — skipped")
            else:
                scan.anchors.append(anchor)
        if not scan.anchors:
            scan.warnings.append(f"no checkpoint of this database ({self.database}) in {self.path}")
        return scan
