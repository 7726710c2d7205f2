"""Who is underground: one person's presence from gate passages and tag fixes, and what disagrees.

Two kinds of evidence arrive through the platform: a face identified at a check-in gate with a
``direction`` ("in": going underground, "out": coming up), and the fixes of the tag the person
wears. :func:`judge` reconciles them, with known answers:

- underground when the latest gate passage is "in"; with no passage (in the look-back), when the
  latest tag fix lies in an underground zone (a zone without ``surface: true`` in the site file);
- ``tag_left_behind``: the face went out, the tag is still underground (a newer fix there, or no
  fix on the surface within ``tag_grace_s`` of the passage) — left behind or lent;
- ``no_tag``: the face went in and no tag fix came within ``tag_grace_s`` — not tracked underground;
- ``no_gate_passage``: the tag is underground and the face never passed the gate;
- ``not_accounted_for``: still underground at the end of their shift plus its grace (``shifts.py``).

The site file's ``headcount:`` section (:class:`HeadcountConfig`) names the gates, the grace and
the alert texts, one per mismatch, with ``{name}``, ``{person}``, ``{zone}`` and ``{due}``.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from mineguard.mine.rules.regulation import Severity
from mineguard.mine.shifts import ShiftConfig, due_out

Direction = Literal["in", "out"]
DIRECTIONS: tuple[Direction, ...] = ("in", "out")
TEXT_FIELDS = frozenset({"name", "person", "zone", "due"})
TRAIL_LENGTH = 10  # newest pieces of evidence an alert and the rescue list carry


class Mismatch(StrEnum):
    TAG_LEFT_BEHIND = "tag_left_behind"
    NO_TAG = "no_tag"
    NO_GATE_PASSAGE = "no_gate_passage"
    NOT_ACCOUNTED_FOR = "not_accounted_for"


class HeadcountAlert(BaseModel):
    """What one mismatch raises: its severity and texts (placeholders: ``TEXT_FIELDS``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    severity: Severity
    title: str = Field(min_length=1, max_length=200)
    action: str = Field(min_length=1, max_length=1000)

    @model_validator(mode="after")
    def _known_placeholders(self) -> HeadcountAlert:
        for text in (self.title, self.action):
            unknown = {name for _, name, _, _ in string.Formatter().parse(text) if name} - TEXT_FIELDS
            if unknown:
                raise ValueError(
                    f"unknown placeholder(s) {', '.join(sorted(unknown))} — use {', '.join(sorted(TEXT_FIELDS))}"
                )
        return self


class HeadcountConfig(BaseModel):
    """The site file's ``headcount:`` section."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    gates: list[str] = Field(min_length=1)  # zones where a face passage with a direction counts
    tag_grace_s: float = Field(default=300.0, gt=0, le=3600)
    lookback_h: float = Field(default=48.0, gt=0, le=24 * 31)
    alerts: dict[Mismatch, HeadcountAlert]

    @model_validator(mode="after")
    def _every_mismatch_has_an_alert(self) -> HeadcountConfig:
        missing = [kind.value for kind in Mismatch if kind not in self.alerts]
        if missing:
            raise ValueError(f"alerts: {', '.join(missing)} missing — give each its severity, title and action")
        return self


@dataclass(frozen=True)
class GatePassage:
    t: datetime
    direction: Direction
    zone_id: str
    event_id: int

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "gate",
            "t": self.t.isoformat(),
            "direction": self.direction,
            "zone_id": self.zone_id,
            "event_id": self.event_id,
        }


@dataclass(frozen=True)
class TagFix:
    t: datetime
    zone_id: str | None
    position: tuple[float, float, float]  # metres, mine grid
    source: str  # "tag:<barcode>"

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "tag",
            "t": self.t.isoformat(),
            "zone_id": self.zone_id,
            "position": list(self.position),
            "source": self.source,
        }


@dataclass(frozen=True)
class HeadcountSite:
    """What :func:`judge` needs of the site: its headcount section, shifts, timezone, surface zones."""

    config: HeadcountConfig
    shifts: tuple[ShiftConfig, ...] = ()
    timezone: str = "UTC"
    surface_zones: frozenset[str] = frozenset()

    @classmethod
    def from_site_dict(cls, site: Mapping) -> HeadcountSite | None:
        """From a site file's data (as loaded, or as stored in ``sites.config``); None without ``headcount:``."""
        if not site.get("headcount"):
            return None
        return cls(
            HeadcountConfig.model_validate(site["headcount"]),
            tuple(ShiftConfig.model_validate(shift) for shift in site.get("shifts") or []),
            site.get("timezone") or "UTC",
            frozenset(zone["id"] for zone in site.get("zones", []) if zone.get("surface")),
        )

    def underground(self, zone_id: str | None) -> bool:
        return zone_id is not None and zone_id not in self.surface_zones


@dataclass(frozen=True)
class Presence:
    """One person's reconciled state at ``now``; ``trail`` is the newest evidence, oldest first."""

    person_id: str
    underground: bool
    since: datetime | None  # when they went underground (the "in" passage, else the first fix of the run)
    due_out: datetime | None  # their shift's end plus grace, when underground and a shift covers them
    last_seen: datetime | None
    last_zone: str | None
    last_position: tuple[float, float, float] | None
    mismatches: frozenset[Mismatch]
    trail: tuple[GatePassage | TagFix, ...] = field(default=())

    def evidence(self) -> dict[str, Any]:
        """The alert's evidence: last known zone and position, time last seen, the trail."""
        return {
            "person_id": self.person_id,
            "underground": self.underground,
            "since": self.since and self.since.isoformat(),
            "due_out": self.due_out and self.due_out.isoformat(),
            "last_seen": self.last_seen and self.last_seen.isoformat(),
            "last_zone": self.last_zone,
            "last_position": list(self.last_position) if self.last_position else None,
            "trail": [item.to_json() for item in self.trail],
        }


def judge(
    person_id: str,
    crew: str | None,
    passages: Sequence[GatePassage],
    fixes: Sequence[TagFix],
    *,
    site: HeadcountSite,
    now: datetime,
) -> Presence:
    """Reconcile one person's gate passages and tag fixes (each sorted by time) at ``now``."""
    grace = timedelta(seconds=site.config.tag_grace_s)
    last_pass, last_fix = (passages[-1] if passages else None), (fixes[-1] if fixes else None)
    tag_under = last_fix is not None and site.underground(last_fix.zone_id)
    underground = last_pass.direction == "in" if last_pass else tag_under
    found: set[Mismatch] = set()
    if last_pass is None:
        if tag_under:
            found.add(Mismatch.NO_GATE_PASSAGE)
    elif last_pass.direction == "out":
        if tag_under and (last_fix.t > last_pass.t or now - last_pass.t >= grace):  # type: ignore[union-attr]
            found.add(Mismatch.TAG_LEFT_BEHIND)
    elif now - last_pass.t >= grace and (last_fix is None or last_fix.t < last_pass.t):
        found.add(Mismatch.NO_TAG)
    since = _went_in(last_pass, fixes, site) if underground else None
    due = due_out(list(site.shifts), site.timezone, crew, since) if since is not None else None
    if due is not None and now >= due:
        found.add(Mismatch.NOT_ACCOUNTED_FOR)
    newest = max((item for item in (last_pass, last_fix) if item is not None), key=lambda item: item.t, default=None)
    trail = sorted([*passages[-TRAIL_LENGTH:], *fixes[-TRAIL_LENGTH:]], key=lambda item: item.t)[-TRAIL_LENGTH:]
    return Presence(
        person_id=person_id,
        underground=underground,
        since=since,
        due_out=due,
        last_seen=newest.t if newest else None,
        last_zone=newest.zone_id if newest else None,
        last_position=last_fix.position if last_fix is not None else None,
        mismatches=frozenset(found),
        trail=tuple(trail),
    )


def _went_in(last_pass: GatePassage | None, fixes: Sequence[TagFix], site: HeadcountSite) -> datetime | None:
    if last_pass is not None:
        return last_pass.t
    since = None
    for fix in reversed(fixes):  # the first fix of the newest run of underground fixes
        if not site.underground(fix.zone_id):
            break
        since = fix.t
    return since


def alert_text(text: str, *, name: str, person: str, zone: str, due: datetime | None) -> str:
    return text.format(name=name, person=person, zone=zone, due=due.isoformat(timespec="minutes") if due else "-")
