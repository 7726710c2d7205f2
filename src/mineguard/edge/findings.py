"""Terrain change findings to a running MineGuard service, as the site's gateway sends them.

The same client as the camera box (:class:`mineguard.edge.sink.ServiceSink`): the before and
after map PNGs go once to ``POST /api/v1/evidence`` and every finding's event names them in
``attributes.evidence`` (``{"before": sha256, "after": sha256}``), then the events
(:func:`mineguard.terrain.events.finding_event`) go to ``POST /api/v1/events``. The service turns
each into the signal ``terrain.<kind>`` in the open-pit zone, and a site rule on that signal
raises the alert, which lists the two maps as its media. :func:`post_area_history` sends each
date's disturbed area (:func:`mineguard.terrain.events.area_event`): the twin's area history.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import httpx

from mineguard.edge.sink import ServiceSink
from mineguard.terrain.change import Finding
from mineguard.terrain.events import area_event, finding_event


@dataclass(frozen=True)
class PostReport:
    """What the service took: events accepted (or already stored), refused, and evidence files stored."""

    sent: int
    refused: int
    evidence: dict[str, str]


def post_findings(
    findings: Sequence[Finding],
    before_png: Path | str,
    after_png: Path | str,
    url: str,
    *,
    zone_id: str,
    site_id: str,
    gateway: str | None = None,
    secret: str | None = None,
    token: str | None = None,
    t: datetime | None = None,
    transport: httpx.BaseTransport | None = None,
) -> PostReport:
    """Post ``findings`` with the map PNGs as their evidence; raises when the service cannot be reached."""
    files = {}
    for name, path in (("before", Path(before_png)), ("after", Path(after_png))):
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such map picture — write the maps first")
        files[name] = path.read_bytes()
    sink = ServiceSink(url, gateway, secret, token=token, transport=transport)
    try:
        evidence = sink.upload(f"terrain maps of {site_id}", files) if findings else {}
        wires = [finding_event(f, zone_id=zone_id, site_id=site_id, t=t) for f in findings]
        for wire in wires:
            if evidence:
                wire["attributes"]["evidence"] = dict(evidence)
        if wires and not sink.post(wires):
            raise ValueError(f"the service at {url} cannot take the findings now — see the log above, then run again")
        return PostReport(sink.stats.sent, sink.stats.refused, evidence)
    finally:
        sink.close()


def post_area_history(
    history: Sequence[tuple[date | None, float]],
    url: str,
    *,
    threshold: float,
    zone_id: str,
    site_id: str,
    gateway: str | None = None,
    secret: str | None = None,
    token: str | None = None,
    transport: httpx.BaseTransport | None = None,
) -> PostReport:
    """Post the disturbed hectares of each dated map (undated ones cannot be placed in the history)."""
    wires = [
        area_event(day, hectares, threshold=threshold, zone_id=zone_id, site_id=site_id)
        for day, hectares in history
        if day is not None
    ]
    sink = ServiceSink(url, gateway, secret, token=token, transport=transport)
    try:
        if wires and not sink.post(wires):
            raise ValueError(
                f"the service at {url} cannot take the area history now — see the log above, then run again"
            )
        return PostReport(sink.stats.sent, sink.stats.refused, {})
    finally:
        sink.close()
