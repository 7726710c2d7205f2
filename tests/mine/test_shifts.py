"""Shifts as site data: when a person is due out (known answers), and errors that name the field."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from mineguard.mine.shifts import ShiftConfig, due_out, shift_periods
from mineguard.mine.site import SiteConfigError, load_site, parse_site

DAY = ShiftConfig(name="day", start="06:00", end="14:00", grace_minutes=30, crews=["crew-a"])
NIGHT = ShiftConfig(name="night", start="22:00", end="06:00", grace_minutes=15)


def _utc(hour: int, minute: int = 0, day: int = 22) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("went_in", "expected"),
    [
        (_utc(6, 5), _utc(14, 30)),  # in during the shift: its end plus 30 min
        (_utc(5, 40), _utc(14, 30)),  # 20 min early: within the grace before the start
        (_utc(13, 59), _utc(14, 30)),
        (_utc(15, 0), _utc(14, 30, day=23)),  # after the shift: the next day's shift
    ],
)
def test_due_out_of_a_day_shift(went_in: datetime, expected: datetime) -> None:
    assert due_out([DAY], "UTC", "crew-a", went_in) == expected


def test_a_night_shift_runs_past_midnight() -> None:
    assert due_out([NIGHT], "UTC", None, _utc(23, 0)) == _utc(6, 15, day=23)
    assert due_out([NIGHT], "UTC", None, _utc(2, 0, day=23)) == _utc(6, 15, day=23)


def test_shift_times_are_the_sites_local_time() -> None:
    # Warsaw is UTC+1 in November: the 06:00-14:00 shift ends 13:00 UTC, due out 13:30 UTC
    assert due_out([DAY], "Europe/Warsaw", "crew-a", _utc(5, 30)) == _utc(13, 30)


def test_a_shift_covers_only_its_crews() -> None:
    assert due_out([DAY], "UTC", "crew-b", _utc(7, 0)) is None
    assert due_out([DAY, NIGHT], "UTC", "crew-b", _utc(7, 0)) == _utc(6, 15, day=23)


def test_sample_sites_have_shifts() -> None:
    site = load_site()
    assert [(s.name, f"{s.start:%H:%M}", f"{s.end:%H:%M}", s.grace_minutes) for s in site.shifts] == [
        ("day", "06:00", "14:00", 30),
        ("afternoon", "14:00", "22:00", 30),
    ]


def test_shift_periods_list_the_windows_that_end_in_a_span() -> None:
    shifts = [DAY, NIGHT.model_copy(update={"type": "preparation"})]
    got = [(w.name, w.type, w.start, w.end) for w in shift_periods(shifts, "UTC", _utc(13), _utc(14, day=23))]
    assert got == [
        ("day", "work", _utc(6), _utc(14)),
        ("night", "preparation", _utc(22), _utc(6, day=23)),
        ("day", "work", _utc(6, day=23), _utc(14, day=23)),
    ]
    assert load_site().shifts[1].type == "preparation"  # the sample site's afternoon shift
    with pytest.raises(ValueError, match="timezone-aware"):
        list(shift_periods(shifts, "UTC", datetime(2026, 1, 1), _utc(1)))


def _with(**changes) -> dict:
    data = copy.deepcopy(load_site().model_dump(mode="json"))
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"shifts": [{"name": "day", "start": "25:00", "end": "14:00"}]}, "shifts[0].start"),
        ({"shifts": [{"name": "day", "start": 360, "end": "14:00"}]}, 'quoted string, e.g. "06:00"'),
        ({"shifts": [{"name": "day", "start": "06:00", "end": "06:00"}]}, "give it a length"),
        (
            {"shifts": [{"name": "day", "start": "06:00", "end": "14:00", "grace_minutes": -5}]},
            "shifts[0].grace_minutes",
        ),
        ({"shifts": [{"name": "day", "start": "06:00", "end": "14:00", "crews": ["crew-z"]}]}, "unknown crew 'crew-z'"),
        ({"shifts": [{"name": "day", "start": "06:00", "end": "14:00", "shift_boss": "x"}]}, "shifts[0].shift_boss"),
        (
            {
                "shifts": [
                    {"name": "day", "start": "06:00", "end": "14:00"},
                    {"name": "day", "start": "14:00", "end": "22:00"},
                ]
            },
            "used twice",
        ),
        ({"timezone": "Mars/Olympus"}, "not a known time zone"),
        ({"shifts": [{"name": "day", "start": "06:00", "end": "14:00", "type": "cutting"}]}, "shifts[0].type"),
    ],
)
def test_bad_shifts_name_the_field(changes: dict, expected: str) -> None:
    with pytest.raises(SiteConfigError, match="problem") as caught:
        parse_site(_with(**changes))
    assert expected in str(caught.value)
