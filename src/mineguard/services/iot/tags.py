"""Wearable sensor tags: paired to a person by the tag's 1D/2D barcode id, and their readings
(position fixes from a gateway plus an accelerometer chunk) turned into the person's position
and motion state (seed 004 §3.1.2).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from mineguard.mine.graph import ZoneGraph
from mineguard.services.audit import log as audit
from mineguard.services.storage.models import Asset, Device, Site
from mineguard.services.storage.types import utc_now
from mineguard.services.timestamps import MAX_SKEW_S
from mineguard.services.twin.motion import MotionState, classify_motion
from mineguard.services.twin.sensitivity import motion_limits
from mineguard.services.twin.tracking import NotFound, PositionUpdate, update_position, update_state


class PairingError(ValueError):
    """A tag that cannot be paired (unknown barcode, not a person, already paired)."""


def tag_by_barcode(session: Session, barcode: str) -> Device:
    tag = session.scalar(select(Device).where(Device.barcode == barcode, Device.kind == "tag"))
    if tag is None:
        raise NotFound(
            f"no tag with barcode {barcode!r} — scan the barcode printed on the tag, or add the tag to the site file"
        )
    return tag


def pair_tag(session: Session, barcode: str, asset_id: str, *, actor: str, force: bool = False) -> Device:
    tag = tag_by_barcode(session, barcode)
    asset = session.get(Asset, asset_id)
    if asset is None:
        raise NotFound(f"asset {asset_id!r} does not exist — list people at GET /api/v1/assets")
    if asset.kind != "person":
        raise PairingError(f"{asset_id} is a {asset.kind}; wearable tags pair with people — pick a person's id")
    if tag.paired_asset_id and tag.paired_asset_id != asset_id and not force:
        raise PairingError(f"tag {barcode} is paired with {tag.paired_asset_id} — unpair it first or pass force")
    other = session.scalar(
        select(Device).where(Device.kind == "tag", Device.paired_asset_id == asset_id, Device.id != tag.id)
    )
    if other is not None and not force:
        raise PairingError(f"{asset_id} already wears tag {other.barcode} — unpair it first or pass force")
    if other is not None:
        other.paired_asset_id = None
    tag.paired_asset_id, tag.paired_at = asset_id, utc_now()
    session.flush()
    audit.append(session, actor=actor, action="tag.paired", subject=f"tag:{barcode}", payload={"asset_id": asset_id})
    return tag


def unpair_tag(session: Session, barcode: str, *, actor: str) -> Device:
    tag = tag_by_barcode(session, barcode)
    previous, tag.paired_asset_id, tag.paired_at = tag.paired_asset_id, None, None
    session.flush()
    audit.append(session, actor=actor, action="tag.unpaired", subject=f"tag:{barcode}", payload={"asset_id": previous})
    return tag


@dataclass(frozen=True)
class TagOutcome:
    barcode: str
    asset_id: str | None
    position: PositionUpdate
    motion: str | None
    motion_changed: bool
    reason: str | None


def apply_tag_reading(
    session: Session,
    graph: ZoneGraph,
    site: Site,
    *,
    gateway_id: str,
    barcode: str,
    t: datetime,
    xyz: tuple[float, float, float],
    accel_g: np.ndarray | None = None,
    rate_hz: float | None = None,
    now: datetime | None = None,
    max_skew_s: float = MAX_SKEW_S,
) -> TagOutcome:
    """Move the tag and its wearer; classify the accelerometer chunk if one came with it.

    With ``now``, a fix more than ``max_skew_s`` ahead of it raises
    :class:`~mineguard.services.timestamps.ClockSkewError` before anything is written."""
    tag = tag_by_barcode(session, barcode)
    tag_moved = update_position(
        session, graph, "device", tag.id, t, xyz, source=f"gateway:{gateway_id}", now=now, max_skew_s=max_skew_s
    )
    if tag.paired_asset_id is None:
        return TagOutcome(barcode, None, tag_moved, None, False, None)
    asset_id = tag.paired_asset_id
    moved = update_position(
        session, graph, "asset", asset_id, t, xyz, source=f"tag:{barcode}", now=now, max_skew_s=max_skew_s
    )
    if accel_g is None:
        return TagOutcome(barcode, asset_id, moved, None, False, None)
    asset = session.get(Asset, asset_id)
    previous = (asset.state or {}) if asset else {}
    still_before = previous.get("still_for_s", 0.0) if previous.get("motion") in ("still", "fall_or_faint") else 0.0
    reading = classify_motion(accel_g, float(rate_hz or 0.0), motion_limits(site), still_before_s=still_before)
    changed = update_state(
        session,
        "asset",
        asset_id,
        t,
        {"motion": str(reading.state), "still_for_s": round(reading.still_for_s, 2), "motion_reason": reading.reason},
    )
    motion_changed = previous.get("motion") != str(reading.state)
    if motion_changed and reading.state == MotionState.FALL_OR_FAINT:
        audit.append(
            session,
            actor=f"gateway:{gateway_id}",
            action="person.fall_or_faint",
            subject=f"asset:{asset_id}",
            payload={"zone_id": moved.zone_id, "reason": reading.reason},
        )
    return TagOutcome(barcode, asset_id, moved, str(reading.state), changed and motion_changed, reading.reason)
