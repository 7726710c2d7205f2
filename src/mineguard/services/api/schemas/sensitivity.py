"""Motion-sensitivity limits, each value with its unit."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from mineguard.services.api.schemas.common import In, Number


class QuantityIn(In):
    key: Literal["noise_g", "freefall_g", "fall_impact_g", "fall_still_s", "faint_still_s"]
    value: Number
    unit: str = Field(max_length=16)


class SensitivityIn(In):
    changes: list[QuantityIn] = Field(min_length=1, max_length=20)
