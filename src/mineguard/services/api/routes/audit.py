"""The tamper-evident event log: read it and verify its hash chain."""

from __future__ import annotations

from fastapi import APIRouter, Query

from mineguard.mine.roles import Permission
from mineguard.services.api.deps import UnitDep, require
from mineguard.services.api.schemas.audit import AuditEntryOut, AuditVerifyOut
from mineguard.services.audit import log as audit
from mineguard.services.storage.models import User

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])
View = require(Permission.VIEW_AUDIT)


@router.get("", response_model=list[AuditEntryOut])
def list_entries(
    unit: UnitDep,
    limit: int = Query(100, ge=1, le=5000),
    action: str | None = Query(None, max_length=64),
    user: User = View,
) -> list:
    return audit.recent(unit.session, limit, action)


@router.get("/verify", response_model=AuditVerifyOut)
def verify(unit: UnitDep, user: User = View) -> AuditVerifyOut:
    report = audit.verify(unit.session)  # with the service's key and checkpoint file
    return AuditVerifyOut(
        ok=report.ok,
        entries=report.entries,
        first_bad_seq=report.first_bad_seq,
        problem=report.problem,
        cause=report.cause,
        key_id=report.key_id,
        legacy_entries=report.legacy,
        anchors_checked=report.anchors,
        warnings=list(report.warnings),
    )
