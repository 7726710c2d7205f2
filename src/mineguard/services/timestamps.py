"""Times that come from outside the service — readings, events, positions, tag fixes, query values.

One type, :data:`IsoTime`, for all of them: an ISO-8601 string with a time zone (``Z`` or
``+hh:mm``), given back as an aware UTC ``datetime`` within ``[EARLIEST, LATEST)``. Everything
else is a ``ValueError`` that says what to write instead, which pydantic reports under the
field's name (``t: ...``, ``query.start: ...``):

- a time without a zone (``2026-11-22T06:00:00``): which clock is it?
- a bare number (``0.5``, ``1795334400``): not read as seconds since 1970;
- a time that cannot be converted to UTC (``9999-12-31T23:59:59-14:00`` is in year 10000 in UTC)
  or lies outside the range: nothing was measured before 1900, and arithmetic on a time near
  the ends of what ``datetime`` holds (``end - 12 h``, ``t + escalation timeout``) overflows.
  A time in the range but in the future (``2999-01-01``) is for :func:`clock_skew` to refuse.

:func:`clock_skew` is the one check of a time *ahead of* the server clock, shared by readings,
events and positions (``max_skew_s``, default :data:`MAX_SKEW_S`): a device whose clock runs
ahead would otherwise pin live values to the future.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator, WithJsonSchema

EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)  # far from year 9999: arithmetic on a time cannot overflow
MAX_SKEW_S = 300.0
TIME_EXAMPLE = "2026-11-22T06:00:00Z"
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_RANGE = f"write a time between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d} (UTC), e.g. {TIME_EXAMPLE!r}"


def parse_time(value: Any) -> datetime:
    """``value`` (ISO-8601 text with a zone, or an aware ``datetime``) as aware UTC; ValueError says the fix."""
    if isinstance(value, str):
        text = value
        if _NUMBER.fullmatch(text):
            raise ValueError(
                f"{text[:40]!r} is a number, not a time — write ISO-8601 with a time zone, e.g. {TIME_EXAMPLE!r}"
            )
        try:
            parsed = datetime.fromisoformat(text)
        except (ValueError, OverflowError):
            raise ValueError(f"{text[:40]!r} is not ISO-8601 — write it like {TIME_EXAMPLE!r}") from None
    elif isinstance(value, datetime):
        parsed, text = value, value.isoformat()
    else:
        raise ValueError(
            f"must be an ISO-8601 string with a time zone, e.g. {TIME_EXAMPLE!r}, not a {type(value).__name__}"
        )
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError(f"timestamp needs a time zone — e.g. {TIME_EXAMPLE!r} or '2026-11-22T14:00:00+08:00'")
    try:
        utc = parsed.astimezone(UTC)
    except OverflowError:  # e.g. 9999-12-31T23:59:59-14:00 is in year 10000 in UTC
        raise ValueError(f"{text[:40]} is out of range — {_RANGE}") from None
    if not EARLIEST <= utc < LATEST:
        raise ValueError(f"{text[:40]} is out of range — {_RANGE}")
    return utc


# The OpenAPI schema says the range too (found by fuzzing: a client generated from the schema sent year 0448):
# RFC 3339 date-time (it carries a zone) in the years EARLIEST..LATEST. Only a time within hours of either end
# whose offset moves it out of the range in UTC is accepted by the pattern and refused here.
ISO_TIME_SCHEMA = {"type": "string", "format": "date-time", "pattern": r"^(19\d\d|[2-8]\d\d\d)-"}
IsoTime = Annotated[datetime, BeforeValidator(parse_time), WithJsonSchema(ISO_TIME_SCHEMA)]


class ClockSkewError(ValueError):
    """A time too far ahead of the server clock; the message is :func:`clock_skew`'s."""


def clock_skew(t: datetime, now: datetime, max_skew_s: float = MAX_SKEW_S) -> str | None:
    """None when ``t`` is at most ``max_skew_s`` ahead of ``now``; else what is wrong and what to do."""
    ahead = (t - now).total_seconds()  # aware minus aware: cannot overflow
    if ahead <= max_skew_s:
        return None
    return (
        f"t {t.isoformat()} is {ahead:.0f} s ahead of the server clock (limit {max_skew_s:g} s) — synchronise "
        "the clock of the device, gateway or computer that set t (NTP)"
    )
