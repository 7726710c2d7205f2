"""Hostile rule documents: every one is a 422 whose ``details`` name the field (``loc``), say what is
wrong and how to fix it, and changes nothing (the version stays) — never an HTTP 500, on SQLite and
on PostgreSQL (whose JSON refuses NaN: it used to reach the database and fail there)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from .conftest import Api

METHANE = {
    "id": "methane.working_face",
    "kind": "methane",
    "zone_kind": "working_face",
    "unit": "ppm",
    "levels": [{"severity": "warning", "threshold": 5000}],
}
HUGE = "x" * 150_000
RAW = "@raw@"


def _rules(api: Api) -> dict[str, Any]:
    return api.call("super_manager", "GET", "/api/v1/rules").json()


def _threshold(**edits: Any) -> dict[str, Any]:
    return {"thresholds": [{**METHANE, **edits}]}


def _raw_threshold(text: str) -> tuple[dict[str, Any], str]:
    return _threshold(levels=[{"severity": "warning", "threshold": RAW}]), text


# (name, the edits (see _body), the loc refused, words of its message, words of its fix)
HOSTILE = [
    (
        "nan",
        _raw_threshold("NaN"),
        ["rules", "thresholds", 0, "levels", 0, "threshold"],
        "finite number",
        "finite number",
    ),
    (
        "infinity",
        _raw_threshold("-Infinity"),
        ["rules", "thresholds", 0, "levels", 0, "threshold"],
        "finite number",
        "NaN",
    ),
    ("1e400", _raw_threshold("1e400"), ["rules", "thresholds", 0, "levels", 0, "threshold"], "finite number", "finite"),
    (
        "text threshold",
        _raw_threshold('"high"'),
        ["rules", "thresholds", 0, "levels", 0, "threshold"],
        "valid number",
        "e.g. 0.5",
    ),
    (
        "bool threshold",
        _raw_threshold("true"),
        ["rules", "thresholds", 0, "levels", 0, "threshold"],
        "valid number",
        "number",
    ),
    (
        "unknown unit",
        _threshold(unit="furlong"),
        ["rules", "thresholds", 0, "unit"],
        "'furlong' is not",
        "%, %vol, ppm",
    ),
    ("unknown kind", _threshold(kind="smell", unit=None), ["rules", "thresholds", 0, "kind"], "'smell'", "known kinds"),
    (
        "unknown zone",
        _threshold(zone="face_9", zone_kind=None),
        ["rules", "thresholds", 0, "zone"],
        "'face_9'",
        "known",
    ),
    ("zone and kind", _threshold(zone="face_1101"), ["rules", "thresholds", 0, "zone_kind"], "not both", "clear one"),
    ("huge id", _threshold(id=HUGE), ["rules", "thresholds", 0, "id"], "150000 characters", "methane.working_face"),
    ("control id", _threshold(id="a\u0000b"), ["rules", "thresholds", 0, "id"], "not a rule id", "letters"),
    ("huge name", {"names": {"methane": HUGE}}, ["rules", "names", "methane"], "at most 100", "at most 100"),
    ("huge action", _threshold(action=HUGE), ["rules", "thresholds", 0, "action"], "at most 1000", "shorten"),
    (
        "order",
        _threshold(levels=[{"severity": "warning", "threshold": 9}, {"severity": "critical", "threshold": 1}]),
        ["rules", "thresholds", 0, "levels"],
        "must increase",
        None,
    ),
    ("rules a list", [1, 2], ["rules"], "valid dictionary", "object"),
    ("thresholds text", {"thresholds": "many"}, ["rules", "thresholds"], "valid list", "list"),
    ("no levels", _threshold(levels=[]), ["rules", "thresholds", 0, "levels"], "at least 1", "at least 1"),
    (
        "bad severity",
        _threshold(levels=[{"severity": "dire", "threshold": 1}]),
        ["rules", "thresholds", 0, "levels", 0, "severity"],
        "Input should be",
        "use one of",
    ),
    ("unknown key", _threshold(colour="red"), ["rules", "thresholds", 0, "colour"], "unknown field", "remove it"),
    (
        "nan timeout",
        ({"escalation": {"ack_timeout_s": {"warning": RAW}}}, "NaN"),
        ["rules", "escalation", "ack_timeout_s", "warning"],
        "finite",
        "finite",
    ),
    (
        "unknown signal",
        {"combined": [{"id": "c", "severity": "warning", "all": [{"signal": "fan-9.x", "op": "present"}]}]},
        ["rules", "combined", 0, "all", 0, "signal"],
        "unknown signal",
        "use a sensor kind",
    ),
]


def _body(current: dict[str, Any], edits: Any) -> str:
    """The PUT body as JSON text: ``edits`` merged into the current rules (a list: the whole rules),
    where ``(edits, text)`` writes ``text`` verbatim in place of :data:`RAW` (NaN is not JSON)."""
    edits, text = edits if isinstance(edits, tuple) else (edits, "")
    rules = edits if isinstance(edits, list) else {**current, **edits}
    return json.dumps({"rules": rules, "expected_version": 1}).replace(f'"{RAW}"', text)


@pytest.mark.parametrize(("edits", "loc", "says", "fix"), [h[1:] for h in HOSTILE], ids=[h[0] for h in HOSTILE])
def test_a_hostile_rule_document_is_a_422_at_its_field_and_changes_nothing(
    shared_api: Api, edits: Any, loc: list, says: str, fix: str | None
) -> None:
    before = _rules(shared_api)
    body = _body(before["rules"], edits)
    headers = {"Content-Type": "application/json"}
    response = shared_api.call("super_manager", "PUT", "/api/v1/rules", content=body, headers=headers)
    assert response.status_code == 422, response.text[:500]
    details = response.json()["error"]["details"]
    assert [d["loc"] for d in details] == [loc], details
    assert says in details[0]["message"] and len(details[0]["message"]) < 600, details
    assert fix is None or fix in (details[0]["fix"] or ""), details
    assert details[0]["field"].startswith("rules")
    assert len(response.text) < 4000  # a huge value is not echoed back
    after = _rules(shared_api)
    assert (after["version"], after["rules"]) == (before["version"], before["rules"])
