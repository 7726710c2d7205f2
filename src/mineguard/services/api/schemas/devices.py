"""Devices: sensors, tags, cameras as the twin tracks them."""

from __future__ import annotations

from pydantic import Field

from mineguard.services.api.schemas.common import TrackedOut


class DeviceOut(TrackedOut):
    sensor_kind: str | None
    unit: str | None
    barcode: str | None
    paired_asset_id: str | None
    asset_id: str | None = Field(description="the machine the sensor is mounted on (its readings are its state)")
