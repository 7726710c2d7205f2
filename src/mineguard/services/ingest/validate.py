"""Checks of one reading, in order: size, JSON, schema, topic, device, kind, unit, span, clock.

Each failed check gives a :class:`Rejection` with a :class:`RejectReason` and a detail that
says what to fix. The checks that need stored readings (duplicates, out of order) live in
:mod:`.store`; :func:`out_of_order` states the rule they use.

A value outside the *physical* span of its kind is refused here and kept among the rejects with its
raw payload. A possible but untrustworthy value (outside the instrument span, a spike, stuck, after a
gap) is not refused: it is stored and flagged by the live cleanser (``warning.sensing.live``).
"""

from __future__ import annotations

import base64
import json
import logging
import re
import sys
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import cached_property
from typing import Any

from pydantic import TypeAdapter, ValidationError

from mineguard.mine.units import CANONICAL_UNITS, UnitError, out_of_span, to_canonical
from mineguard.services.ingest.schema import (
    ID_PATTERN,
    MAX_BATCH,
    MAX_MESSAGE_BATCH_BYTES,
    SEQ_MAX,
    Reading,
    ReadingBatch,
    describe,
)
from mineguard.services.timestamps import clock_skew

log = logging.getLogger(__name__)
STORED_PAYLOAD_BYTES = 64 * 1024


class BatchMessage:
    """The bytes of an MQTT message that carries several readings, all valid (:func:`message_readings`). Parsed
    again, once, only when one of its readings is refused later and its own text is kept among the rejects."""

    __slots__ = ("_items", "raw")

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self._items: list[Any] | None = None

    def item(self, index: int) -> Any:
        """Reading ``index`` as :func:`parse_batch` passes it on (the message parsed whole: it cannot be refused)."""
        if self._items is None:
            items = parse_batch(self.raw, max_batch=sys.maxsize)  # its size was checked when it was validated
            assert not isinstance(items, Rejection), "a batch message validated whole parses"
            self._items = items
        return self._items[index]


@dataclass(frozen=True, slots=True)
class BatchItem:
    """Reading ``index`` of a batch message validated whole: the schema check is done (``reading``)."""

    reading: Reading
    message: BatchMessage
    index: int


Payload = bytes | str | dict[str, Any] | BatchItem


class RejectReason(StrEnum):
    MALFORMED_JSON = "malformed_json"
    INVALID_SCHEMA = "invalid_schema"
    UNKNOWN_DEVICE = "unknown_device"
    WRONG_KIND = "wrong_kind"
    WRONG_UNIT = "wrong_unit"
    OUT_OF_RANGE = "out_of_range"
    OUT_OF_ORDER = "out_of_order"
    DUPLICATE = "duplicate"  # only a *conflicting* duplicate; an identical re-send is just counted
    CLOCK_SKEW = "clock_skew"
    OVERSIZED = "oversized"
    INTERNAL_ERROR = "internal_error"  # checking or storing this payload raised: kept, refused alone, logged


@dataclass(frozen=True)
class Rejection:
    """Payload number ``index`` of a call to ``ingest`` was refused."""

    index: int | None  # None: the whole delivery (e.g. an HTTP body that is not JSON)
    reason: RejectReason
    detail: str
    device_id: str | None = None
    seq: int | None = None
    raw: bytes = field(default=b"", repr=False)  # the payload as received, for rejected_payloads

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "reason": self.reason.value,
            "detail": self.detail,
            "device_id": self.device_id,
            "seq": self.seq,
        }


def internal_error(
    index: int | None, exc: BaseException, raw: bytes, device_id: str | None = None, seq: int | None = None
) -> Rejection:
    """The rejection of a payload whose checks or storage raised: it is refused alone (never its
    batch), kept among the rejects with its raw bytes, and the traceback is logged."""
    log.error("payload %s refused: processing it raised %s", index, type(exc).__name__, exc_info=exc)
    detail = (
        f"processing this payload failed inside MineGuard ({type(exc).__name__}: {str(exc)[:200]}) — it is "
        "kept among the rejects; report it with the payload, the rest of its batch was stored"
    )
    return Rejection(index, RejectReason.INTERNAL_ERROR, detail, device_id, seq, raw)


@dataclass(frozen=True)
class DeviceInfo:
    """What the checks need to know about a device, with its highest stored seq and that reading's time."""

    id: str
    kind: str
    sensor_kind: str | None
    unit: str | None
    state: dict[str, Any]
    updated_at: datetime | None
    max_seq: int | None
    max_seq_t: datetime | None


@dataclass(frozen=True)
class Candidate:
    """A reading that passed every check that needs no stored readings; ``value``/``unit`` canonical."""

    index: int
    reading: Reading
    value: float
    unit: str
    payload: Payload = field(repr=False)  # as received: bytes, or what a batch parsed it into

    @cached_property
    def raw(self) -> bytes:  # only a reading refused after this point needs it (kept among the rejects)
        return payload_bytes(self.payload)

    @cached_property
    def key(self) -> tuple[str, int]:  # looked up several times per reading on the ingest path: built once
        return self.reading.device_id, self.reading.seq

    def same_as(self, kind: str, t: datetime, raw_value: float, raw_unit: str) -> bool:
        """Whether a reading with this key carries the same measurement (an identical re-send)."""
        r = self.reading
        return (r.kind, r.t, r.value, r.unit) == (kind, t, raw_value, raw_unit)


def payload_bytes(payload: Payload) -> bytes:
    """The payload as bytes: text as UTF-8, an already parsed object as compact JSON."""
    if isinstance(payload, bytes | bytearray | memoryview):
        return bytes(payload)
    if isinstance(payload, str):
        return payload.encode("utf-8", errors="surrogatepass")
    if isinstance(payload, BatchItem):
        return payload_bytes(payload.message.item(payload.index))
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str)
    try:
        return text.encode()
    except UnicodeEncodeError:  # a lone surrogate (an escaped \ud800 in the JSON) has no UTF-8: keep it escaped
        return json.dumps(payload, separators=(",", ":"), default=str).encode()


def stored_payload(raw: bytes, limit: int = STORED_PAYLOAD_BYTES) -> tuple[str, str, bool]:
    """``(text, encoding, truncated)`` for ``rejected_payloads``: UTF-8 text when it is, else base64."""
    truncated = len(raw) > limit
    chunk = raw[:limit]
    if b"\x00" not in chunk:
        for cut in range(4 if truncated else 1):  # a cut may split a multi-byte character
            try:
                return chunk[: len(chunk) - cut].decode("utf-8"), "utf-8", truncated
            except UnicodeDecodeError:
                continue
    return base64.b64encode(chunk).decode("ascii"), "base64", truncated


def parse_reading(
    index: int, payload: Payload, *, max_bytes: int, expected: tuple[str, str] | None = None
) -> Reading | Rejection:
    """Size, JSON and schema checks of ``payload`` (bytes or text as received, the object a batch was parsed
    into, or a :class:`BatchItem` already validated with its message); ``expected`` is the (device_id, kind) a
    transport's topic claims."""
    reading: Reading | None = payload.reading if isinstance(payload, BatchItem) else None
    raw: bytes | None = None
    obj: Any = payload
    if reading is None and not isinstance(payload, dict):
        raw = payload_bytes(payload)
        if len(raw) > max_bytes:
            return _oversized(index, raw, max_bytes)
        reading = _fast_parse(raw)
        if reading is None:
            try:
                obj = json.loads(raw.decode("utf-8-sig"))
            except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
                why = exc.msg if isinstance(exc, json.JSONDecodeError) else type(exc).__name__
                detail = f"not valid JSON ({why}) — send one UTF-8 JSON object per reading"
                return Rejection(index, RejectReason.MALFORMED_JSON, detail, raw=raw)
    if reading is None:
        try:
            reading = Reading.model_validate(obj)
        except ValidationError as exc:
            if raw is None:  # a parsed object: a valid reading's fields are bounded, only a refused one is sized
                raw = payload_bytes(payload)
                if len(raw) > max_bytes:
                    return _oversized(index, raw, max_bytes)
            device_id, seq = _identity(obj)  # only a refused payload needs them (to be filed under)
            return Rejection(index, RejectReason.INVALID_SCHEMA, describe(exc), device_id, seq, raw)
    if expected is not None and (reading.device_id, reading.kind) != expected:
        detail = (
            f"topic says device {expected[0]!r} kind {expected[1]!r} but the payload says device "
            f"{reading.device_id!r} kind {reading.kind!r} — publish to mineguard/<site_id>/<device_id>/<kind> "
            "of the reading itself"
        )
        raw = raw if raw is not None else payload_bytes(payload)
        return Rejection(index, RejectReason.INVALID_SCHEMA, detail, reading.device_id, reading.seq, raw)
    return reading


def _oversized(index: int, raw: bytes, max_bytes: int) -> Rejection:
    detail = (
        f"payload is {len(raw)} bytes, over the {max_bytes}-byte limit — a reading is one small JSON "
        "object; check what the sender puts in it"
    )
    return Rejection(index, RejectReason.OVERSIZED, detail, raw=raw)


def _fast_parse(raw: bytes) -> Reading | None:
    """``raw`` as a :class:`Reading` when it is a valid one, parsed by pydantic straight from the JSON (no
    ``json.loads`` and no dict in between: the common case on the ingest path); None for anything else,
    which the slow path then parses again to name the problem. Both accept exactly the same readings
    (strict fields, no NaN, the last of repeated keys): ``tests/services/ingest/test_validate.py``."""
    try:
        return Reading.model_validate_json(raw)
    except (ValueError, RecursionError):  # ValidationError is a ValueError
        return None


def _identity(obj: Any) -> tuple[str | None, int | None]:
    """device_id and seq of an invalid payload when they are usable, to file the reject under."""
    if not isinstance(obj, dict):
        return None, None
    device_id, seq = obj.get("device_id"), obj.get("seq")
    device_id = device_id if isinstance(device_id, str) and re.fullmatch(ID_PATTERN, device_id) else None
    seq = seq if isinstance(seq, int) and not isinstance(seq, bool) and 0 <= seq <= SEQ_MAX else None
    return device_id, seq


def check_reading(
    index: int, reading: Reading, payload: Payload, device: DeviceInfo | None, *, now: datetime, max_skew_s: float
) -> Candidate | Rejection:
    """Device, kind, unit, physical span and clock checks; the value is converted to the canonical unit."""

    def reject(reason: RejectReason, detail: str) -> Rejection:
        return Rejection(index, reason, detail, reading.device_id, reading.seq, payload_bytes(payload))

    if device is None:
        return reject(
            RejectReason.UNKNOWN_DEVICE,
            f"device {reading.device_id!r} does not exist — check device_id, "
            "or declare the sensor in the site file (devices:)",
        )
    if device.kind != "sensor" or not device.sensor_kind:
        return reject(
            RejectReason.UNKNOWN_DEVICE,
            f"device {reading.device_id!r} is a {device.kind}, not a sensor — "
            "only sensors (devices with a sensor_kind) send readings",
        )
    if reading.kind != device.sensor_kind:
        return reject(
            RejectReason.WRONG_KIND,
            f"device {device.id!r} is a {device.sensor_kind} sensor but the reading "
            f"says kind {reading.kind!r} — send kind {device.sensor_kind!r} for this device",
        )
    if reading.kind in CANONICAL_UNITS:
        try:
            value, unit = to_canonical(reading.kind, reading.value, reading.unit), CANONICAL_UNITS[reading.kind]
        except UnitError as exc:
            return reject(RejectReason.WRONG_UNIT, str(exc))
        problem = out_of_span(reading.kind, value)
        if problem:
            return reject(RejectReason.OUT_OF_RANGE, problem)
    elif device.unit and reading.unit != device.unit:  # a kind units.py does not know: the site file's unit
        return reject(
            RejectReason.WRONG_UNIT,
            f"{reading.kind} of {device.id!r} is recorded in {device.unit!r}, not "
            f"{reading.unit!r} — send {device.unit!r}",
        )
    else:
        value, unit = reading.value, reading.unit
    skew = clock_skew(reading.t, now, max_skew_s)
    if skew:
        return reject(RejectReason.CLOCK_SKEW, skew)
    return Candidate(index, reading, value, unit, payload)


def out_of_order(seq: int, t: datetime, max_seq: int | None, max_seq_t: datetime | None) -> bool:
    """The ordering rule: a reading is out of order when its seq is *below* the device's highest
    seq and its time is *later* than that reading's time.

    A lower seq with an earlier (or equal) time is a late delivery — at-least-once transports and
    store-and-forward gateways reorder — and is accepted. A lower seq with a later time means the
    device's counter went back (a restart without a persisted counter) or its clock jumped: the
    reading cannot be placed, and the ``(device_id, seq)`` key could collide with stored data.
    A seq equal to a stored one is a duplicate, checked before this rule.
    """
    return max_seq is not None and max_seq_t is not None and seq < max_seq and t > max_seq_t


def out_of_order_detail(seq: int, t: datetime, max_seq: int, max_seq_t: datetime) -> str:
    return (
        f"seq {seq} is below the device's highest seq {max_seq} (t {max_seq_t.isoformat()}) but its t "
        f"{t.isoformat()} is later — the sequence counter went back (restart?); keep seq increasing across "
        "restarts (persist the counter or use the time in ms)"
    )


_BATCH_START = re.compile(rb'(?:\xef\xbb\xbf)?\s*(?:\[|\{\s*"readings"\s*:)')


def is_batch(payload: bytes) -> bool:
    """Whether a message carries several readings (a JSON array, or ``{"readings": [...]}``), not one."""
    return _BATCH_START.match(payload) is not None


def batch_weight(payload: bytes) -> int:
    """About how many readings a message carries (1 for a single reading), cheaply, before it is parsed:
    what bounds the size of a worker's transaction."""
    return max(1, payload.count(b'"seq"')) if is_batch(payload) else 1


def message_readings(
    payload: bytes, *, max_batch: int = MAX_BATCH, max_bytes: int = MAX_MESSAGE_BATCH_BYTES, validated: bool = True
) -> list[Payload] | Rejection | None:
    """The readings of an MQTT message that carries several of one device (a JSON array, or
    ``{"readings": [...]}``: the backlog a device or gateway sends after a lost link, or readings
    grouped to save per-message cost), each to be checked on its own; None for a message of one
    reading; a :class:`Rejection` (index None) when the whole message is unusable.

    ``validated``: a message whose readings are all valid comes back as :class:`BatchItem` s validated in one
    call (what the ingest worker stores); False: always the parsed JSON objects (what a cluster ingest member
    forwards as JSON, for the service to check)."""
    if not is_batch(payload):
        return None
    if len(payload) > max_bytes:
        detail = (
            f"message is {len(payload)} bytes, over the {max_bytes}-byte limit for a batch of readings — "
            f"send at most {max_batch} readings per message"
        )
        return Rejection(None, RejectReason.OVERSIZED, detail, raw=payload)
    readings = _fast_batch(payload, max_batch) if validated else None
    if readings is not None:
        message = BatchMessage(payload)
        return [BatchItem(reading, message, i) for i, reading in enumerate(readings)]
    return parse_batch(payload, max_batch=max_batch, noun="message")


_READING_LIST = TypeAdapter(list[Reading])


def _fast_batch(payload: bytes, max_batch: int) -> list[Reading] | None:
    """The readings of a batch message when every one is valid, parsed by pydantic straight from the JSON in one
    call (~1.3 µs a reading less than ``json.loads`` and one validation per reading); None for anything else
    (one invalid reading, a BOM, too many), which :func:`parse_batch` then reads reading by reading to refuse only
    what is wrong. Both accept the same readings: ``tests/services/ingest/test_validate.py``."""
    try:
        if payload.lstrip()[:1] == b"[":
            readings = _READING_LIST.validate_json(payload)
        else:
            readings = ReadingBatch.model_validate_json(payload).readings
    except (ValueError, RecursionError):  # ValidationError is a ValueError
        return None
    return readings if len(readings) <= max_batch else None


def parse_batch(body: bytes, *, max_batch: int, noun: str = "body") -> list[Payload] | Rejection:
    """The readings of an HTTP body ``{"readings": [...]}`` or ``[...]``, each to be checked on its own.

    Objects are passed on parsed; any other element is passed as its JSON text, so it fails the
    schema check as "not an object" instead of being read as JSON a second time.
    """
    shape = 'send {"readings": [reading, ...]} or a JSON array of readings'
    try:
        obj = json.loads(body.decode("utf-8-sig"))
    except (ValueError, RecursionError) as exc:
        why = exc.msg if isinstance(exc, json.JSONDecodeError) else type(exc).__name__
        return Rejection(None, RejectReason.MALFORMED_JSON, f"{noun} is not valid JSON ({why}) — {shape}", raw=body)
    if isinstance(obj, dict) and set(obj) == {"readings"}:
        obj = obj["readings"]
    if not isinstance(obj, list):
        got = f"an object with keys {sorted(obj)[:10]}" if isinstance(obj, dict) else type(obj).__name__
        return Rejection(None, RejectReason.INVALID_SCHEMA, f"{noun} is {got} — {shape}", raw=body)
    if len(obj) > max_batch:
        return Rejection(
            None,
            RejectReason.INVALID_SCHEMA,
            f"batch has {len(obj)} readings, at most {max_batch} are taken — split it into smaller batches",
            raw=body,
        )
    return [item if isinstance(item, dict) else json.dumps(item).encode() for item in obj]
