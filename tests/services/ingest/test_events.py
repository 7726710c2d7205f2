"""Events from cameras, faces, tags and people: one schema, validated per event, stored once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from mineguard.services.ingest.events import EventIn, parse_events, store_events
from mineguard.services.ingest.validate import Rejection, RejectReason
from mineguard.services.storage.models import RejectedPayload, SourceEvent

from .conftest import NOW


def event(**change) -> dict:
    base = {
        "source": "vision",
        "label": "no_helmet",
        "t": (NOW - timedelta(seconds=2)).isoformat(),
        "device_id": "cam-face-gate-1101",
        "confidence": 0.9,
        "bbox": [10, 20, 110, 320],
    }
    return {**base, **change}


def test_signal_key_and_defaults() -> None:
    e = EventIn.model_validate({"source": "tag", "label": "fall_or_faint", "t": "2026-11-22T06:00:00+08:00"})
    assert e.signal_key == "tag.fall_or_faint" and e.value is True and e.t.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"source": "radar"}, "source"),
        ({"label": "No Helmet"}, "label"),
        ({"t": "2026-11-22T06:00:00"}, "time zone"),
        ({"confidence": 1.5}, "confidence"),
        ({"bbox": [100, 20, 10, 320]}, "x2 > x1"),
        ({"value": "yes"}, "value"),
        ({"colour": "red"}, "colour"),
        ({"attributes": {"jpeg": "x" * 5000}}, "keep ids, not images"),
        ({"attributes": {"direction": "down"}}, 'use "in" (going underground) or "out"'),
        ({"attributes": {"direction": 1}}, "attributes.direction"),
    ],
)
def test_invalid_events_name_the_field(db, change, fragment) -> None:
    report = store_events(db, [event(**change)], source="test", now=NOW)
    assert not report.accepted and len(report.rejected) == 1
    assert report.rejected[0].reason == RejectReason.INVALID_SCHEMA and fragment in report.rejected[0].detail


def test_store_fills_zone_from_device_dedupes_and_keeps_rejects(db) -> None:
    batch = [
        event(event_id="f1"),
        event(event_id="f1"),
        event(label="person", zone_id="main_roadway", device_id=None),
        event(device_id="cam-nowhere"),
        event(zone_id="mars"),
        event(asset_id="miner-999"),
        event(t=(NOW + timedelta(hours=1)).isoformat()),
    ]
    report = store_events(db, batch, source="http:gw-faces", now=NOW)
    assert len(report.accepted) == 2 and report.duplicates == 1
    assert [(r.index, r.reason) for r in report.rejected] == [
        (3, RejectReason.UNKNOWN_DEVICE),
        (4, RejectReason.INVALID_SCHEMA),
        (5, RejectReason.INVALID_SCHEMA),
        (6, RejectReason.CLOCK_SKEW),
    ]
    first, second = report.accepted
    assert first.signal_key == "vision.no_helmet" and first.zone_id == "face_gate_1101" and first.value is True
    assert second.signal_key == "vision.person" and second.zone_id == "main_roadway"
    rows = list(db.scalars(select(SourceEvent).order_by(SourceEvent.id)))
    assert [(r.label, r.zone_id, r.dedupe_key, r.bbox, r.value) for r in rows] == [
        ("no_helmet", "face_gate_1101", "cam-face-gate-1101:f1", [10.0, 20.0, 110.0, 320.0], 1.0),
        ("person", "main_roadway", None, [10.0, 20.0, 110.0, 320.0], 1.0),
    ]
    assert db.scalar(select(func.count()).select_from(RejectedPayload)) == 4
    # the same event id in a later batch is a duplicate too
    assert store_events(db, [event(event_id="f1")], source="x", now=NOW).duplicates == 1


def test_batch_shapes() -> None:
    assert parse_events(b'{"events": [1, 2]}') == [1, 2] and parse_events(b"[]") == []
    for body, reason in (
        (b"{", RejectReason.MALFORMED_JSON),
        (b'{"readings": []}', RejectReason.INVALID_SCHEMA),
        (b"[" + b",".join([b"1"] * 501) + b"]", RejectReason.OVERSIZED),
    ):
        result = parse_events(body)
        assert isinstance(result, Rejection) and result.reason == reason and result.index is None
