"""Sensors for the control room: per zone, each with its latest value and the threshold lines that judge it.

``GET /api/v1/sensors`` lists the site's sensors (``zone_id`` narrows it to one zone) with the levels of
every threshold rule the alert pipeline runs for them *now* (the current rule version, edits included);
``GET /api/v1/sensors/{id}/forecast`` runs the service's risk model on the sensor's cleansed readings.
Both are for the roles that may read readings (``view_crew``), like ``GET /api/v1/readings``.
The forecast is computed on request from the current readings; the risk job's stored forecasts of each round
are ``GET /api/v1/forecasts`` (``routes/forecasts.py``).
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
from fastapi import APIRouter, Query
from sqlalchemy import select

from mineguard.mine.roles import Permission
from mineguard.mine.rules.config import ThresholdRule
from mineguard.mine.rules.regulation import Severity
from mineguard.services.alerts.forecasts import Z_80, Z_95, interval, is_finite
from mineguard.services.alerts.pipeline import AlertPipeline
from mineguard.services.api.deps import Unit, UnitDep, require
from mineguard.services.api.errors import ApiError
from mineguard.services.api.responses import raises
from mineguard.services.api.routes.devices import visible_device
from mineguard.services.api.schemas.sensors import ForecastOut, SensorForecastOut, SensorOut, ThresholdLineOut
from mineguard.services.auth.scope import visible_devices
from mineguard.services.ingest.history import recent_readings
from mineguard.services.storage.models import Device, User, Zone
from mineguard.services.storage.types import utc_now
from mineguard.warning.sensing.checks import BAD_FLAGS

router = APIRouter(prefix="/api/v1/sensors", tags=["sensors"])
View = require(Permission.VIEW_CREW)


def _pipeline(unit: Unit) -> AlertPipeline:
    if unit.ctx.pipeline is None:
        raise ApiError(503, "the alert pipeline is not running yet — try again once the service has started")
    return unit.ctx.pipeline


def threshold_lines(pipeline: AlertPipeline, device: Device) -> list[ThresholdLineOut]:
    """The levels of the running threshold rules that judge ``device``'s readings, lowest severity first."""
    kind = device.sensor_kind or ""
    signals = {kind, f"{device.asset_id}.{kind}"} if device.asset_id else {kind}
    zone_kinds = pipeline.site.zone_kinds
    lines = [
        ThresholdLineOut(
            rule_id=rule.id,
            signal=rule.kind,
            severity=level.severity.value,
            op=rule.op,
            threshold=level.threshold,
            source=level.source,
        )
        for rule in pipeline.engine.rules
        if isinstance(rule, ThresholdRule) and rule.kind in signals and rule.covers(device.zone_id, zone_kinds)
        for level in rule.levels
    ]
    return sorted(lines, key=lambda line: Severity(line.severity).rank)


def _sensor_out(device: Device, zone_names: dict[str, str], pipeline: AlertPipeline) -> SensorOut:
    state = device.state or {}
    latest = None
    if "value" in state and "t" in state:
        latest = {"t": state["t"], "value": state["value"], "unit": state.get("unit", device.unit), "seq": state["seq"]}
        latest["flags"] = state.get("flags", 0)
    return SensorOut(
        id=device.id,
        sensor_kind=device.sensor_kind or "",
        unit=device.unit,
        zone_id=device.zone_id,
        zone_name=zone_names.get(device.zone_id or ""),
        asset_id=device.asset_id,
        latest=latest,
        thresholds=threshold_lines(pipeline, device),
        rules_version=pipeline.version,
    )


@router.get("", response_model=list[SensorOut], summary="Sensors (by zone) with their latest value and threshold lines")
@raises(404, 503)  # 404: zone_id names no zone
def list_sensors(
    unit: UnitDep,
    zone_id: str | None = Query(None, min_length=1, max_length=64, description="only the sensors of this zone"),
    user: User = View,
) -> list[SensorOut]:
    pipeline = _pipeline(unit)
    zone_names = {zone.id: zone.name for zone in unit.session.scalars(select(Zone))}
    if zone_id is not None and zone_id not in zone_names:
        raise ApiError(404, f"zone_id: no zone {zone_id!r} — GET /api/v1/zones lists the zones")
    query = visible_devices(user).where(Device.kind == "sensor")
    if zone_id is not None:
        query = query.where(Device.zone_id == zone_id)
    devices = sorted(unit.session.scalars(query), key=lambda d: (d.zone_id or "", d.id))
    return [_sensor_out(device, zone_names, pipeline) for device in devices]


def next_level(lines: list[ThresholdLineOut], value: float) -> ThresholdLineOut:
    """The first line (lowest severity first) ``value`` is not past yet; the last one when it is past them all."""
    ahead = [line for line in lines if not (value >= line.threshold if line.op == ">=" else value <= line.threshold)]
    return ahead[0] if ahead else lines[-1]


@router.get("/{device_id}/forecast", response_model=SensorForecastOut, summary="The risk model's forecast")
@raises(503)
def forecast(device_id: str, unit: UnitDep, user: User = View) -> SensorForecastOut:
    device = visible_device(unit.session, user, device_id)
    if device.kind != "sensor":
        raise ApiError(404, f"{device_id} is a {device.kind}, not a sensor — GET /api/v1/sensors lists the sensors")
    # the registry's active version (with its fall-back) once the service runs, else the setting's model
    model = unit.ctx.served.risk_model()[0] if unit.ctx.served is not None else unit.ctx.risk_model
    lines = threshold_lines(_pipeline(unit), device)
    if model is None:
        return SensorForecastOut(device_id=device_id, forecast=None, reason="no risk model is loaded")
    if not lines:
        return SensorForecastOut(device_id=device_id, forecast=None, reason="no threshold judges this sensor")
    since = utc_now() - timedelta(seconds=model.window_s)
    rows = recent_readings(unit.session, device_id, since, without_flags=int(BAD_FLAGS))
    risk = None
    if rows:
        limit = next_level(lines, rows[-1][1])
        t = np.array([when.timestamp() for when, _ in rows])
        risk = model.assess(t, np.array([value for _, value in rows], dtype=float), limit=limit.threshold, op=limit.op)  # type: ignore[arg-type]
    if risk is not None and not is_finite(risk):
        return SensorForecastOut(
            device_id=device_id, forecast=None, reason=f"the {model.name} model gave no usable numbers"
        )
    if risk is None:
        reason = f"too little cleansed history in the last {model.window_s / 60:g} min for the {model.name} model"
        return SensorForecastOut(device_id=device_id, forecast=None, reason=reason)
    out = ForecastOut(
        model=risk.model,
        t=rows[-1][0],
        value=risk.value,
        horizon_s=risk.horizon_s,
        predicted=risk.predicted,
        predicted_sd=risk.predicted_sd,
        interval_80=interval(risk.predicted, risk.predicted_sd, Z_80),
        interval_95=interval(risk.predicted, risk.predicted_sd, Z_95),
        rate_per_min=risk.rate_per_min,
        limit=risk.limit,
        limit_severity=limit.severity,
        op=risk.op,
        probability=risk.probability,
        minutes_to_limit=risk.minutes_to_limit,
    )
    return SensorForecastOut(device_id=device_id, forecast=out, reason=None)
