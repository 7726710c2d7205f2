"""The rescue list: everyone underground now, by zone, with the way to the nearest refuge chamber."""

from __future__ import annotations

from datetime import datetime

from mineguard.services.api.schemas.common import Out

HIDDEN_NAME = "(not in your scope)"  # what the CSV and PDF print for a person outside the viewer's scope


class RefugeOut(Out):
    zone_id: str
    name: str
    route: list[str]  # zone ids from where the person was last seen to the refuge, both included
    hops: int


class RescuePersonOut(Out):
    """One person underground; who is outside the viewer's scope is counted with no name, id or position."""

    person_id: str | None
    name: str | None
    crew: str | None
    zone_id: str | None
    zone_name: str | None
    last_seen: datetime | None
    position: list[float] | None  # metres, mine grid
    since: datetime | None
    due_out: datetime | None
    mismatches: list[str]
    refuge: RefugeOut | None


class ZoneCountOut(Out):
    zone_id: str | None
    zone_name: str | None
    count: int


class RescueListOut(Out):
    at: datetime
    total: int
    hidden: int  # people underground outside the viewer's scope (counted, not named)
    zones: list[ZoneCountOut]
    people: list[RescuePersonOut]
