"""Gateways: registration, configuration and the commands sent to them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field, StrictBool

from mineguard.services.api.schemas.common import In, Number, Out


class GatewayRegistrationOut(Out):
    gateway_id: str
    secret: str
    note: str = "store this secret on the gateway; it is not shown again"


class GatewayConfigIn(In):
    scan_window_s: Number | None = Field(default=None, gt=0, le=3600)
    latitude: Number | None = Field(default=None, ge=-90, le=90)
    longitude: Number | None = Field(default=None, ge=-180, le=180)
    altitude_m: Number | None = Field(default=None, ge=-5000, le=9000)
    data_destination: str | None = Field(default=None, pattern=r"^(mineguard|mqtt|mqtts|http|https)://\S{1,250}$")


class GatewayOut(Out):
    device_id: str
    registered_at: datetime
    registered_by: str
    scan_window_s: float
    latitude: float | None
    longitude: float | None
    altitude_m: float | None
    data_destination: str
    config_version: int
    last_seen_at: datetime | None


class CommandIn(In):
    command: str = Field(max_length=64)
    args: dict[str, Any] = Field(default_factory=dict)
    timeout_s: Number = Field(default=60.0, gt=0, le=86_400)


class CommandOut(Out):
    id: int
    gateway_id: str
    command: str
    args: dict[str, Any]
    status: str
    timeout_s: float
    created_by: str
    created_at: datetime
    delivered_at: datetime | None
    finished_at: datetime | None
    result: dict[str, Any] | None


class AckIn(In):
    ok: StrictBool
    result: dict[str, Any] = Field(default_factory=dict)
