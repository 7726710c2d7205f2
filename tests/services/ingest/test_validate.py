"""Every reject reason with its stored row, the ordering rule (late delivery vs out of order),
duplicates (identical: counted; conflicting: rejected) and unit conversion on the way in."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from mineguard.services.ingest.store import ingest
from mineguard.services.ingest.validate import (
    Rejection,
    RejectReason,
    batch_weight,
    is_batch,
    message_readings,
    parse_batch,
    parse_reading,
    payload_bytes,
    stored_payload,
)
from mineguard.services.storage.models import Device, RejectedPayload, SensorReading

from .conftest import NOW, T0, reading


def _rows(db: Session) -> list[SensorReading]:
    return list(db.scalars(select(SensorReading).order_by(SensorReading.device_id, SensorReading.seq)))


def _rejects(db: Session) -> list[RejectedPayload]:
    return list(db.scalars(select(RejectedPayload).order_by(RejectedPayload.id)))


OVERSIZED = json.dumps({**reading(1), "pad": "x" * 70_000}).encode()
CASES = [
    (RejectReason.MALFORMED_JSON, b'{"device_id": "ch4-1101-t", "seq": 3,', "not valid JSON (Expecting", None),
    (RejectReason.MALFORMED_JSON, b'{"unit": "\xb0C"}', "not valid JSON (UnicodeDecodeError)", None),
    (RejectReason.INVALID_SCHEMA, {**reading(3), "seq": "3"}, "seq: Input should be a valid integer", None),
    (RejectReason.INVALID_SCHEMA, {k: v for k, v in reading(3).items() if k != "t"}, "t: required — add it", 3),
    (RejectReason.INVALID_SCHEMA, b"[1, 2]", "a reading must be a JSON object", None),
    (RejectReason.UNKNOWN_DEVICE, reading(3, device_id="ch4-9999"), "device 'ch4-9999' does not exist", 3),
    (RejectReason.UNKNOWN_DEVICE, reading(3, device_id="gw-faces"), "is a gateway, not a sensor", 3),
    (RejectReason.WRONG_KIND, reading(3, kind="co"), "is a methane sensor but the reading says kind 'co'", 3),
    (
        RejectReason.WRONG_UNIT,
        reading(3, device_id="co-belt", kind="co", unit="mg/m3"),
        "co in 'mg/m3' cannot be converted: mass concentration needs the air temperature",
        3,
    ),
    (RejectReason.WRONG_UNIT, reading(3, unit="lel"), "send one of: %, %vol, ppm", 3),
    (RejectReason.OUT_OF_RANGE, reading(3, value=120), "methane 120 % is outside the physical span 0..100 %", 3),
    (RejectReason.OUT_OF_RANGE, reading(3, value=2_000_000, unit="ppm"), "methane 200 % is outside", 3),
    (RejectReason.CLOCK_SKEW, reading(3, t=NOW + timedelta(minutes=10)), "is 600 s ahead of the server clock", 3),
    (RejectReason.OVERSIZED, OVERSIZED, f"payload is {len(OVERSIZED)} bytes, over the 65536-byte limit", None),
]


@pytest.mark.parametrize(
    ("reason", "payload", "detail", "seq"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_each_reject_reason_is_stored_with_what_to_fix(db: Session, reason, payload, detail: str, seq) -> None:
    report = ingest(db, [reading(1), payload], source="test:validate", now=NOW)
    assert len(report.accepted) == 1 and report.duplicates == 0
    assert report.rejected_by_reason == {reason.value: 1}
    (rejection,) = report.rejections
    assert rejection.index == 1 and detail in rejection.detail
    (row,) = _rejects(db)
    assert (row.reason, row.source, row.received_at, row.seq) == (reason.value, "test:validate", NOW, seq)
    assert detail in row.detail
    raw = payload_bytes(payload)
    if row.payload_encoding == "base64":
        assert base64.b64decode(row.payload) == raw[: 64 * 1024]
    else:
        assert row.payload.encode() == raw[: 64 * 1024]
    assert row.truncated == (len(raw) > 64 * 1024)
    assert [r.seq for r in _rows(db)] == [1]


def test_methane_ppm_is_stored_as_percent_with_the_raw_value(db: Session) -> None:
    report = ingest(
        db,
        [
            reading(1, value=5000, unit="ppm"),
            reading(1, device_id="temp-1101", kind="temperature", value=212, unit="degF"),
            reading(1, device_id="roof-1101", kind="roof_pressure", value=1500, unit="kPa"),
        ],
        source="test",
        now=NOW,
    )
    assert report.rejected == 0
    rows = {row.device_id: row for row in _rows(db)}
    methane = rows["ch4-1101-t"]
    assert (methane.value, methane.unit, methane.raw_value, methane.raw_unit) == (0.5, "%", 5000.0, "ppm")
    assert rows["temp-1101"].value == pytest.approx(100.0) and rows["temp-1101"].unit == "degC"
    assert (rows["roof-1101"].value, rows["roof-1101"].unit) == (1.5, "MPa")
    assert methane.flags == 0 and methane.received_at == NOW and methane.t == T0 + timedelta(seconds=1)
    assert (report.accepted[0].device_id, report.accepted[0].value, report.accepted[0].unit) == ("ch4-1101-t", 0.5, "%")


def test_late_delivery_is_accepted_and_a_counter_that_went_back_is_out_of_order(db: Session) -> None:
    assert len(ingest(db, [reading(10)], source="test", now=NOW).accepted) == 1  # seq 10 at 07:00:10
    late = reading(5)  # lower seq, earlier t: delivered late by a store-and-forward gateway
    same_time = reading(6, t=T0 + timedelta(seconds=10))  # lower seq, equal t: still not later
    restarted = reading(7, t=T0 + timedelta(seconds=30))  # lower seq, later t: the counter went back
    report = ingest(db, [late, same_time, restarted], source="test", now=NOW)
    assert [a.seq for a in report.accepted] == [5, 6]
    (rejection,) = report.rejections
    assert rejection.reason == RejectReason.OUT_OF_ORDER and rejection.index == 2
    assert "seq 7 is below the device's highest seq 10" in rejection.detail
    assert "keep seq increasing across restarts" in rejection.detail
    assert [(r.reason, r.seq) for r in _rejects(db)] == [("out_of_order", 7)]
    assert [r.seq for r in _rows(db)] == [5, 6, 10]


def test_order_rule_follows_arrival_within_a_batch(db: Session) -> None:
    def batch(device_id: str, seqs: list[int]) -> list[dict]:
        t = {15: T0 + timedelta(seconds=25), 20: T0 + timedelta(seconds=20)}  # seq 15 was stamped after seq 20
        return [reading(seq, device_id=device_id, t=t[seq]) for seq in seqs]

    report = ingest(db, batch("ch4-1101-t", [20, 15]), source="test", now=NOW)
    assert [a.seq for a in report.accepted] == [20] and report.rejected_by_reason == {"out_of_order": 1}
    report = ingest(db, batch("ch4-1102-t", [15, 20]), source="test", now=NOW)  # 20 is higher: nothing to compare
    assert [a.seq for a in report.accepted] == [15, 20] and report.rejected == 0


def test_identical_duplicate_is_counted_not_stored_not_rejected(db: Session) -> None:
    batch = [reading(1), reading(2, value=5000, unit="ppm"), reading(3)]
    first = ingest(db, batch, source="test", now=NOW)
    again = ingest(db, [json.dumps(p) for p in reversed(batch)], source="test", now=NOW + timedelta(seconds=5))
    assert (len(first.accepted), first.duplicates) == (3, 0)
    assert (len(again.accepted), again.duplicates, again.rejected) == (0, 3, 0)
    assert [r.seq for r in _rows(db)] == [1, 2, 3] and _rejects(db) == []
    repeated = ingest(db, [reading(4), reading(4)], source="test", now=NOW)  # a repeat inside one batch
    assert (len(repeated.accepted), repeated.duplicates, repeated.rejected) == (1, 1, 0)


def test_conflicting_duplicate_is_rejected_and_the_stored_value_kept(db: Session) -> None:
    ingest(db, [reading(1, value=0.4)], source="test", now=NOW)
    report = ingest(db, [reading(1, value=0.9), reading(2, value=0.5), reading(2, value=0.6)], source="t", now=NOW)
    assert [a.seq for a in report.accepted] == [2]
    assert report.rejected_by_reason == {"duplicate": 2} and report.duplicates == 0
    details = [r.detail for r in report.rejections]
    assert details[0].startswith("conflicting duplicate: ch4-1101-t seq 1 already holds methane 0.4 %")
    assert "this payload says methane 0.9 %" in details[0] and "never reuse a seq" in details[0]
    assert [(r.reason, r.seq, r.device_id) for r in _rejects(db)] == [
        ("duplicate", 1, "ch4-1101-t"),
        ("duplicate", 2, "ch4-1101-t"),
    ]
    assert [(r.seq, r.value) for r in _rows(db)] == [(1, 0.4), (2, 0.5)]


def test_same_value_in_another_unit_is_a_conflict(db: Session) -> None:
    ingest(db, [reading(1, value=0.5)], source="test", now=NOW)
    report = ingest(db, [reading(1, value=5000, unit="ppm")], source="test", now=NOW)
    assert report.rejected_by_reason == {"duplicate": 1}  # identical means the same payload, not the same quantity


def test_live_state_follows_the_newest_reading_only(db: Session) -> None:
    device = db.get(Device, "ch4-1101-t")
    ingest(db, [reading(10, value=0.3), reading(11, value=0.35)], source="test", now=NOW)
    assert device.state == {
        "value": 0.35,
        "unit": "%",
        "t": (T0 + timedelta(seconds=11)).isoformat(),
        "seq": 11,
        "flags": 0,
    }
    assert device.updated_at == T0 + timedelta(seconds=11)
    report = ingest(db, [reading(4, value=0.9)], source="test", now=NOW)  # late delivery: history only
    assert len(report.accepted) == 1 and report.live == {}
    db.expire_all()
    assert db.get(Device, "ch4-1101-t").state["seq"] == 11
    report = ingest(db, [reading(12, value=5000, unit="ppm")], source="test", now=NOW)
    assert report.live["ch4-1101-t"]["value"] == 0.5 and db.get(Device, "ch4-1101-t").state["seq"] == 12


def test_topic_claims_must_match_the_payload(db: Session) -> None:
    report = ingest(
        db,
        [reading(1), reading(2)],
        source="bus",
        now=NOW,
        expected=[("ch4-1101-t", "methane"), ("ch4-1102-t", "methane")],
    )
    assert [a.seq for a in report.accepted] == [1]
    (rejection,) = report.rejections
    assert rejection.reason == RejectReason.INVALID_SCHEMA
    assert "topic says device 'ch4-1102-t' kind 'methane' but the payload says device 'ch4-1101-t'" in rejection.detail
    with pytest.raises(ValueError, match="expected has 1 entries for 2 payloads"):
        ingest(db, [reading(1), reading(2)], source="bus", now=NOW, expected=[None])


def test_a_kind_without_a_canonical_unit_keeps_the_site_unit(db: Session) -> None:
    db.add(Device(id="water-sump", site_id="sample-coal-mine", kind="sensor", sensor_kind="water_level", unit="m"))
    db.flush()
    good = reading(1, device_id="water-sump", kind="water_level", value=2.5, unit="m")
    bad = reading(2, device_id="water-sump", kind="water_level", value=250, unit="cm")
    report = ingest(db, [good, bad], source="test", now=NOW)
    assert [(a.value, a.unit) for a in report.accepted] == [(2.5, "m")]
    assert report.rejections[0].detail == "water_level of 'water-sump' is recorded in 'm', not 'cm' — send 'm'"


def test_now_must_be_aware(db: Session) -> None:
    with pytest.raises(ValueError, match="now has no time zone"):
        ingest(db, [reading(1)], source="test", now=NOW.replace(tzinfo=None))
    assert ingest(db, [], source="test", now=NOW).to_json() == {
        "accepted": 0,
        "duplicates": 0,
        "rejected": 0,
        "rejected_by_reason": {},
        "rejects": [],
    }


@pytest.mark.parametrize(
    ("body", "count", "reason", "detail"),
    [
        (b'{"readings": [{"seq": 1}, 5, "x"]}', 3, None, None),
        (b"[]", 0, None, None),
        (b'{"readings": [', None, "malformed_json", "body is not valid JSON"),
        (b"[" * 100_000, None, "malformed_json", "RecursionError"),
        (b'{"reading": []}', None, "invalid_schema", "body is an object with keys ['reading']"),
        (b'"text"', None, "invalid_schema", 'body is str — send {"readings": [reading, ...]} or a JSON array'),
        (json.dumps([{}] * 1001).encode(), None, "invalid_schema", "batch has 1001 readings, at most 1000"),
    ],
)
def test_parse_batch(body: bytes, count: int | None, reason: str | None, detail: str | None) -> None:
    outcome = parse_batch(body, max_batch=1000)
    if count is not None:
        assert isinstance(outcome, list) and len(outcome) == count
        assert outcome[1:] == [b"5", b'"x"'] or count != 3  # non-objects go on as JSON text, to fail the schema
        return
    assert outcome.reason == reason and detail in outcome.detail and outcome.index is None and outcome.raw == body


@pytest.mark.parametrize(
    ("raw", "text", "encoding", "truncated"),
    [
        (b'{"a": "\xc2\xb0C"}', '{"a": "°C"}', "utf-8", False),
        (b"\xff\xfe", base64.b64encode(b"\xff\xfe").decode(), "base64", False),
        (b'{"a": "\x00"}', base64.b64encode(b'{"a": "\x00"}').decode(), "base64", False),  # PostgreSQL text has no NUL
        (b"ab\xc2\xb0", "ab", "utf-8", True),  # cut inside a 2-byte character: the partial character is left off
        (b"abcd", "abc", "utf-8", True),
    ],
)
def test_stored_payload(raw: bytes, text: str, encoding: str, truncated: bool) -> None:
    assert stored_payload(raw, limit=3 if truncated else 1024) == (text, encoding, truncated)


_FAST_PATH_CASES = [
    b'{"device_id":"a","kind":"methane","seq":1,"t":"2026-01-01T00:00:00Z","value":1,"unit":"%"}',
    b'{"device_id":"a","kind":"methane","seq":1,"t":"2026-01-01T08:00:00+08:00","value":0.25,"unit":"%"}',
    b'{"device_id":"a","kind":"methane","seq":1,"seq":2,"t":"2026-01-01T00:00:00Z","value":1,"unit":"%"}',
    b'{"device_id":"a","kind":"methane","seq":1.0,"t":"2026-01-01T00:00:00Z","value":1,"unit":"%"}',
    b'{"device_id":"a","kind":"methane","seq":"1","t":"2026-01-01T00:00:00Z","value":1,"unit":"%"}',
    b'{"device_id":"a","kind":"methane","seq":1,"t":"2026-01-01T00:00:00Z","value":NaN,"unit":"%"}',
    b'{"device_id":"a","kind":"methane","seq":1,"t":"2026-01-01T00:00:00Z","value":1e400,"unit":"%"}',
    b'{"device_id":"a","kind":"methane","seq":1,"t":"2026-01-01T00:00:00Z","value":true,"unit":"%"}',
    b'{"device_id":"a","kind":"methane","seq":1,"t":"2026-01-01T00:00:00Z","value":"1","unit":"%"}',
    b'{"device_id":"a","kind":"methane","seq":1,"t":"2026-01-01T00:00:00Z","value":1,"unit":"\\ud800"}',
    b'{"device_id":"a","kind":"methane","seq":1,"t":"2026-01-01T00:00:00","value":1,"unit":"%"}',
    b'{"device_id":"a","kind":"methane","seq":-1,"t":"2026-01-01T00:00:00Z","value":1,"unit":"%"}',
    b'{"device_id":"a","kind":"methane","seq":1,"t":"2026-01-01T00:00:00Z","value":1,"unit":"%","x":1}',
    b'\xef\xbb\xbf{"device_id":"a","kind":"methane","seq":1,"t":"2026-01-01T00:00:00Z","value":1,"unit":"%"}',
    b'{"device_id":"a/b","kind":"methane","seq":1,"t":"2026-01-01T00:00:00Z","value":1,"unit":"%"}',
    b"[1, 2]",
    b"[" * 5000 + b"]" * 5000,
    b"\xff\xfe",
]


@pytest.mark.parametrize("raw", _FAST_PATH_CASES)
def test_fast_parse_accepts_exactly_what_the_checked_path_accepts(raw: bytes) -> None:
    """A valid reading is parsed straight from its JSON by pydantic; the result (or the refusal) is the
    same as through ``json.loads`` and ``model_validate`` (a BOM is left to the checked path)."""
    from mineguard.services.ingest.schema import Reading
    from mineguard.services.ingest.validate import _fast_parse, parse_reading

    try:
        slow = Reading.model_validate(json.loads(raw.decode("utf-8-sig")))
    except (ValueError, RecursionError):
        slow = None
    assert _fast_parse(raw) in (None, slow)  # never accepts what the checked path refuses, never differs
    outcome = parse_reading(0, raw, max_bytes=1 << 20)
    assert outcome == slow if slow is not None else outcome.reason.value in {"malformed_json", "invalid_schema"}


def test_a_message_of_several_readings_is_told_from_one_reading_before_it_is_parsed() -> None:
    one = json.dumps(reading(1)).encode()
    assert not is_batch(one) and batch_weight(one) == 1 and message_readings(one, max_batch=10, max_bytes=10**6) is None
    three = b"[" + b",".join([one] * 3) + b"]"
    for framing in (three, b' \n{ "readings" :' + three + b"}", b"\xef\xbb\xbf" + three):
        assert is_batch(framing) and batch_weight(framing) == 3
        items = message_readings(framing, max_batch=10, max_bytes=10**6)
        assert isinstance(items, list) and len(items) == 3
        assert parse_reading(0, items[0], max_bytes=1000).seq == 1 and json.loads(payload_bytes(items[2]))["seq"] == 1
    assert batch_weight(b"[]") == 1 and message_readings(b"[]", max_batch=10, max_bytes=100) == []
    parsed = message_readings(three, max_batch=10, max_bytes=10**6, validated=False)  # what a forwarder sends on
    assert parsed == [json.loads(one)] * 3
    assert not is_batch(b'{"device_id": "x", "readings": []}')  # an object that is not {"readings": ...} first
    big = message_readings(three, max_batch=10, max_bytes=100)
    assert isinstance(big, Rejection) and big.reason is RejectReason.OVERSIZED and big.raw == three
    many = message_readings(three, max_batch=2, max_bytes=10**6)
    assert isinstance(many, Rejection) and "batch has 3 readings, at most 2" in many.detail


_VALID = _FAST_PATH_CASES[1]


@pytest.mark.parametrize("case", [c for c in _FAST_PATH_CASES if c.startswith(b"{")])
@pytest.mark.parametrize("framing", ["array", "object"])
def test_a_batch_message_parsed_whole_gives_what_reading_by_reading_gives(case: bytes, framing: str) -> None:
    """A batch message whose readings are all valid is validated in one pydantic call; any invalid one sends the
    whole message down the reading-by-reading path. Either way each reading comes out (or is refused) as it would
    on its own, and a reading's kept text is the same."""
    body = b"[" + _VALID + b", " + case + b"]"
    if framing == "object":
        body = b'{"readings": ' + body + b"}"
    fast = message_readings(body, max_batch=10, max_bytes=10**6)
    slow = parse_batch(body, max_batch=10, noun="message")
    if case.startswith(b"\xef"):  # a BOM inside the array is not JSON for either
        assert isinstance(fast, Rejection) and isinstance(slow, Rejection) and fast.detail == slow.detail
        return
    assert isinstance(fast, list) and isinstance(slow, list) and len(fast) == len(slow) == 2
    for i, (a, b) in enumerate(zip(fast, slow, strict=True)):
        assert parse_reading(i, a, max_bytes=1 << 20) == parse_reading(i, b, max_bytes=1 << 20)
        assert payload_bytes(a) == payload_bytes(b)


def test_a_batch_over_the_limit_is_refused_with_its_count_not_parsed_whole() -> None:
    body = b"[" + b",".join([_VALID] * 11) + b"]"
    outcome = message_readings(body, max_batch=10, max_bytes=10**6)
    assert isinstance(outcome, Rejection) and "batch has 11 readings, at most 10" in outcome.detail


def test_a_batch_reading_with_a_lone_surrogate_is_refused_and_kept_not_a_poison_message(db: Session) -> None:
    """``"\\ud800"`` is valid JSON but no UTF-8 text: a batch reading whose unit holds one used to raise while its
    text was kept among the rejects, failing the batch and, over MQTT, retrying the message for ever. It is now
    refused ``invalid_schema`` with its JSON kept (the surrogate escaped, as sent) and the rest of the batch stored."""
    body = json.dumps([reading(1), reading(2, unit="\ud800")]).encode()
    assert b"\\ud800" in body
    items = message_readings(body, max_batch=10, max_bytes=10**6)
    report = ingest(db, items, source="test:validate", now=NOW)
    assert [r.seq for r in report.accepted] == [1] and report.rejected_by_reason == {"invalid_schema": 1}
    (row,) = _rejects(db)
    assert row.payload_encoding == "utf-8" and json.loads(row.payload)["unit"] == "\ud800"
