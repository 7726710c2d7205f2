"""Stored forecasts and the early warnings' lead times, as the API returns them.

A :class:`StoredForecastOut` is one risk round's forecast of one sensor (``services/alerts/forecasts.py``):
the value expected ``horizon_s`` after ``t`` with its 80 % and 95 % prediction intervals. A
:class:`LeadTimesOut` compares the early warnings with the alarms that followed them
(``services/alerts/lead_times.py``).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from mineguard.services.api.schemas.common import Out


class StoredForecastOut(Out):
    id: int
    device_id: str
    zone_id: str | None
    sensor_kind: str
    model: str = Field(description="the served model that made it")
    issued_at: datetime = Field(description="the risk round that made it")
    t: datetime = Field(description="time of the latest cleansed reading it starts from")
    value: float
    horizon_s: float
    predicted: float = Field(description="expected value at t + horizon_s, in the sensor's canonical unit")
    lower_80: float
    upper_80: float
    lower_95: float
    upper_95: float
    limit: float
    op: str = Field(description=">= (a maximum) or <= (a minimum)")
    probability: float = Field(description="P(past the limit at the horizon)")
    minutes_to_limit: float | None


class AlarmLeadsOut(Out):
    rule_id: str
    alarms: int
    warned: int = Field(description="alarms an early warning on one of their sensors came before")
    unwarned: int
    median_lead_s: float | None
    min_lead_s: float | None
    max_lead_s: float | None


class WarningOutcomesOut(Out):
    rule_id: str
    warnings: int
    followed_by_alarm: int
    false_alarms: int = Field(description="cleared with no alarm on the sensor within the lookback")
    open: int


class LeadTimesOut(Out):
    since: datetime
    until: datetime
    lookback_s: float
    alarms: list[AlarmLeadsOut] = Field(description="per alarm rule, the lead times of the warnings before them")
    warnings: list[WarningOutcomesOut] = Field(description="per warning rule, what became of the warnings")
