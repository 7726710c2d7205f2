"""The one type for outside times: ISO-8601 with a zone, inside 1900..9000, never a bare number;
and the one clock-skew check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import BaseModel, ValidationError

from mineguard.services.ingest.schema import describe
from mineguard.services.timestamps import LATEST, IsoTime, clock_skew, parse_time


class Stamped(BaseModel):
    t: IsoTime


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-22T14:00:00.250+08:00", datetime(2026, 11, 22, 6, 0, 0, 250_000, tzinfo=UTC)),
        ("2026-11-22T06:00:00Z", datetime(2026, 11, 22, 6, tzinfo=UTC)),
        ("1900-01-01T00:00:00Z", datetime(1900, 1, 1, tzinfo=UTC)),  # the first time taken
        ("8999-12-31T23:59:59.999999Z", LATEST - timedelta(microseconds=1)),  # the last
    ],
)
def test_iso_times_with_a_zone_become_utc(text: str, expected: datetime) -> None:
    parsed = parse_time(text)
    assert parsed == expected and parsed.utcoffset() == timedelta(0)
    assert Stamped.model_validate_json(f'{{"t": "{text}"}}').t == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        # year 10000 in UTC: an OverflowError, not a validation error, before
        (
            "9999-12-31T23:59:59-14:00",
            "t: 9999-12-31T23:59:59-14:00 is out of range — write a time between 1900-01-01 and 9000-01-01",
        ),
        ("0001-01-01T00:00:00+14:00", "t: 0001-01-01T00:00:00+14:00 is out of range"),  # year 0 in UTC
        ("0001-01-01T00:00:00Z", "t: 0001-01-01T00:00:00Z is out of range"),  # representable, but 0001 - 12 h is not
        ("9000-01-01T00:00:00Z", "t: 9000-01-01T00:00:00Z is out of range"),
        ("1899-12-31T23:59:59+00:00", "is out of range"),
        ("0.5", "t: '0.5' is a number, not a time — write ISO-8601 with a time zone"),
        ("0.0", "t: '0.0' is a number, not a time"),
        ("1795334400", "t: '1795334400' is a number, not a time"),
        (1_795_334_400, "t: must be an ISO-8601 string with a time zone"),
        (0.5, "t: must be an ISO-8601 string with a time zone"),
        (True, "t: must be an ISO-8601 string with a time zone"),
        ("2026-11-22T06:00:00", "t: timestamp needs a time zone"),
        (datetime(2026, 11, 22, 6), "t: timestamp needs a time zone"),
        ("yesterday", "t: 'yesterday' is not ISO-8601"),
    ],
)
def test_everything_else_is_a_value_error_naming_the_field(value, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Stamped.model_validate({"t": value})
    assert message in describe(caught.value)


def test_an_aware_datetime_is_taken_and_converted() -> None:
    local = datetime(2026, 11, 22, 14, tzinfo=timezone(timedelta(hours=8)))
    assert Stamped(t=local).t == datetime(2026, 11, 22, 6, tzinfo=UTC)


def test_clock_skew_is_one_check_that_cannot_overflow() -> None:
    now = datetime(2026, 11, 22, 8, tzinfo=UTC)
    assert clock_skew(now + timedelta(seconds=300), now) is None  # the limit itself is fine
    assert clock_skew(now - timedelta(days=365), now) is None  # the past is not skew
    problem = clock_skew(now + timedelta(seconds=301), now)
    assert problem is not None and "is 301 s ahead of the server clock (limit 300 s)" in problem and "NTP" in problem
    assert clock_skew(now + timedelta(seconds=30), now, max_skew_s=10) is not None
    extreme = datetime(9999, 12, 31, 23, 59, tzinfo=UTC)
    assert "ahead of the server clock" in clock_skew(extreme, datetime(1, 1, 1, tzinfo=UTC))
