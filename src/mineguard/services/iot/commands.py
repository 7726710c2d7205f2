"""Execution service: commands queued to a gateway, delivered when it polls, then acknowledged,
failed or timed out (``timeout_s`` after queueing without an acknowledgement). The rows are the
command history.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from mineguard.services.storage.models import Gateway, GatewayCommand
from mineguard.services.storage.types import utc_now
from mineguard.services.twin.tracking import NotFound


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NoArgs(_Args):
    pass


class PushConfigArgs(_Args):
    config_version: int = Field(ge=1)


class SoundAlarmArgs(_Args):
    seconds: float = Field(default=30.0, gt=0, le=600)
    pattern: str = Field(default="evacuate", pattern="^(evacuate|attention|test)$")


class SetScanWindowArgs(_Args):
    scan_window_s: float = Field(gt=0, le=3600)


COMMANDS: dict[str, type[_Args]] = {
    "reboot": NoArgs,
    "rescan": NoArgs,
    "push_config": PushConfigArgs,
    "sound_alarm": SoundAlarmArgs,
    "set_scan_window": SetScanWindowArgs,
}
FINAL = ("acknowledged", "failed", "timed_out")


class CommandError(ValueError):
    """A command that cannot be queued or acknowledged; the message says why."""


def queue_command(
    session: Session,
    gateway: Gateway,
    command: str,
    args: dict[str, Any] | None = None,
    *,
    actor: str,
    timeout_s: float = 60.0,
) -> GatewayCommand:
    if command not in COMMANDS:
        raise CommandError(f"unknown command {command!r} — use one of {', '.join(COMMANDS)}")
    try:
        checked = COMMANDS[command].model_validate(args or {})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'args'}: {e['msg']}" for e in exc.errors())
        raise CommandError(f"bad arguments for {command}: {problems}") from None
    row = GatewayCommand(
        gateway_id=gateway.device_id,
        command=command,
        args=checked.model_dump(),
        timeout_s=timeout_s,
        created_by=actor,
        status="queued",
        created_at=utc_now(),
    )
    session.add(row)
    session.flush()
    return row


def expire_commands(session: Session, gateway_id: str) -> list[GatewayCommand]:
    now = utc_now()
    expired = []
    for row in session.scalars(
        select(GatewayCommand).where(
            GatewayCommand.gateway_id == gateway_id, GatewayCommand.status.in_(("queued", "delivered"))
        )
    ):
        if row.created_at + timedelta(seconds=row.timeout_s) < now:
            row.status, row.finished_at = "timed_out", now
            expired.append(row)
    return expired


def deliver_commands(session: Session, gateway: Gateway, limit: int = 50) -> list[GatewayCommand]:
    """Commands for a polling gateway, oldest first; they become ``delivered``."""
    expire_commands(session, gateway.device_id)
    rows = list(
        session.scalars(
            select(GatewayCommand)
            .where(GatewayCommand.gateway_id == gateway.device_id, GatewayCommand.status == "queued")
            .order_by(GatewayCommand.id)
            .limit(limit)
        )
    )
    now = utc_now()
    for row in rows:
        row.status, row.delivered_at = "delivered", now
    session.flush()
    return rows


def acknowledge(
    session: Session, gateway: Gateway, command_id: int, *, ok: bool, result: dict[str, Any] | None = None
) -> GatewayCommand:
    expire_commands(session, gateway.device_id)
    row = session.get(GatewayCommand, command_id)
    if row is None or row.gateway_id != gateway.device_id:
        raise NotFound(f"command {command_id} was not sent to gateway {gateway.device_id!r}")
    if row.status in FINAL:
        raise CommandError(f"command {command_id} is already {row.status} — it cannot be acknowledged again")
    if row.status == "queued":
        raise CommandError(f"command {command_id} has not been delivered yet — poll for commands first")
    row.status, row.finished_at, row.result = ("acknowledged" if ok else "failed"), utc_now(), result or {}
    session.flush()
    return row


def command_history(session: Session, gateway_id: str, limit: int = 200) -> list[GatewayCommand]:
    expire_commands(session, gateway_id)
    query = select(GatewayCommand).where(GatewayCommand.gateway_id == gateway_id)
    return list(session.scalars(query.order_by(GatewayCommand.id.desc()).limit(limit)))
