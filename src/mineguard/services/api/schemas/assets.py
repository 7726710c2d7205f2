"""Assets (people, machines), their positions, and a machine's state from its sensors."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from mineguard.services.api.schemas.common import In, Metres, Out, TrackedOut
from mineguard.services.timestamps import IsoTime


class AssetOut(TrackedOut):
    name: str
    crew: str | None


class PositionIn(In):
    t: IsoTime
    x_m: Metres
    y_m: Metres
    z_m: Metres


class PositionOut(Out):
    t: datetime
    x: float
    y: float
    z: float
    zone_id: str | None
    source: str


class KindStateOut(Out):
    value: float
    unit: str
    t: datetime
    device_id: str


class AssetStateOut(Out):
    asset_id: str
    state: dict[str, KindStateOut] = Field(
        description="sensor kind -> the newest reading of that kind among the sensors mounted on the asset "
        "(running: 1 = running, 0 = stopped)"
    )
