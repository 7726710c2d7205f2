"""Assets (people, machines) and their positions."""

from __future__ import annotations

from datetime import datetime

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
