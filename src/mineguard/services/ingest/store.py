"""Store a batch of readings exactly once, with its cleansing flags, and every refused payload with its reason.

A reading goes validate (:mod:`.validate`) -> convert (:mod:`.units`) -> cleanse -> store here: the
readings that passed the checks and are new are flagged by the :class:`Cleanser` the caller passes
(the service's one ``warning.sensing.live.LiveCleanser``, shared by the HTTP route and the bus /
MQTT worker) and stored with the canonical value, the raw value and unit as sent, and the flags
(a bitmask of ``warning.sensing.checks.Flag``; 0 = clean). Align and the rules come after the
commit (the alert pipeline's ``RuleFeed``).

``ingest`` runs in the caller's transaction (the caller commits). Per batch it makes a fixed
number of statements, not one per reading: one SELECT of the devices with their highest stored
seq, one more SELECT only when a reading's seq is at or below that (a possible re-send), one
INSERT ... ON CONFLICT (device_id, seq) DO NOTHING RETURNING for all new readings (COPY
through a staging table on PostgreSQL, :mod:`.bulk`), one UPDATE
of the live state per device, and one INSERT of the rejects.

Duplicates are decided by the UNIQUE (device_id, seq) constraint, so two sessions ingesting the
same readings at once store each reading once: the loser's rows are not returned by the
INSERT, and are then compared with the stored ones (identical -> counted as a duplicate;
different -> rejected as a conflicting duplicate). The out-of-order rule
(:func:`.validate.out_of_order`) compares with the device's highest seq read at the start of
the batch and updated by the batch's own readings in arrival order; under concurrent ingest of
the same device it is best-effort, duplicates are exact.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from sqlalchemy import and_, func, insert, or_, select
from sqlalchemy.orm import Session

from mineguard.services.ingest.bulk import LiveRow, insert_new, set_live_states
from mineguard.services.ingest.schema import MAX_PAYLOAD_BYTES, Reading
from mineguard.services.ingest.validate import (
    Candidate,
    DeviceInfo,
    Payload,
    Rejection,
    RejectReason,
    check_reading,
    internal_error,
    out_of_order,
    out_of_order_detail,
    parse_reading,
    payload_bytes,
    stored_payload,
)
from mineguard.services.storage.models import Device, RejectedPayload, SensorReading
from mineguard.services.timestamps import MAX_SKEW_S

StoredKey = tuple[str, int]
StoredMeasurement = tuple[str, datetime, float, str]  # kind, t, raw_value, raw_unit


class Cleanser(Protocol):
    """The cleanse stage: a flag bitmask per reading ``(device_id, kind, seq, t, canonical value)``."""

    def judge_many(self, readings: Sequence[tuple[str, str, int, datetime, float]]) -> list[int]: ...


class AcceptedReading(NamedTuple):
    """A reading stored by this call; ``value``/``unit`` canonical, ``raw_*`` as sent, ``t`` in UTC.

    An in-memory view of the :class:`SensorReading` row just inserted (``id`` is its row id), built
    without reading it back, for the alert pipeline and the ingest counters. The API's view of a
    stored row is ``services/api/schemas/readings.py`` ``ReadingOut``; both name only columns of the row.
    A named tuple, not a dataclass: ingest worker processes send thousands a second to the service
    (``pool.py``), and a tuple is built and read several times faster.
    """

    id: int
    device_id: str
    kind: str
    seq: int
    t: datetime
    value: float
    unit: str
    raw_value: float
    raw_unit: str
    flags: int = 0  # bitmask of warning.sensing.checks.Flag


@dataclass
class IngestReport:
    """What one call to :func:`ingest` did with each payload."""

    accepted: list[AcceptedReading] = field(default_factory=list)
    duplicates: int = 0  # identical re-sends: neither stored again nor rejected
    rejections: list[Rejection] = field(default_factory=list)  # in payload order
    live: dict[str, dict[str, Any]] = field(default_factory=dict)  # device_id -> new live state

    @property
    def rejected(self) -> int:
        return len(self.rejections)

    @property
    def rejected_by_reason(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for rejection in self.rejections:
            counts[rejection.reason.value] += 1
        return dict(sorted(counts.items()))

    def to_json(self) -> dict[str, Any]:
        return {
            "accepted": len(self.accepted),
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "rejected_by_reason": self.rejected_by_reason,
            "rejects": [r.to_json() for r in self.rejections],
        }


def ingest(
    session: Session,
    payloads: Sequence[Payload],
    *,
    source: str,
    now: datetime,
    max_bytes: int = MAX_PAYLOAD_BYTES,
    max_skew_s: float = MAX_SKEW_S,
    expected: Sequence[tuple[str, str] | None] | None = None,
    cleanser: Cleanser | None = None,
) -> IngestReport:
    """Validate, de-duplicate, cleanse and store ``payloads`` (raw JSON bytes/text or parsed objects).

    ``source`` names the transport and sender ("http:gw-faces", "bus"); ``now`` is the
    receive time (aware), also the reference for the clock-skew check; ``expected`` gives per
    payload the (device_id, kind) its transport claims (the MQTT topic), or None; ``cleanser``
    flags the new readings (None: stored unflagged — the service always passes its one cleanser).
    """
    if now.tzinfo is None:
        raise ValueError("now has no time zone — pass an aware UTC datetime")
    if expected is not None and len(expected) != len(payloads):
        raise ValueError(f"expected has {len(expected)} entries for {len(payloads)} payloads — give one per payload")
    report = IngestReport()
    parsed: list[tuple[int, Reading, Payload]] = []
    for index, payload in enumerate(payloads):
        claim = expected[index] if expected is not None else None
        try:
            outcome = parse_reading(index, payload, max_bytes=max_bytes, expected=claim)
        except Exception as exc:  # a check that raises refuses this payload alone, never the batch
            outcome = internal_error(index, exc, payload_bytes(payload))
        if isinstance(outcome, Rejection):
            report.rejections.append(outcome)
        else:
            parsed.append((index, outcome, payload))
    devices = load_devices(session, {reading.device_id for _, reading, _ in parsed})
    candidates: list[Candidate] = []
    for index, reading, payload in parsed:
        device = devices.get(reading.device_id)
        try:
            outcome = check_reading(index, reading, payload, device, now=now, max_skew_s=max_skew_s)
        except Exception as exc:
            outcome = internal_error(index, exc, payload_bytes(payload), reading.device_id, reading.seq)
        (report.rejections if isinstance(outcome, Rejection) else candidates).append(outcome)

    unique = _drop_repeats_within_batch(candidates, report)
    maybe_stored = [c for c in unique if _at_or_below_max(c, devices[c.reading.device_id])]
    stored = fetch_stored(session, [c.key for c in maybe_stored])
    fresh = [c for c in unique if not _resolve_duplicate(c, stored.get(c.key), report)]
    accepted = _apply_order_rule(fresh, devices, report)
    flags = _cleanse(cleanser, accepted)
    ids = insert_readings(session, accepted, source=source, now=now, flags=flags)
    lost = [c for c in accepted if c.key not in ids]  # a concurrent ingest stored these keys first
    if lost:
        stored = fetch_stored(session, [c.key for c in lost])
        for candidate in lost:
            _resolve_duplicate(candidate, stored.get(candidate.key), report)
    kept = [c for c in accepted if c.key in ids]
    report.accepted = [_accepted(c, ids[c.key], flags.get(c.key, 0)) for c in kept]
    report.live = update_live_state(session, kept, devices, flags)
    report.rejections.sort(key=lambda r: -1 if r.index is None else r.index)
    record_rejections(session, report.rejections, source=source, now=now)
    return report


def load_devices(session: Session, device_ids: set[str]) -> dict[str, DeviceInfo]:
    """The devices named, with the highest stored seq of each and that reading's time (index lookups)."""
    if not device_ids:
        return {}
    reading = SensorReading
    max_seq = select(func.max(reading.seq)).where(reading.device_id == Device.id).scalar_subquery()
    max_seq_t = (
        select(reading.t).where(reading.device_id == Device.id).order_by(reading.seq.desc()).limit(1).scalar_subquery()
    )
    query = select(
        Device.id,
        Device.kind,
        Device.sensor_kind,
        Device.unit,
        Device.state,
        Device.updated_at,
        max_seq.label("max_seq"),
        max_seq_t.label("max_seq_t"),
    ).where(Device.id.in_(device_ids))
    return {
        row.id: DeviceInfo(
            row.id, row.kind, row.sensor_kind, row.unit, row.state or {}, row.updated_at, row.max_seq, row.max_seq_t
        )
        for row in session.execute(query)
    }


def fetch_stored(session: Session, keys: Sequence[StoredKey]) -> dict[StoredKey, StoredMeasurement]:
    """The stored (kind, t, raw_value, raw_unit) of each (device_id, seq) in ``keys`` that exists."""
    if not keys:
        return {}
    seqs: dict[str, list[int]] = defaultdict(list)
    for device_id, seq in keys:
        seqs[device_id].append(seq)
    r = SensorReading
    where = or_(*(and_(r.device_id == device_id, r.seq.in_(values)) for device_id, values in seqs.items()))
    rows = session.execute(select(r.device_id, r.seq, r.kind, r.t, r.raw_value, r.raw_unit).where(where))
    return {(device_id, seq): (kind, t, raw_value, raw_unit) for device_id, seq, kind, t, raw_value, raw_unit in rows}


def insert_readings(
    session: Session,
    candidates: Sequence[Candidate],
    *,
    source: str,
    now: datetime,
    flags: dict[StoredKey, int] | None = None,
) -> dict[StoredKey, int]:
    """INSERT ... ON CONFLICT (device_id, seq) DO NOTHING (``bulk.insert_new``: COPY on PostgreSQL, one
    multi-row INSERT on SQLite); the ids of the rows that were new, by key.

    ``flags``: the cleansing bitmask of each reading by key (absent: 0)."""
    flags = flags or {}
    rows = [
        (r.device_id, r.kind, r.seq, r.t, now, c.value, c.unit, r.value, r.unit, flags.get(c.key, 0), source)
        for c in candidates
        for r in (c.reading,)
    ]
    return insert_new(session, rows)


def update_live_state(
    session: Session,
    stored: Sequence[Candidate],
    devices: dict[str, DeviceInfo],
    flags: Mapping[StoredKey, int] | None = None,
) -> dict[str, dict[str, Any]]:
    """Set each device's live state to its newest stored reading when that is newer than what it holds
    (with that reading's cleansing flags bitmask, ``flags``: 0 when clean)."""
    newest: dict[str, Candidate] = {}
    for candidate in stored:
        best = newest.get(candidate.reading.device_id)
        if best is None or (candidate.reading.t, candidate.reading.seq) > (best.reading.t, best.reading.seq):
            newest[candidate.reading.device_id] = candidate
    rows: list[LiveRow] = []
    for device_id, candidate in newest.items():
        reading, info = candidate.reading, devices[device_id]
        if info.updated_at is not None and reading.t <= info.updated_at:
            continue
        state = {
            **info.state,
            "value": candidate.value,
            "unit": candidate.unit,
            "t": reading.t.isoformat(),
            "seq": reading.seq,
            "flags": (flags or {}).get(candidate.key, 0),
        }
        rows.append((device_id, state, reading.t))
    changed = set_live_states(session, rows)  # a concurrent newer reading wins: the time is re-checked there
    for device_id in changed:
        loaded = session.identity_map.get(session.identity_key(Device, device_id))
        if loaded is not None:
            session.expire(loaded, ["state", "updated_at"])
    return {device_id: state for device_id, state, _ in rows if device_id in changed}


def record_rejections(session: Session, rejections: Sequence[Rejection], *, source: str, now: datetime) -> None:
    """Append each rejection with its payload (as received, up to 64 KiB) to ``rejected_payloads``."""
    if not rejections:
        return
    rows = []
    for rejection in rejections:
        text, encoding, truncated = stored_payload(rejection.raw)
        rows.append(
            {
                "received_at": now,
                "source": source,
                "reason": rejection.reason.value,
                "detail": rejection.detail.replace("\x00", "\\x00"),
                "device_id": rejection.device_id,
                "seq": rejection.seq,
                "payload": text,
                "payload_encoding": encoding,
                "truncated": truncated,
            }
        )
    session.execute(insert(RejectedPayload.__table__), rows)


def _drop_repeats_within_batch(candidates: list[Candidate], report: IngestReport) -> list[Candidate]:
    """The first reading of each (device_id, seq) in the batch; later ones are duplicates or conflicts."""
    first: dict[StoredKey, Candidate] = {}
    for candidate in candidates:
        prior = first.get(candidate.key)
        if prior is None:
            first[candidate.key] = candidate
        else:
            r = prior.reading
            _resolve_duplicate(candidate, (r.kind, r.t, r.value, r.unit), report)
    return list(first.values())


def _at_or_below_max(candidate: Candidate, device: DeviceInfo) -> bool:
    return device.max_seq is not None and candidate.reading.seq <= device.max_seq


def _resolve_duplicate(candidate: Candidate, stored: StoredMeasurement | None, report: IngestReport) -> bool:
    """False when ``stored`` is None (the key is new); else count an identical duplicate or reject a conflict."""
    if stored is None:
        return False
    if candidate.same_as(*stored):
        report.duplicates += 1
        return True
    r, (kind, t, raw_value, raw_unit) = candidate.reading, stored
    detail = (
        f"conflicting duplicate: {r.device_id} seq {r.seq} already holds {kind} {raw_value:g} {raw_unit} "
        f"at {t.isoformat()}, this payload says {r.kind} {r.value:g} {r.unit} at {r.t.isoformat()} — a device "
        "must never reuse a seq (persist its counter across restarts)"
    )
    report.rejections.append(
        Rejection(candidate.index, RejectReason.DUPLICATE, detail, r.device_id, r.seq, candidate.raw)
    )
    return True


def _apply_order_rule(fresh: list[Candidate], devices: dict[str, DeviceInfo], report: IngestReport) -> list[Candidate]:
    """Readings that pass :func:`out_of_order`, in arrival order, against a running highest seq per device."""
    highest = {device_id: (info.max_seq, info.max_seq_t) for device_id, info in devices.items()}
    accepted = []
    for candidate in sorted(fresh, key=lambda c: c.index):
        r = candidate.reading
        max_seq, max_seq_t = highest[r.device_id]
        if out_of_order(r.seq, r.t, max_seq, max_seq_t):
            report.rejections.append(
                Rejection(
                    candidate.index,
                    RejectReason.OUT_OF_ORDER,
                    out_of_order_detail(r.seq, r.t, max_seq, max_seq_t),
                    r.device_id,
                    r.seq,
                    candidate.raw,
                )
            )
            continue
        accepted.append(candidate)
        if max_seq is None or r.seq > max_seq:
            highest[r.device_id] = (r.seq, r.t)
    return accepted


def _cleanse(cleanser: Cleanser | None, candidates: Sequence[Candidate]) -> dict[StoredKey, int]:
    """The flags of each new reading by key, from ``cleanser`` (nothing when None or all clean)."""
    if cleanser is None or not candidates:
        return {}
    masks = cleanser.judge_many(
        [(c.reading.device_id, c.reading.kind, c.reading.seq, c.reading.t, c.value) for c in candidates]
    )
    return {c.key: mask for c, mask in zip(candidates, masks, strict=True) if mask}


def _accepted(candidate: Candidate, row_id: int, flags: int) -> AcceptedReading:
    r = candidate.reading
    return AcceptedReading(
        row_id, r.device_id, r.kind, r.seq, r.t, candidate.value, candidate.unit, r.value, r.unit, flags
    )
