"""The audit log's HMAC key: 32 random bytes in a file outside the database (``MINEGUARD_AUDIT_KEY_FILE``).

The key never goes into the database; entries keep only its id (a fingerprint), so ``verify``
can tell "signed with another key" from "edited". The service creates the file on first start
with permissions 0600 and logs where it is: keep a copy off the machine, since without it the
log cannot be verified, and whoever holds it together with the database can rewrite the log.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

KEY_BYTES = 32


class AuditKeyError(ValueError):
    """The key file cannot be used; the message names the file and the fix."""


class AuditKeyMissing(AuditKeyError):
    """There is no key file (and it was not to be created)."""


@dataclass(frozen=True)
class AuditKey:
    secret: bytes = field(repr=False)
    path: Path | None = None

    @property
    def key_id(self) -> str:
        """16 hex characters that name the key without revealing it."""
        return hashlib.sha256(b"mineguard-audit-key-id\n" + self.secret).hexdigest()[:16]

    def mac(self, message: bytes) -> str:
        """HMAC-SHA256 of ``message``, hex."""
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()


def load_key(path: Path, *, create: bool = False) -> AuditKey:
    """The key in ``path``; with ``create``, a new one is written there (0600) if the file does not exist."""
    path = Path(path)
    if create and not path.exists():
        _create(path)
    try:
        text = path.read_text().strip()
    except FileNotFoundError:
        raise AuditKeyMissing(
            f"audit key file {path} does not exist — set MINEGUARD_AUDIT_KEY_FILE to the key the "
            "service signs the audit log with (the service creates it on first start)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise AuditKeyError(
            f"audit key file {path} cannot be read ({getattr(exc, 'strerror', None) or exc}) — run "
            "as the key's owner, fix its permissions (chmod 600) or set MINEGUARD_AUDIT_KEY_FILE"
        ) from None
    try:
        secret = bytes.fromhex(text)
    except ValueError:
        secret = b""
    if len(secret) != KEY_BYTES:
        raise AuditKeyError(
            f"audit key file {path} does not hold an audit key ({2 * KEY_BYTES} hex characters) — "
            "restore it from your copy; a new key cannot verify entries signed with the old one"
        )
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("audit key file %s can be read by other users (mode %o) — chmod 600 %s", path, mode & 0o777, path)
    return AuditKey(secret, path)


def _create(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # another process made it first
    except OSError as exc:
        raise AuditKeyError(
            f"cannot create the audit key file {path} ({exc.strerror}) — make its folder "
            "writable or set MINEGUARD_AUDIT_KEY_FILE"
        ) from None
    with os.fdopen(fd, "w") as file:
        file.write(secrets.token_bytes(KEY_BYTES).hex() + "\n")
        file.flush()
        os.fsync(file.fileno())
    key = load_key(path)
    log.warning(
        "created the audit log key %s (key id %s, mode 600): keep a copy off this machine — "
        "`mineguard audit verify` needs it, and anyone holding it and the database can rewrite the log",
        path,
        key.key_id,
    )
