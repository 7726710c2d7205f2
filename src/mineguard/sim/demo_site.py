"""The demo's per-run copy of the site file, whose shifts are one short "demo" shift.

Shifts are wall-clock local times in the site file, so a shift that ends during a demo run has to
be written for that run: :func:`with_demo_shift` replaces the site's ``shifts:`` with one shift of
the scenario file's ``demo_shift`` crews that began ``lead_s`` before ``start`` and ends
``ends_s / speed`` wall seconds after it (``ends_s`` is simulated time). ``mineguard demo`` serves
the platform on that copy, the way it picks a fresh database; the simulated mine stays a client
and reads the same copy as the site's shifts (its ground truth for "overdue"). The site's other
crews have no shift in the copy, so nobody else can be overdue during the demo.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from mineguard.sim.script import DemoShift

DEMO_SHIFT_NAME = "demo"


def with_demo_shift(site: dict, shift: DemoShift, *, start: datetime, speed: float, lead_s: float = 3600.0) -> dict:
    """A copy of site data (as read from YAML) with ``shifts`` = the demo shift; ``start`` is aware."""
    if speed <= 0:
        raise ValueError(f"speed must be > 0, got {speed:g}")
    local = start.astimezone(ZoneInfo(site.get("timezone") or "UTC"))
    begin = (local - timedelta(seconds=lead_s)).time().replace(microsecond=0)
    end = (local + timedelta(seconds=shift.ends_s / speed)).time().replace(microsecond=0)
    demo = {
        "name": DEMO_SHIFT_NAME,
        "start": begin.isoformat(),
        "end": end.isoformat(),
        "grace_minutes": shift.grace_minutes,
        "crews": list(shift.crews),
    }
    return {**site, "shifts": [demo]}


def write_demo_site(site_text: str, shift: DemoShift, folder: Path, *, start: datetime, speed: float) -> Path:
    """``site_text`` (a site file's YAML) with the demo shift, written to ``folder``; its path."""
    data = yaml.safe_load(site_text)
    path = folder / "demo-site.yaml"
    path.write_text(yaml.safe_dump(with_demo_shift(data, shift, start=start, speed=speed), sort_keys=False), "utf-8")
    return path
