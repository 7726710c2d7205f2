"""A terrain change finding, and a date's disturbed area, as platform events.

The dict is the wire format of ``POST /api/v1/events`` (``mineguard.services.ingest.events``):
``source`` "terrain", ``label`` the finding's kind (``growth_beyond_permit`` or
``new_disturbed_patch``), ``value`` its hectares, the site's open-pit zone as ``zone_id``; the
dates, centroid and CRS go to ``attributes``. ``event_id`` is made from the site, the two dates,
the kind and the centroid, so posting the same findings again stores them once. The rule engine
sees the signal ``terrain.<label>`` in that zone; a site rule on it raises the alert. Built here
without importing the services, so the ML core stays free of web and database code.

:func:`area_event` is the twin's area history: one ``terrain.disturbed_area`` event per scene date,
at that date (midnight UTC, when the ground was seen), ``value`` the disturbed hectares at the
site's probability threshold; ``GET /api/v1/events?source=terrain&label=disturbed_area`` reads the
history back. Its ``event_id`` is the site, the date and the threshold, so a date mapped again
with the same threshold is stored once.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from mineguard.terrain.change import Finding


def finding_event(finding: Finding, *, zone_id: str, site_id: str, t: datetime | None = None) -> dict[str, Any]:
    """``finding`` as one event of ``POST /api/v1/events``, at ``t`` (default: now, the time it was found)."""
    when = (t or datetime.now(UTC)).astimezone(UTC)
    x, y = finding.centroid
    dates = f"{_day(finding.before)}-{_day(finding.after)}"
    return {
        "source": "terrain",
        "label": finding.kind,
        "t": when.isoformat(),
        "zone_id": zone_id,
        "value": round(float(finding.hectares), 4),
        "event_id": f"{site_id}:{dates}:{finding.kind}:{x:.0f},{y:.0f}"[:100],
        "attributes": {
            "hectares": round(float(finding.hectares), 4),
            "centroid": [round(x, 2), round(y, 2)],
            "crs": finding.crs,
            "before": finding.before.isoformat() if finding.before else None,
            "after": finding.after.isoformat() if finding.after else None,
        },
    }


def area_event(taken: date, hectares: float, *, threshold: float, zone_id: str, site_id: str) -> dict[str, Any]:
    """The disturbed area of the scene taken on ``taken`` as one event of ``POST /api/v1/events``."""
    return {
        "source": "terrain",
        "label": "disturbed_area",
        "t": datetime.combine(taken, time(0, 0), tzinfo=UTC).isoformat(),
        "zone_id": zone_id,
        "value": round(float(hectares), 4),
        "event_id": f"{site_id}:{_day(taken)}:disturbed_area:{threshold:g}"[:100],
        "attributes": {"hectares": round(float(hectares), 4), "threshold": threshold, "date": taken.isoformat()},
    }


def _day(day: object) -> str:
    return day.strftime("%Y%m%d") if day is not None else "undated"  # type: ignore[attr-defined]
