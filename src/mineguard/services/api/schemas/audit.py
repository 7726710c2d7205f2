"""The audit log and its verification."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from mineguard.services.api.schemas.common import Out


class AuditEntryOut(Out):
    seq: int
    t: datetime
    actor: str
    action: str
    subject: str
    payload: dict[str, Any]
    hash: str


class AuditVerifyOut(Out):
    ok: bool
    entries: int
    first_bad_seq: int | None
    problem: str | None
    cause: str | None = None  # tampered | wrong_key | no_key
    key_id: str | None = None  # the key the chain was checked with
    legacy_entries: int = 0  # unkeyed entries written before the key (a prefix of the chain)
    anchors_checked: int = 0  # checkpoints outside the database the log was compared with
    warnings: list[str] = Field(default=[])  # Field(): ruff cannot see that Out is a pydantic model here
