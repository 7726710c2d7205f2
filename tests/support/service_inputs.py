"""Inputs shared by the tests that drive the service end to end: a methane build-up posted as
readings, a reading whose time cannot be converted to UTC, and hand-made incidents for the alerts'
evidence.

A test helper, not part of the package: ``tests/support/`` is on ``sys.path`` through pytest's
``pythonpath`` option (pyproject.toml), so tests write ``from service_inputs import ...``.
"""

from __future__ import annotations

import datetime as dt
from datetime import UTC, datetime, timedelta

from mineguard.warning.text import Incident

# issue 13: in UTC this time is in year 10000; converting it raised OverflowError and halted all ingestion
POISON = {
    "device_id": "co-belt",
    "kind": "co",
    "seq": 3000100,
    "t": "9999-12-31T23:59:59-14:00",
    "value": 3,
    "unit": "ppm",
}


def methane_rise(device_id: str = "ch4-1101-t") -> list[dict]:
    """16 readings of ``device_id``, 5 s apart and ending 15 s ago, rising from 0.4 to 1.9 % CH4:
    the sample site's methane build-up at Longwall face 1101, past the withdraw-people limit."""
    start = datetime.now(UTC) - timedelta(seconds=90)
    return [
        {
            "device_id": device_id,
            "kind": "methane",
            "seq": i,
            "value": round(0.4 + 0.1 * i, 2),
            "unit": "%",
            "t": (start + timedelta(seconds=5 * i)).isoformat(),
        }
        for i in range(16)
    ]


def hand_made_incidents(narratives: dict[str, str], first: dt.date) -> list[Incident]:
    """One coal-mine incident per ``{accident class: narrative}``, dated a day apart from ``first``."""
    return [
        Incident(
            key=f"r{i}",
            date=first + dt.timedelta(days=i),
            accident_class=label,
            text=text,
            mine=f"Mine {i}, WV",
            mineral="Coal",
            mine_type="Coal",
            source="hand-made",
        )
        for i, (label, text) in enumerate(narratives.items())
    ]
