"""Events from sources other than sensors — camera detectors, face recognition, tags, people — in
one schema, whatever produced them (seed 003 §3.1: "events from other sources").

One event is a JSON object::

    {"source": "vision",                     # vision | face | tag | operator | system | terrain
     "label": "no_helmet",                   # what was seen: no_helmet, unknown_face, fall_or_faint, ...
     "t": "2026-11-22T06:00:00.250Z",        # when it was seen (ISO-8601 with a time zone)
     "device_id": "cam-face-gate-1101",      # the camera / tag / gateway that saw it (optional)
     "zone_id": "face_gate_1101",            # where; defaults to the device's zone
     "asset_id": "miner-004",                # who or what it is about, when known (optional)
     "confidence": 0.91,                     # detector or matcher confidence in [0, 1] (optional)
     "value": true,                          # the signal's value: true (default) or a number
     "bbox": [212.0, 160.5, 302.0, 420.5],   # x1, y1, x2, y2 in pixels (optional, vision / face)
     "event_id": "cam-face-gate-1101:88121", # the sender's id; a re-sent event is stored once
     "attributes": {"frame": 88121}}         # anything else worth keeping, at most 4 KiB as JSON

A face identified at a check-in gate carries ``attributes.direction``: "in" (going underground) or
"out" (coming up); the headcount (``mine/headcount.py``) reads those passages.

Every accepted event is stored in ``source_events`` and becomes the rule engine's signal
``<source>.<label>`` in its zone (e.g. ``vision.no_helmet`` in ``face_gate_1101``), so a combined
rule such as "no helmet AND near a danger zone" reads a camera exactly as it reads a sensor.
Refused events go to ``rejected_payloads`` with the reason, like refused readings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, ValidationError, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from mineguard.mine.events import LABEL_PATTERN, EventSource, StoredEvent
from mineguard.mine.headcount import DIRECTIONS
from mineguard.services.ingest.schema import ID_PATTERN, describe
from mineguard.services.ingest.store import record_rejections
from mineguard.services.ingest.validate import Rejection, RejectReason, internal_error, payload_bytes
from mineguard.services.storage.models import Asset, Device, SourceEvent, Zone
from mineguard.services.timestamps import MAX_SKEW_S, IsoTime, clock_skew

MAX_EVENTS = 500
MAX_ATTRIBUTES_BYTES = 4096


class EventIn(BaseModel):
    """One event on the wire (see the module docs)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: EventSource
    label: str = Field(pattern=LABEL_PATTERN, description="what was seen, lower_snake_case, e.g. no_helmet")
    t: IsoTime
    device_id: Annotated[str, Field(pattern=ID_PATTERN)] | None = None
    zone_id: Annotated[str, Field(pattern=ID_PATTERN)] | None = None
    asset_id: Annotated[str, Field(pattern=ID_PATTERN)] | None = None
    confidence: float | None = Field(None, ge=0.0, le=1.0)
    value: StrictBool | StrictInt | StrictFloat = True
    bbox: tuple[float, float, float, float] | None = None
    event_id: str | None = Field(None, min_length=1, max_length=100)
    attributes: dict[str, Any] = Field(default_factory=dict)

    @field_validator("value")
    @classmethod
    def _finite(cls, v: bool | float) -> bool | float:
        if (not isinstance(v, bool) and v != v) or v in (float("inf"), float("-inf")):
            raise ValueError("must be true/false or a finite number")
        return v

    @field_validator("bbox")
    @classmethod
    def _box(cls, v: tuple[float, float, float, float] | None) -> tuple[float, float, float, float] | None:
        if v is not None and not (v[2] > v[0] and v[3] > v[1]):
            raise ValueError("bbox is [x1, y1, x2, y2] with x2 > x1 and y2 > y1 (pixels)")
        return v

    @field_validator("attributes")
    @classmethod
    def _small(cls, v: dict[str, Any]) -> dict[str, Any]:
        size = len(json.dumps(v, default=str))
        if size > MAX_ATTRIBUTES_BYTES:
            raise ValueError(f"attributes are {size} bytes as JSON, over {MAX_ATTRIBUTES_BYTES} — keep ids, not images")
        if "direction" in v and v["direction"] not in DIRECTIONS:
            raise ValueError(f'attributes.direction is {v["direction"]!r} — use "in" (going underground) or "out"')
        return v

    @property
    def signal_key(self) -> str:
        return f"{self.source.value}.{self.label}"


@dataclass
class EventReport:
    accepted: list[StoredEvent] = field(default_factory=list)
    duplicates: int = 0
    rejected: list[Rejection] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "accepted": len(self.accepted),
            "duplicates": self.duplicates,
            "rejected": len(self.rejected),
            "ids": [e.id for e in self.accepted],
            "rejects": [r.to_json() for r in self.rejected],
        }


def parse_events(body: bytes) -> list[Any] | Rejection:
    """``{"events": [...]}`` or a bare JSON array of at most ``MAX_EVENTS`` items, not yet validated."""
    try:
        obj = json.loads(body.decode("utf-8-sig"))
    except (ValueError, RecursionError):
        return Rejection(None, RejectReason.MALFORMED_JSON, 'body is not valid JSON — send {"events": [...]}', raw=body)
    if isinstance(obj, dict) and set(obj) == {"events"}:
        obj = obj["events"]
    if not isinstance(obj, list):
        return Rejection(
            None, RejectReason.INVALID_SCHEMA, 'send {"events": [event, ...]} or a JSON array of events', raw=body
        )
    if len(obj) > MAX_EVENTS:
        return Rejection(
            None,
            RejectReason.OVERSIZED,
            f"{len(obj)} events in one batch, over {MAX_EVENTS} — split the batch",
            raw=body,
        )
    return obj


def store_events(
    session: Session, items: list[Any], *, source: str, now: datetime, max_skew_s: float = MAX_SKEW_S
) -> EventReport:
    """Validate, de-duplicate and store each event on its own; refused ones go to ``rejected_payloads``."""
    report = EventReport()
    valid: list[tuple[int, EventIn, bytes]] = []
    for index, item in enumerate(items):
        raw = payload_bytes(item)
        try:
            valid.append((index, EventIn.model_validate(item), raw))
        except ValidationError as exc:
            report.rejected.append(Rejection(index, RejectReason.INVALID_SCHEMA, describe(exc), raw=raw))
        except Exception as exc:  # a check that raises refuses this event alone, never the batch
            report.rejected.append(internal_error(index, exc, raw))
    device_zone = dict(
        session.execute(
            select(Device.id, Device.zone_id).where(Device.id.in_({e.device_id for _, e, _ in valid if e.device_id}))
        ).all()
    )
    zones = set(session.scalars(select(Zone.id)))
    assets = set(session.scalars(select(Asset.id).where(Asset.id.in_({e.asset_id for _, e, _ in valid if e.asset_id}))))
    keys = {_key(e) for _, e, _ in valid if e.event_id}
    seen = (
        set(session.scalars(select(SourceEvent.dedupe_key).where(SourceEvent.dedupe_key.in_(keys)))) if keys else set()
    )
    for index, event, raw in valid:
        problem = _check(event, device_zone, zones, assets, now, max_skew_s)
        if problem is not None:
            reason, detail = problem
            report.rejected.append(Rejection(index, reason, detail, event.device_id, raw=raw))
            continue
        key = _key(event) if event.event_id else None
        if key is not None and key in seen:
            report.duplicates += 1
            continue
        zone_id = event.zone_id or device_zone.get(event.device_id or "")
        row = SourceEvent(
            source=event.source.value,
            label=event.label,
            t=event.t,
            received_at=now,
            device_id=event.device_id,
            zone_id=zone_id,
            asset_id=event.asset_id,
            confidence=event.confidence,
            value=float(event.value),
            bbox=list(event.bbox or []) or None,
            dedupe_key=key,
            attributes=event.attributes,
            sender=source,
        )
        session.add(row)
        session.flush()
        if key is not None:
            seen.add(key)
        report.accepted.append(StoredEvent(row.id, event.signal_key, event.t, zone_id, event.value, event.asset_id))
    record_rejections(session, report.rejected, source=source, now=now)
    return report


def _key(event: EventIn) -> str:
    return f"{event.device_id or event.source.value}:{event.event_id}"


def _check(
    event: EventIn, device_zone: dict[str, str | None], zones: set[str], assets: set[str], now: datetime, skew_s: float
) -> tuple[RejectReason, str] | None:
    if event.device_id is not None and event.device_id not in device_zone:
        return RejectReason.UNKNOWN_DEVICE, (
            f"device_id {event.device_id!r} is not a device of this site — register "
            "it in the site file (devices:) or leave device_id out"
        )
    if event.zone_id is not None and event.zone_id not in zones:
        return RejectReason.INVALID_SCHEMA, f"zone_id {event.zone_id!r} is not a zone of this site — see /api/v1/zones"
    if event.asset_id is not None and event.asset_id not in assets:
        return RejectReason.INVALID_SCHEMA, (
            f"asset_id {event.asset_id!r} is not a person or machine of this site — "
            "see /api/v1/assets, or leave asset_id out"
        )
    skew = clock_skew(event.t, now, skew_s)
    return (RejectReason.CLOCK_SKEW, skew) if skew else None
