"""The wire contract: what a reading and a batch look like, and errors that name the field to fix."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from mineguard.services.ingest import schema
from mineguard.services.ingest.schema import MAX_BATCH, Reading, ReadingBatch, describe

GOOD = {
    "device_id": "ch4-1101-t",
    "kind": "methane",
    "seq": 1042,
    "t": "2026-11-22T14:00:00.250+08:00",
    "value": 0.42,
    "unit": "%",
}


def test_a_reading_parses_to_utc() -> None:
    reading = Reading.model_validate_json(json.dumps(GOOD))
    assert reading.t == datetime(2026, 11, 22, 6, 0, 0, 250_000, tzinfo=UTC) and reading.t.tzinfo == UTC
    assert (reading.device_id, reading.kind, reading.seq, reading.value, reading.unit) == (
        "ch4-1101-t",
        "methane",
        1042,
        0.42,
        "%",
    )
    assert Reading.model_validate({**GOOD, "value": 1}).value == 1.0  # a JSON integer is a number
    assert Reading.model_validate({**GOOD, "t": "2026-11-22T06:00:00Z"}).t == datetime(2026, 11, 22, 6, tzinfo=UTC)


def test_the_documented_example_is_valid() -> None:
    doc = schema.__doc__
    example = doc[doc.index("{") : doc.index("}") + 1]
    lines = [line.split("#")[0].strip() for line in example.splitlines()]
    assert Reading.model_validate_json("".join(lines)).device_id == "ch4-1101-t"
    assert "mineguard/<site_id>/<device_id>/<kind>" in doc


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"seq": None}, "seq: required — add it"),
        ({"seq": "7"}, "seq: Input should be a valid integer"),
        ({"seq": True}, "seq: Input should be a valid integer"),
        ({"seq": -1}, "seq: Input should be greater than or equal to 0"),
        ({"seq": 2**63}, "seq: Input should be less than or equal to"),
        ({"value": "0.4"}, "value: Input should be a valid number"),
        ({"value": float("nan")}, "value: Input should be a finite number"),
        ({"value": float("inf")}, "value: Input should be a finite number"),
        ({"t": "2026-11-22T06:00:00"}, "t: timestamp needs a time zone"),
        ({"t": 1_795_334_400}, "t: must be an ISO-8601 string with a time zone"),
        ({"t": "yesterday"}, "t: 'yesterday' is not ISO-8601"),
        ({"device_id": "mine/ch4"}, "device_id: 1-64 letters, digits"),
        ({"device_id": "x" * 65}, "device_id: 1-64 letters"),
        ({"kind": "Methane"}, "kind: lower-case letters"),
        ({"unit": ""}, "unit: String should have at least 1 character"),
        ({"unit": "p" * 17}, "unit: String should have at most 16 characters"),
        ({"colour": "red"}, "colour: unknown field — remove it"),
    ],
)
def test_invalid_readings_name_the_field(change: dict, message: str) -> None:
    body = {**GOOD, **change}
    body = {k: v for k, v in body.items() if v is not None}
    with pytest.raises(ValidationError) as caught:
        Reading.model_validate(body)
    assert message in describe(caught.value)


@pytest.mark.parametrize("body", [[GOOD], "text", 12, None])
def test_a_reading_is_an_object(body) -> None:
    with pytest.raises(ValidationError) as caught:
        Reading.model_validate(body)
    assert describe(caught.value).startswith("a reading must be a JSON object {device_id, kind, seq, t, value, unit}")


def test_several_problems_are_all_reported() -> None:
    with pytest.raises(ValidationError) as caught:
        Reading.model_validate({"device_id": "ch4-1101-t", "seq": -5})
    problems = describe(caught.value).split("; ")
    assert problems == [
        "kind: required — add it",
        "seq: Input should be greater than or equal to 0",
        "t: required — add it",
        "value: required — add it",
        "unit: required — add it",
    ]


def test_batch_holds_at_most_1000() -> None:
    assert len(ReadingBatch.model_validate({"readings": [GOOD] * MAX_BATCH}).readings) == 1000
    with pytest.raises(ValidationError, match="at most 1000"):
        ReadingBatch.model_validate({"readings": [GOOD] * (MAX_BATCH + 1)})
    with pytest.raises(ValidationError, match="extra"):
        ReadingBatch.model_validate({"readings": [], "site": "x"})
