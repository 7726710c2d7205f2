"""What the background jobs read back of the stored readings: commissioned sensors and recent history.

Small indexed queries (``ix_sensor_readings_device_t``, the live rows of ``devices``); the writes
are in :mod:`.store`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mineguard.services.storage.models import Device, SensorReading


def commissioned_sensors(session: Session) -> list[Device]:
    """Sensors that have reported at least once (a sensor that never did is not commissioned yet, not dead)."""
    return list(session.scalars(select(Device).where(Device.kind == "sensor", Device.updated_at.is_not(None))))


def newest_reading_time(session: Session) -> datetime | None:
    """The measurement time of the newest stored sensor reading (from the live rows, a small table)."""
    return session.scalar(select(func.max(Device.updated_at)).where(Device.kind == "sensor"))


def recent_flagged_readings(session: Session, device_id: str, since: datetime) -> list[tuple[datetime, float, int]]:
    """``(t, value, flags)`` of one sensor's stored readings from ``since`` on, oldest first (canonical unit)."""
    query = (
        select(SensorReading.t, SensorReading.value, SensorReading.flags)
        .where(SensorReading.device_id == device_id, SensorReading.t >= since)
        .order_by(SensorReading.t)
    )
    return [(t, value, flags) for t, value, flags in session.execute(query)]


def recent_readings(
    session: Session, device_id: str, since: datetime, *, without_flags: int = 0
) -> list[tuple[datetime, float]]:
    """``(t, value)`` of one sensor's stored readings from ``since`` on, oldest first (canonical unit);
    ``without_flags`` (a bitmask of cleansing flags) leaves out the readings that carry any of them."""
    query = select(SensorReading.t, SensorReading.value).where(
        SensorReading.device_id == device_id, SensorReading.t >= since
    )
    if without_flags:
        query = query.where(SensorReading.flags.op("&")(int(without_flags)) == 0)
    query = query.order_by(SensorReading.t)
    return [(t, value) for t, value in session.execute(query)]
