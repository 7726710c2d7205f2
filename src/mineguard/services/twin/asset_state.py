"""A machine's state is the readings of the sensors mounted on it (``devices.asset_id``).

There is one home for it: the sensors' live rows (``devices.state``, the newest reading, kept by
ingest) and their stored readings (``sensor_readings``). Nothing is copied into the asset's own
row: its state per sensor kind is read from its sensors' live state, and its history from their
readings, so a restart, a late reading or a re-sent one can never leave two answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mineguard.services.storage.models import Asset, Device, SensorReading
from mineguard.services.twin.tracking import get_entity

RUNNING = "running"


@dataclass(frozen=True)
class KindState:
    """The newest reading of one sensor kind on an asset (canonical unit)."""

    kind: str
    value: float
    unit: str
    t: datetime
    device_id: str


def mounted_sensors(session: Session, asset_id: str) -> list[Device]:
    """The sensors mounted on ``asset_id``, by id; raises NotFound for an unknown asset."""
    get_entity(session, "asset", asset_id)
    return list(session.scalars(select(Device).where(Device.asset_id == asset_id).order_by(Device.id)))


def _newest(device: Device) -> KindState | None:
    live = device.state or {}
    if device.updated_at is None or "value" not in live:
        return None  # never reported
    return KindState(
        device.sensor_kind or "", float(live["value"]), str(live.get("unit", "")), device.updated_at, device.id
    )


def asset_state(session: Session, asset_id: str) -> dict[str, KindState]:
    """Sensor kind -> the newest reading of that kind among the asset's sensors (kinds never reported are absent)."""
    state: dict[str, KindState] = {}
    for device in mounted_sensors(session, asset_id):
        newest = _newest(device)
        if newest is not None and (newest.kind not in state or newest.t > state[newest.kind].t):
            state[newest.kind] = newest
    return dict(sorted(state.items()))


def state_history(
    session: Session, asset_id: str, start: datetime, end: datetime, *, kind: str | None = None, limit: int = 10_000
) -> list[SensorReading]:
    """The readings of the asset's sensors (of ``kind`` when given) in [start, end], oldest first."""
    if end < start:
        raise ValueError(f"end {end.isoformat()} is before start {start.isoformat()} — swap them")
    devices = [d.id for d in mounted_sensors(session, asset_id) if kind is None or d.sensor_kind == kind]
    if not devices:
        return []
    query = (
        select(SensorReading)
        .where(SensorReading.device_id.in_(devices), SensorReading.t >= start, SensorReading.t <= end)
        .order_by(SensorReading.t, SensorReading.id)
        .limit(limit)
    )
    return list(session.scalars(query))


@dataclass(frozen=True)
class PlacedMachine:
    """A machine whose newest run-state reading says it runs, with its live position and zone."""

    asset_id: str
    zone_id: str | None
    xyz: tuple[float, float, float]


def running_machines(session: Session) -> list[PlacedMachine]:
    """Machines with a position whose newest ``running`` reading is 1 (one query over their run sensors).

    Read from the run sensors' live rows, which ingest keeps current in the same transaction as the
    reading: right after a restart, and whichever process stored the reading. A run sensor that has
    gone silent keeps its last value: a machine last seen running counts as running (the safe side);
    sensor health reports the silence.
    """
    query = (
        select(Device.asset_id, Device.state, Device.updated_at, Asset.zone_id, Asset.x, Asset.y, Asset.z)
        .join(Asset, Asset.id == Device.asset_id)
        .where(Device.sensor_kind == RUNNING, Device.updated_at.is_not(None), Asset.x.is_not(None))
        .order_by(Device.asset_id, Device.updated_at.desc())
    )
    machines: dict[str, PlacedMachine | None] = {}
    for asset_id, live, _, zone_id, x, y, z in session.execute(query):
        if asset_id in machines:
            continue  # an older run sensor of a machine already decided by its newest one
        running = float((live or {}).get("value", 0.0)) >= 0.5
        machines[asset_id] = PlacedMachine(asset_id, zone_id, (x, y, z)) if running else None
    return [machine for machine in machines.values() if machine is not None]
