"""A terrain change finding as a platform event.

The dict is the wire format of ``POST /api/v1/events`` (``mineguard.services.ingest.events``):
``source`` "terrain", ``label`` the finding's kind (``growth_beyond_permit`` or
``new_disturbed_patch``), ``value`` its hectares, the site's open-pit zone as ``zone_id``; the
dates, centroid and CRS go to ``attributes``. ``event_id`` is made from the site, the two dates,
the kind and the centroid, so posting the same findings again stores them once. The rule engine
sees the signal ``terrain.<label>`` in that zone; a site rule on it raises the alert. Built here
without importing the services, so the ML core stays free of web and database code.
"""

from __future__ import annotations

from datetime import UTC, datetime
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


def _day(day: object) -> str:
    return day.strftime("%Y%m%d") if day is not None else "undated"  # type: ignore[attr-defined]
