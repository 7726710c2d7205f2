"""The forecasts the service made and how early its warnings came.

``GET /api/v1/forecasts`` lists the stored forecasts of the risk rounds (newest first), for one sensor
(``device_id``) or one zone (``zone_id``), with their 80 % and 95 % intervals; ``GET
/api/v1/warnings/lead-times`` measures, on the service's own alerts, how long before each alarm the early
warning came and how many warnings no alarm followed. Both for the roles that may read readings
(``view_crew``), like ``GET /api/v1/readings``.
"""

from __future__ import annotations

from fastapi import APIRouter, Query
from sqlalchemy import select

from mineguard.mine.roles import Permission
from mineguard.services.alerts.lead_times import measure_lead_times
from mineguard.services.api.batches import time_window
from mineguard.services.api.deps import UnitDep, require
from mineguard.services.api.errors import ApiError
from mineguard.services.api.responses import raises
from mineguard.services.api.routes.devices import visible_device
from mineguard.services.api.schemas.forecasts import LeadTimesOut, StoredForecastOut
from mineguard.services.auth.scope import visible_devices
from mineguard.services.storage.models import Device, Forecast, User, Zone
from mineguard.services.timestamps import IsoTime

router = APIRouter(prefix="/api/v1", tags=["forecasts"])
View = require(Permission.VIEW_CREW)


@router.get("/forecasts", response_model=list[StoredForecastOut], summary="Stored forecasts, newest first")
@raises(404)
def list_forecasts(
    unit: UnitDep,
    device_id: str | None = Query(None, min_length=1, max_length=64, description="one sensor's forecasts"),
    zone_id: str | None = Query(None, min_length=1, max_length=64, description="the forecasts of a zone's sensors"),
    start: IsoTime | None = Query(None, description="issued at or after (default: 12 h before end)"),
    end: IsoTime | None = Query(None, description="issued at or before (default: now)"),
    limit: int = Query(500, ge=1, le=10_000),
    user: User = View,
) -> list:
    start, end = time_window(start, end)
    query = select(Forecast).where(Forecast.issued_at >= start, Forecast.issued_at <= end)
    if device_id is not None:
        visible_device(unit.session, user, device_id)  # 404 for an unknown device, 403 outside the scope
        query = query.where(Forecast.device_id == device_id)
    if zone_id is not None:
        if unit.session.get(Zone, zone_id) is None:
            raise ApiError(404, f"zone_id: no zone {zone_id!r} — GET /api/v1/zones lists the zones")
        query = query.where(Forecast.zone_id == zone_id)
    visible = visible_devices(user).where(Device.kind == "sensor").with_only_columns(Device.id)
    query = query.where(Forecast.device_id.in_(visible))
    return list(unit.session.scalars(query.order_by(Forecast.issued_at.desc(), Forecast.id.desc()).limit(limit)))


@router.get("/warnings/lead-times", response_model=LeadTimesOut, summary="How long before the alarms the warnings came")
def lead_times(
    unit: UnitDep,
    start: IsoTime | None = Query(None, description="opened at or after (default: 12 h before end)"),
    end: IsoTime | None = Query(None, description="opened at or before (default: now)"),
    lookback_s: float = Query(1800.0, gt=0, le=86_400, description="how far before an alarm a warning counts"),
    user: User = View,
) -> dict:
    start, end = time_window(start, end)
    report = measure_lead_times(unit.session, start, end, lookback_s=lookback_s)
    return {
        "since": report.since,
        "until": report.until,
        "lookback_s": report.lookback_s,
        "alarms": [a.as_dict() for a in report.alarms],
        "warnings": [w.as_dict() for w in report.warnings],
    }
