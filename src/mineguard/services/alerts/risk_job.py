"""Early warning from a risk model: alert *before* a sensor reaches its limit (seed 003 §3.3).

Every ``period_s`` the job hands each commissioned sensor's readings of the model's window to a
:class:`~mineguard.warning.risk.RiskModel` (the ``trend`` baseline by default; the learned forecasters of
the early-warning issue plug in by name; the service passes the model ``served_models.ServedModels``
serves, guarded so a failing call falls back to ``trend``) with the sensor's lowest regulation limit for its zone
kind. When the probability of being past the limit at the horizon reaches ``raise_p`` while the
sensor is still inside it, a warning ``risk:<device>`` is raised, e.g.

    Methane 0.82 % in Longwall face 1101, rising 0.05 %/min; trend forecast: the 1.0 % limit in about
    4 min (p = 0.93 within 10 min) — increase ventilation at Longwall face 1101 and find the source

The action after the dash is the site's (``early_warning.actions`` of the site file, per sensor kind,
``mine/early_warning.py``); without one the warning says ``check <zone>``.

It updates while the probability stays above ``clear_p`` and resolves below it, or once the limit
is reached, or while an alarm naming the sensor's readings is on (the threshold rule's alert then speaks
for the sensor). The model sees the cleansed series
(readings flagged by the live cleansing are left out), and every assessment is also stored as the
sensor's forecast of the round, with its prediction intervals (``forecasts.record_forecast``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mineguard.mine.early_warning import EarlyWarningConfig
from mineguard.mine.rules.regulation import Severity, Threshold, defaults_for
from mineguard.services.alerts import book
from mineguard.services.alerts.forecasts import Z_80, Z_95, interval, record_forecast
from mineguard.services.alerts.lead_times import open_alarm_devices
from mineguard.services.alerts.policy import EscalationPolicy
from mineguard.services.ingest.history import commissioned_sensors, recent_readings
from mineguard.services.storage.models import Zone
from mineguard.warning.risk import RiskAssessment, RiskModel, get_risk_model
from mineguard.warning.risk.replay import next_active
from mineguard.warning.sensing.checks import BAD_FLAGS

LABELS = {  # how a sensor kind is written in a warning (no mine specifics; others are capitalised)
    "co": "CO",
    "o2": "O2",
    "roof_pressure": "Roof pressure",
    "wind_speed": "Wind speed",
}


def check_risk(
    sessions: sessionmaker[Session],
    now: datetime,
    *,
    model: RiskModel | None = None,
    raise_p: float = 0.8,
    clear_p: float = 0.3,
    policy: EscalationPolicy | None = None,
    model_label: str | None = None,
    by_kind: Mapping[str, tuple[RiskModel, str]] | None = None,
    texts: EarlyWarningConfig | None = None,
) -> list[book.AlertChange]:
    """One round (see the module text); ``model_label`` names the served model in the stored forecasts
    (e.g. ``risk v3``; default the model's name); ``by_kind`` (sensor kind -> (model, label)) judges those
    kinds with another model (the served forecast, ``ServedModels.risk_models``); ``texts`` is the site
    file's ``early_warning:`` section (default: none, every warning says ``check <zone>``)."""
    if not 0 < clear_p < raise_p <= 1:
        raise ValueError(f"need 0 < clear_p < raise_p <= 1, got clear_p={clear_p}, raise_p={raise_p}")
    default = (model or get_risk_model("trend"), model_label or (model.name if model else "trend"))
    texts = texts or EarlyWarningConfig()
    changes: list[book.AlertChange] = []
    with sessions() as session, session.begin():
        zones = {z.id: z for z in session.scalars(select(Zone))}
        in_alarm = open_alarm_devices(session)
        for device in commissioned_sensors(session):
            kind = device.sensor_kind or ""
            zone = zones.get(device.zone_id or "")
            first = judged_limit(kind, zone.kind if zone else None)
            if first is None:
                continue
            judge, label = (by_kind or {}).get(kind, default)
            since = now - timedelta(seconds=judge.window_s)
            rows = recent_readings(session, device.id, since, without_flags=int(BAD_FLAGS))  # the cleansed series
            if not rows:
                continue
            t = np.array([when.timestamp() for when, _ in rows])
            values = np.array([value for _, value in rows], dtype=float)
            risk = judge.assess(t, values, limit=first.value, op=first.op)
            if risk is None:
                continue
            record_forecast(session, device, risk, t=rows[-1][0], issued_at=now, model=label)
            key = f"risk:{device.id}"
            active = book.active_alert(session, key) is not None
            alarmed = device.id in in_alarm  # an alarm on the sensor speaks for it
            if alarmed or not next_active(active, risk, raise_p=raise_p, clear_p=clear_p):
                why = "limit reached" if risk.past_limit else f"risk {risk.probability:.2f} below {clear_p}"
                why = "an alarm on the sensor is on" if alarmed else why
                change = book.condition_cleared(session, key, now, why) if active else None
            else:
                name = zone.name if zone else (device.zone_id or "its area")
                change = book.raise_or_update(
                    session,
                    key=key,
                    rule_id=f"risk.{kind}",
                    severity=Severity.WARNING,
                    t=now,
                    zone_id=device.zone_id,
                    subject_id=device.id,
                    title=f"{LABELS.get(kind, kind.capitalize())} heading for its limit in {name}",
                    message=describe(kind, name, first.unit, risk, texts.risk_action(kind, name)),
                    policy=policy or EscalationPolicy(),
                    evidence={
                        "model": risk.model,
                        "value": risk.value,
                        "rate_per_min": risk.rate_per_min,
                        "limit": risk.limit,
                        "limit_level": first.level.value,
                        "limit_source": first.source,
                        "predicted": risk.predicted,
                        "predicted_sd": risk.predicted_sd,
                        "interval_80": list(interval(risk.predicted, risk.predicted_sd, Z_80)),
                        "interval_95": list(interval(risk.predicted, risk.predicted_sd, Z_95)),
                        "probability": risk.probability,
                        "horizon_s": risk.horizon_s,
                        "minutes_to_limit": risk.minutes_to_limit,
                    },
                )
            if change is not None:
                changes.append(change)
    return changes


def judged_limit(kind: str, zone_kind: str | None) -> Threshold | None:
    """The lowest regulation level the risk model judges a sensor against; None when the kind has no limit, or
    both a maximum and a minimum (those are judged by the threshold rules alone)."""
    levels = defaults_for(kind, zone_kind)
    if not levels or len({lv.op for lv in levels}) > 1:
        return None
    return levels[0]


def describe(kind: str, zone_name: str, unit: str, risk: RiskAssessment, action: str) -> str:
    """The warning's message: the reading, its trend, the forecast and ``action`` (the site's, filled in)."""
    label = LABELS.get(kind, kind.capitalize())
    way = "rising" if risk.rate_per_min >= 0 else "falling"
    minutes = risk.minutes_to_limit
    when = "" if minutes is None else " within a minute" if minutes < 1 else f" in about {minutes:.0f} min"
    return (
        f"{label} {risk.value:.3g} {unit} in {zone_name}, {way} {abs(risk.rate_per_min):.2g} {unit}/min; "
        f"{risk.model} forecast: the {risk.limit:g} {unit} limit{when} (p = {risk.probability:.2f} within "
        f"{risk.horizon_s / 60:.0f} min) — {action}"
    )
