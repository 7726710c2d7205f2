"""People approaching danger, derived by the twin from tag positions (issue 14).

After each committed batch of tag fixes the twin derives, for the rule engine:

- ``danger.approach`` in every danger zone: the distance (m) from the zone's centre line
  (:meth:`ZoneGraph.distances_to`) to the nearest person with a live fix;
- for every machine whose newest ``running`` reading is 1 (:func:`.asset_state.running_machines`):
  ``<machine>.approach`` in the machine's zone, the distance (m) from the machine's position to
  the nearest person, and ``<machine>.closing``, that person's closing speed (m/s, > 0 while the
  person gets closer) between a reference fix and the current one.

Who counts is site data (:class:`~mineguard.mine.site.ProximityConfig`): a live fix is at
most ``max_fix_age_s`` old, a person beyond ``max_range_m`` is near nothing (no signal: the rules'
``max_age_s`` then lets a condition go), and the reference fix of a closing speed is the newest at
least ``min_fix_interval_s`` before the current one. The alarm distances and speeds are rules.

:func:`approach_signals` is the pure part (people, zones, machines in; signals out).
:class:`ApproachTracker` keeps each person's recent fixes in memory for the reference fix;
after a restart :func:`derive` falls back to the stored position history, so the first batch
already has closing speeds.
"""

from __future__ import annotations

import bisect
import math
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from mineguard.mine.graph import ZoneGraph
from mineguard.mine.site import ProximityConfig
from mineguard.services.storage.models import Asset, PositionRecord, Zone
from mineguard.services.twin.asset_state import PlacedMachine, running_machines

Xyz = tuple[float, float, float]


@dataclass(frozen=True)
class Fix:
    t: datetime
    xyz: Xyz


@dataclass(frozen=True)
class PersonFix:
    asset_id: str
    fix: Fix


@dataclass(frozen=True)
class TwinSignal:
    """One derived observation for the rule engine; ``source`` names the person behind it."""

    key: str
    t: datetime
    value: float
    zone_id: str | None
    source: str


def closing_speed(before: Fix, now: Fix, target: Xyz) -> float | None:
    """m/s at which the distance to ``target`` shrank from ``before`` to ``now`` (> 0: closer); None if
    no time passed."""
    dt = (now.t - before.t).total_seconds()
    if dt <= 0:
        return None
    return (math.dist(before.xyz, target) - math.dist(now.xyz, target)) / dt


Reference = Callable[[str, datetime], Fix | None]


def approach_signals(
    people: Sequence[PersonFix],
    danger_zones: Iterable[str],
    machines: Iterable[PlacedMachine],
    graph: ZoneGraph,
    config: ProximityConfig,
    t: datetime,
    reference: Reference = lambda asset_id, at: None,
) -> list[TwinSignal]:
    """The approach signals at ``t`` from the people's current fixes (see the module docstring).

    ``reference(asset_id, at)`` gives a person's fix at least ``min_fix_interval_s`` before ``at``.
    """
    oldest = t - timedelta(seconds=config.max_fix_age_s)
    live = [p for p in people if p.fix.t >= oldest]
    if not live:
        return []
    points = np.asarray([p.fix.xyz for p in live], dtype=float)
    out: list[TwinSignal] = []
    for zone_id in danger_zones:
        distances = graph.distances_to(zone_id, points)
        i = int(distances.argmin())
        if distances[i] <= config.max_range_m:
            out.append(TwinSignal("danger.approach", t, round(float(distances[i]), 2), zone_id, _source(live[i])))
    for machine in machines:
        distances = np.linalg.norm(points - np.asarray(machine.xyz, dtype=float), axis=1)
        i = int(distances.argmin())
        if distances[i] > config.max_range_m:
            continue
        person = live[i]
        key, source = machine.asset_id, _source(person)
        out.append(TwinSignal(f"{key}.approach", t, round(float(distances[i]), 2), machine.zone_id, source))
        before = reference(person.asset_id, person.fix.t)
        speed = closing_speed(before, person.fix, machine.xyz) if before is not None else None
        if speed is not None:
            out.append(TwinSignal(f"{key}.closing", t, round(speed, 3), machine.zone_id, source))
    return out


def _source(person: PersonFix) -> str:
    return f"twin:{person.asset_id}"


class ApproachTracker:
    """Each person's recent fixes (time order, at most ``max_fixes``, none older than ``max_fix_age_s``
    before the newest), to find the reference fix of a closing speed. Thread-safe."""

    def __init__(self, config: ProximityConfig | None = None, *, max_fixes: int = 64) -> None:
        self.config = config or ProximityConfig()
        self.max_fixes = max_fixes
        self._fixes: dict[str, list[Fix]] = {}
        self._lock = threading.Lock()

    def record(self, asset_id: str, fix: Fix) -> None:
        with self._lock:
            fixes = self._fixes.setdefault(asset_id, [])
            times = [f.t for f in fixes]
            if fix.t in times:
                return
            fixes.insert(bisect.bisect(times, fix.t), fix)
            keep_from = fixes[-1].t - timedelta(seconds=self.config.max_fix_age_s)
            while fixes and (fixes[0].t < keep_from or len(fixes) > self.max_fixes):
                fixes.pop(0)

    def reference(self, asset_id: str, at: datetime) -> Fix | None:
        """The newest fix at least ``min_fix_interval_s`` before ``at`` and at most ``max_fix_age_s`` before it."""
        latest = at - timedelta(seconds=self.config.min_fix_interval_s)
        earliest = at - timedelta(seconds=self.config.max_fix_age_s)
        with self._lock:
            for fix in reversed(self._fixes.get(asset_id, ())):
                if fix.t <= latest:
                    return fix if fix.t >= earliest else None
        return None


def live_people(session: Session, since: datetime) -> list[PersonFix]:
    """People whose live position is from ``since`` on (one query)."""
    query = select(Asset.id, Asset.updated_at, Asset.x, Asset.y, Asset.z).where(
        Asset.kind == "person", Asset.x.is_not(None), Asset.updated_at >= since
    )
    return [PersonFix(asset_id, Fix(t, (x, y, z))) for asset_id, t, x, y, z in session.execute(query)]


def danger_zones(session: Session) -> list[str]:
    return list(session.scalars(select(Zone.id).where(Zone.danger).order_by(Zone.id)))


def stored_reference(session: Session, tracker: ApproachTracker) -> Reference:
    """``tracker.reference``, else the person's stored fix in the same bounds (e.g. after a restart)."""
    config = tracker.config

    def reference(asset_id: str, at: datetime) -> Fix | None:
        found = tracker.reference(asset_id, at)
        if found is not None:
            return found
        row = session.execute(
            select(PositionRecord.t, PositionRecord.x, PositionRecord.y, PositionRecord.z)
            .where(PositionRecord.entity_kind == "asset", PositionRecord.entity_id == asset_id)
            .where(PositionRecord.t <= at - timedelta(seconds=config.min_fix_interval_s))
            .where(PositionRecord.t >= at - timedelta(seconds=config.max_fix_age_s))
            .order_by(PositionRecord.t.desc(), PositionRecord.id.desc())
            .limit(1)
        ).first()
        if row is None:
            return None
        t, x, y, z = row
        fix = Fix(t, (x, y, z))
        tracker.record(asset_id, fix)
        return fix

    return reference


def derive(session: Session, graph: ZoneGraph, tracker: ApproachTracker, t: datetime) -> list[TwinSignal]:
    """The approach signals at ``t`` from the stored twin: three small queries, plus one per running
    machine whose nearest person has no reference fix in memory."""
    config = tracker.config
    people = live_people(session, t - timedelta(seconds=config.max_fix_age_s))
    if not people:
        return []
    return approach_signals(
        people,
        danger_zones(session),
        running_machines(session),
        graph,
        config,
        t,
        stored_reference(session, tracker),
    )
