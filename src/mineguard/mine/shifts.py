"""Shifts as site data: when each crew is due out of the mine.

A shift is a name, a start and an end in the site's local time (``timezone`` of the site file; an
end before the start runs past midnight) and the grace minutes after the end before anyone of the
shift still underground is "not accounted for". ``crews`` limits the shift to those crews; empty,
it covers everyone. ``type`` says what the shift does at the faces: ``work`` (coal-getting) or
``preparation`` (maintenance and preparation, no cutting) — the seismic hazard model reads it.
:func:`shift_periods` lists the shifts' windows between two instants.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"


class ShiftConfig(BaseModel):
    """One shift of the site file's ``shifts:`` list; ``start`` and ``end`` are local "HH:MM"."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=NAME_PATTERN)
    start: time
    end: time
    grace_minutes: int = Field(default=30, ge=0, le=720)
    crews: list[str] = Field(default_factory=list)
    type: Literal["work", "preparation"] = "work"  # coal-getting, or preparation (no cutting)

    @field_validator("start", "end", mode="before")
    @classmethod
    def _clock_time(cls, value: object) -> object:
        if isinstance(value, int) and not isinstance(value, bool):  # YAML reads 06:00 unquoted as 360 (base 60)
            raise ValueError(f'{value} is not a time of day — write it as a quoted string, e.g. "06:00"')
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> ShiftConfig:
        if self.start == self.end:
            raise ValueError(f"shift {self.name!r} starts and ends at {self.start:%H:%M} — give it a length")
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("start and end are local times of the site's timezone — drop the offset")
        return self

    def covers(self, crew: str | None) -> bool:
        return not self.crews or crew in self.crews

    def occurrence(self, day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """The shift's (start, end) in UTC when it starts on local ``day``."""
        start = datetime.combine(day, self.start, tz)
        end = datetime.combine(day + timedelta(days=1) if self.end < self.start else day, self.end, tz)
        return start.astimezone(UTC), end.astimezone(UTC)


def due_out(shifts: list[ShiftConfig], timezone: str, crew: str | None, went_in: datetime) -> datetime | None:
    """When a person of ``crew`` who went underground at ``went_in`` must be out, grace included.

    Their shift is the one of their crew whose start minus grace to its end holds ``went_in``;
    arriving outside every shift, the next one to start. None when no shift covers the crew.
    """
    tz = ZoneInfo(timezone)
    local_day = went_in.astimezone(tz).date()
    candidates = sorted(
        (
            (start, end, shift)
            for shift in shifts
            if shift.covers(crew)
            for offset in (-1, 0, 1)
            for start, end in [shift.occurrence(local_day + timedelta(days=offset), tz)]
            if end > went_in
        ),
        key=lambda candidate: candidate[:2],
    )
    for start, end, shift in candidates:
        if start - timedelta(minutes=shift.grace_minutes) <= went_in < end:
            return end + timedelta(minutes=shift.grace_minutes)
    if candidates:
        _, end, shift = candidates[0]
        return end + timedelta(minutes=shift.grace_minutes)
    return None


@dataclass(frozen=True)
class ShiftWindow:
    """One occurrence of a shift: ``start`` and ``end`` in UTC."""

    name: str
    type: str  # "work" (coal-getting) or "preparation"
    start: datetime
    end: datetime


def shift_periods(
    shifts: Sequence[ShiftConfig], timezone: str, since: datetime, until: datetime
) -> Iterator[ShiftWindow]:
    """The shift windows that end in ``(since, until]`` (aware datetimes), in order of their end."""
    if since.tzinfo is None or until.tzinfo is None:
        raise ValueError("since and until must be timezone-aware datetimes")
    tz = ZoneInfo(timezone)
    first, last = since.astimezone(tz).date() - timedelta(days=1), until.astimezone(tz).date()
    windows = [
        ShiftWindow(shift.name, shift.type, start, end)
        for n in range((last - first).days + 1)
        for shift in shifts
        for start, end in [shift.occurrence(first + timedelta(days=n), tz)]
        if since < end <= until
    ]
    yield from sorted(windows, key=lambda w: (w.end, w.start))
