"""Personal tags: pairing with an asset, and the fixes a gateway reports for them."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field, StrictBool

from mineguard.services.api.schemas.common import In, Metres, Number, Out
from mineguard.services.timestamps import IsoTime


class PairIn(In):
    barcode: str = Field(pattern=r"^[0-9A-Za-z-]{4,64}$")
    asset_id: str = Field(max_length=64)
    force: StrictBool = False


# accelerometer samples need their rate (the route refuses them without it): said in the schema too, so a client
# generated from the OpenAPI document knows (found by fuzzing)
_ACCEL_NEEDS_RATE = {
    "if": {"properties": {"accel_g": {"type": "array"}}, "required": ["accel_g"]},
    "then": {"properties": {"rate_hz": {"type": "number"}}, "required": ["rate_hz"]},
}


class TagReadingIn(In):
    model_config = ConfigDict(extra="forbid", json_schema_extra=_ACCEL_NEEDS_RATE)

    barcode: str = Field(max_length=64)
    t: IsoTime
    x_m: Metres
    y_m: Metres
    z_m: Metres
    accel_g: (
        list[Annotated[list[Annotated[Number, Field(ge=-64, le=64)]], Field(min_length=3, max_length=3)]] | None
    ) = Field(default=None, max_length=6000)
    rate_hz: Number | None = Field(default=None, gt=0, le=1000)


class TagReadingsIn(In):
    readings: list[TagReadingIn] = Field(min_length=1, max_length=500)


class TagOutcomeOut(Out):
    barcode: str
    asset_id: str | None
    zone_id: str | None
    motion: str | None
    refused: str | None = Field(default=None, description="why this fix was refused (nothing of it applied)")
