"""The wire contract of a sensor reading, the same on every transport.

One reading is a JSON object (UTF-8), nothing more and nothing less::

    {"device_id": "ch4-1101-t",            # a sensor declared in the site file (devices:)
     "kind": "methane",                    # the sensor kind; must equal the device's sensor_kind
     "seq": 1042,                          # int >= 0, per device, strictly increasing
     "t": "2026-11-22T06:00:00.250+08:00", # ISO-8601 with a time zone (Z or +hh:mm)
     "value": 0.42,                        # a finite JSON number
     "unit": "%"}                          # any unit units.py converts for the kind

- ``seq`` numbers one device's readings; ``(device_id, seq)`` is the de-duplication key, so a
  re-sent reading is stored once. It must never go back, also across restarts: a counter that
  restarts at 0 collides with stored readings (persist it, or use the reading time in ms).
- ``t`` is when the sensor measured, not when it was sent; stored as UTC. Readings more than
  ``max_skew_s`` (300 s) ahead of the server clock are refused, and so are times outside
  1900..9000 or without a zone (``mineguard.services.timestamps``).
- ``value`` is stored converted to the kind's canonical unit (``units.CANONICAL_UNITS``), with
  the raw value and unit kept; values outside the kind's physical span are refused.
- A single reading's JSON is at most 64 KiB.

HTTP (``POST /api/v1/readings``): a batch, ``{"readings": [reading, ...]}`` or a bare JSON array,
of at most 1000 readings. Each reading succeeds or fails on its own.

MQTT (the in-process bus uses the same scheme): topic ``mineguard/<site_id>/<device_id>/<kind>``,
payload one reading as above, or several readings of that device as a batch (``[reading, ...]`` or
``{"readings": [...]}``, at most 1000 and 1 MB: a device's backlog after a lost link, or readings
grouped to save the per-message cost); the topic's device and kind must equal each reading's. Each
reading of a batch succeeds or fails on its own. Levels may not contain ``/``, ``+`` or ``#``.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError

from mineguard.services.timestamps import IsoTime

MAX_BATCH = 1000
MAX_PAYLOAD_BYTES = 64 * 1024
MAX_MESSAGE_BATCH_BYTES = 1_000_000  # an MQTT message that carries a batch of readings
SEQ_MAX = 2**63 - 1  # BIGINT
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"  # no '/', '+', '#': ids are MQTT topic levels
KIND_PATTERN = r"^[a-z][a-z0-9_]{0,31}$"


class Reading(BaseModel):
    """One sensor reading as sent by a device or gateway (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    device_id: str = Field(pattern=ID_PATTERN, description="sensor id from the site file")
    kind: str = Field(pattern=KIND_PATTERN, description="sensor kind, e.g. methane, co, temperature")
    seq: StrictInt = Field(ge=0, le=SEQ_MAX, description="per-device sequence number, strictly increasing")
    t: IsoTime = Field(description="measurement time, ISO-8601 with a time zone")
    value: float = Field(strict=True, allow_inf_nan=False, description="the measured value in `unit`")
    unit: str = Field(min_length=1, max_length=16, description="unit of `value`, e.g. %, ppm, degC")


class ReadingBatch(BaseModel):
    """The HTTP batch body ``{"readings": [...]}`` (1 to 1000 readings)."""

    model_config = ConfigDict(extra="forbid")

    readings: list[Reading] = Field(max_length=MAX_BATCH)


_PATTERN_HINTS = {
    "device_id": "1-64 letters, digits, '_', '.', ':' or '-' (no '/', '+', '#') — use the id from the site file",
    "kind": "lower-case letters, digits and '_' — e.g. methane, co, wind_speed",
}


def describe(exc: ValidationError) -> str:
    """The problems of a failed validation, each naming the field and the fix, joined by '; '."""
    problems = []
    for error in exc.errors(include_url=False):
        where = ".".join(str(part) for part in error.get("loc", ())) or "reading"
        kind = error.get("type", "")
        if kind == "missing":
            problems.append(f"{where}: required — add it")
        elif kind == "extra_forbidden":
            problems.append(f"{where}: unknown field — remove it (a reading has device_id, kind, seq, t, value, unit)")
        elif kind == "model_type":
            got = type(error.get("input")).__name__
            problems.append(f"a reading must be a JSON object {{device_id, kind, seq, t, value, unit}}, not {got}")
        elif kind == "string_pattern_mismatch" and where in _PATTERN_HINTS:
            problems.append(f"{where}: {_PATTERN_HINTS[where]}")
        else:
            problems.append(f"{where}: {error.get('msg', 'invalid').removeprefix('Value error, ')}")
    return "; ".join(problems)
