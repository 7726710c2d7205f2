"""Alerts, their history, acknowledging and resolving."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from mineguard.services.api.schemas.common import In, Out


class AlertOut(Out):
    id: int
    key: str
    rule_id: str
    severity: str
    state: str
    title: str
    message: str
    zone_id: str | None
    subject_id: str | None
    evidence: dict[str, Any]
    condition_active: bool
    updates: int
    escalation_level: int
    next_escalation_at: datetime | None
    opened_at: datetime
    updated_at: datetime
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    resolved_by: str | None
    resolved_at: datetime | None
    resolution: str | None


class AlertEventOut(Out):
    t: datetime
    kind: str
    actor: str
    detail: dict[str, Any]


AckReason = Literal["true_alarm", "false_alarm", "maintenance", "test"]


class AckAlertIn(In):
    reason: AckReason | None = Field(
        default=None,
        description="why: true alarm, false alarm, maintenance or test (labels the risk model learns from)",
    )
    note: str | None = Field(default=None, max_length=1000)


class ResolveAlertIn(In):
    resolution: str = Field(min_length=3, max_length=300)
