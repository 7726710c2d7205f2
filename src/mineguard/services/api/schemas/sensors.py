"""Sensors as the control room reads them: the latest value, the threshold lines that judge them, a forecast.

A :class:`ThresholdLineOut` is one level of a threshold rule the alert pipeline runs for the sensor
(its kind in its zone, or ``<asset>.<kind>`` for a sensor mounted on a machine), in the sensor's
canonical unit, with the regulation article or ``ENGINEERING DEFAULT`` it came from when the site
file says so. :class:`ForecastOut` is the service's risk model (``risk_model`` setting) run on the
sensor's cleansed readings of its window: the expected value at the horizon and its spread.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from mineguard.services.api.schemas.common import Out
from mineguard.services.api.schemas.readings import FlagNames


class LatestOut(Out):
    t: datetime
    value: float
    unit: str
    seq: int
    flags: FlagNames


class ThresholdLineOut(Out):
    rule_id: str
    signal: str = Field(description="the signal the rule watches: the sensor kind, or <asset>.<kind>")
    severity: str
    op: str = Field(description=">= (a maximum) or <= (a minimum)")
    threshold: float = Field(description="in the sensor's canonical unit")
    source: str | None = Field(description="regulation article or ENGINEERING DEFAULT; null when not given")


class SensorOut(Out):
    id: str
    sensor_kind: str
    unit: str | None
    zone_id: str | None
    zone_name: str | None
    asset_id: str | None
    latest: LatestOut | None = Field(description="the newest stored reading; null before the first")
    thresholds: list[ThresholdLineOut] = Field(description="lowest severity first; empty when no rule judges it")
    rules_version: int | None = Field(description="the rule-set version the lines come from")


class ForecastOut(Out):
    model: str
    t: datetime = Field(description="time of the latest cleansed reading the forecast starts from")
    value: float
    horizon_s: float
    predicted: float = Field(description="expected value at t + horizon_s")
    predicted_sd: float = Field(description="its standard deviation (the model's uncertainty)")
    interval_80: tuple[float, float] = Field(description="the central 80 % prediction interval at the horizon")
    interval_95: tuple[float, float] = Field(description="the central 95 % prediction interval at the horizon")
    rate_per_min: float
    limit: float = Field(description="the next threshold line: the first the latest value is not past (else the last)")
    limit_severity: str
    op: str
    probability: float = Field(description="P(past the limit at the horizon)")
    minutes_to_limit: float | None


class SensorForecastOut(Out):
    device_id: str
    forecast: ForecastOut | None
    reason: str | None = Field(description="why there is no forecast (no threshold, too little history)")
