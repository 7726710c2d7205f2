"""The forecasts a risk round makes, kept so the control room can draw them and compare them with what happened.

Every round of the risk job (``risk_job.check_risk``) assesses each commissioned sensor with the served
risk model; :func:`record_forecast` stores that assessment as one :class:`~mineguard.services.storage.models.Forecast`
row: the expected value ``horizon_s`` after the latest cleansed reading and its 80 % and 95 % prediction
intervals, from the model's normal approximation (``predicted ± z · predicted_sd``, z = 1.2816 and 1.9600).
A model answer that is not finite is not stored (the job reports the model as broken instead).
:func:`prune_forecasts` keeps ``forecast_retention_h`` hours of them.
"""

from __future__ import annotations

import math
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.orm import Session

from mineguard.services.storage.models import Device, Forecast
from mineguard.warning.risk import RiskAssessment

Z_80 = 1.2816  # Phi^-1(0.90): the central 80 % interval
Z_95 = 1.9600  # Phi^-1(0.975): the central 95 % interval


def interval(predicted: float, sd: float, z: float) -> tuple[float, float]:
    """``(predicted - z sd, predicted + z sd)``: the central interval of a normal forecast."""
    if sd < 0:
        raise ValueError(f"a standard deviation cannot be negative, got {sd}")
    return predicted - z * sd, predicted + z * sd


def is_finite(risk: RiskAssessment) -> bool:
    """Whether every number of the assessment that gets stored or shown is finite."""
    numbers = (risk.value, risk.predicted, risk.predicted_sd, risk.probability, risk.rate_per_min, risk.limit)
    minutes = risk.minutes_to_limit
    return all(math.isfinite(x) for x in numbers) and (minutes is None or math.isfinite(minutes))


def record_forecast(
    session: Session, device: Device, risk: RiskAssessment, *, t: datetime, issued_at: datetime, model: str
) -> Forecast | None:
    """Store ``risk`` (assessed from readings up to ``t``) as ``device``'s forecast of the round at ``issued_at``;
    None, and nothing stored, when the model's numbers are not all finite."""
    if not is_finite(risk):
        return None
    lower_80, upper_80 = interval(risk.predicted, risk.predicted_sd, Z_80)
    lower_95, upper_95 = interval(risk.predicted, risk.predicted_sd, Z_95)
    row = Forecast(
        device_id=device.id,
        zone_id=device.zone_id,
        sensor_kind=device.sensor_kind or "",
        model=model,
        issued_at=issued_at,
        t=t,
        value=risk.value,
        horizon_s=risk.horizon_s,
        predicted=risk.predicted,
        lower_80=lower_80,
        upper_80=upper_80,
        lower_95=lower_95,
        upper_95=upper_95,
        limit=risk.limit,
        op=risk.op,
        probability=risk.probability,
        minutes_to_limit=risk.minutes_to_limit,
    )
    session.add(row)
    return row


def prune_forecasts(session: Session, before: datetime) -> int:
    """Delete the forecasts issued before ``before``; how many went."""
    result = session.execute(delete(Forecast).where(Forecast.issued_at < before))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
