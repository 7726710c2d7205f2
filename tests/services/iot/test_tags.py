"""Wearable tags: pairing by barcode, and readings that move the wearer and classify motion."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mineguard.services.audit.log import recent, verify
from mineguard.services.iot.tags import PairingError, apply_tag_reading, pair_tag, unpair_tag
from mineguard.services.storage.models import Asset, Device, Site
from mineguard.services.twin.loader import graph_from_db
from mineguard.services.twin.motion import generate_accel
from mineguard.services.twin.sensitivity import Quantity, update_sensitivity
from mineguard.services.twin.tracking import NotFound, history

TAG1, TAG2, TAG3 = "6901234500011", "6901234500028", "6901234500035"  # tag-0001..0003
RATE = 50.0
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
ROAD = (395.0, 0.0, -400.0)  # main_roadway runs along y = 0, z = -400 from x = 30 to 760
ROAD_EAST = (600.0, 0.0, -400.8)


def test_pair_unpair_and_force(session) -> None:
    tag = pair_tag(session, TAG1, "miner-001", actor="boss")
    assert (tag.id, tag.paired_asset_id) == ("tag-0001", "miner-001") and tag.paired_at is not None
    assert pair_tag(session, TAG1, "miner-001", actor="boss").paired_asset_id == "miner-001"  # again: no-op

    with pytest.raises(PairingError, match=rf"tag {TAG1} is paired with miner-001 — unpair it first or pass force"):
        pair_tag(session, TAG1, "miner-002", actor="boss")
    assert pair_tag(session, TAG1, "miner-002", actor="boss", force=True).paired_asset_id == "miner-002"

    with pytest.raises(PairingError, match=rf"miner-002 already wears tag {TAG1} — unpair it first or pass force"):
        pair_tag(session, TAG2, "miner-002", actor="boss")
    pair_tag(session, TAG2, "miner-002", actor="boss", force=True)  # the old tag is taken off
    assert session.get(Device, "tag-0001").paired_asset_id is None
    assert session.get(Device, "tag-0002").paired_asset_id == "miner-002"

    untagged = unpair_tag(session, TAG2, actor="chief")
    assert untagged.paired_asset_id is None and untagged.paired_at is None

    with pytest.raises(NotFound, match=r"no tag with barcode '0000000000000' — scan the barcode printed on the tag"):
        pair_tag(session, "0000000000000", "miner-001", actor="boss")
    with pytest.raises(NotFound, match=r"asset 'miner-999' does not exist — list people at GET /api/v1/assets"):
        pair_tag(session, TAG1, "miner-999", actor="boss")
    with pytest.raises(NotFound, match="no tag with barcode"):
        unpair_tag(session, "0000000000000", actor="boss")
    session.commit()
    assert [(e.action, e.subject, e.payload) for e in recent(session, limit=5)][::-1] == [
        ("tag.paired", f"tag:{TAG1}", {"asset_id": "miner-001"}),
        ("tag.paired", f"tag:{TAG1}", {"asset_id": "miner-001"}),
        ("tag.paired", f"tag:{TAG1}", {"asset_id": "miner-002"}),
        ("tag.paired", f"tag:{TAG2}", {"asset_id": "miner-002"}),
        ("tag.unpaired", f"tag:{TAG2}", {"asset_id": "miner-002"}),
    ]
    assert verify(session).ok


def test_a_tag_pairs_only_with_a_person(session) -> None:
    with pytest.raises(PairingError, match="person"):
        pair_tag(session, TAG3, "shearer-1101", actor="boss")


def test_readings_move_the_wearer_and_classify_motion(session) -> None:
    graph = graph_from_db(session)
    site = session.get(Site, "sample-coal-mine")
    pair_tag(session, TAG1, "miner-001", actor="boss")

    def reading(barcode: str, seconds: float, xyz: tuple[float, float, float], kind: str | None, seed: int = 0):
        accel = (
            None
            if kind is None
            else generate_accel(kind, seconds=8.4 if kind == "fall" else 10, rate_hz=RATE, seed=seed)
        )
        return apply_tag_reading(
            session,
            graph,
            site,
            gateway_id="gw-roadways",
            barcode=barcode,
            t=T0 + timedelta(seconds=seconds),
            xyz=xyz,
            accel_g=accel,
            rate_hz=RATE,
        )

    walk = reading(TAG1, 0, ROAD, "walking")
    assert (walk.barcode, walk.asset_id, walk.motion, walk.motion_changed) == (TAG1, "miner-001", "moving", True)
    assert (walk.position.zone_id, walk.position.previous_zone_id, walk.position.live) == (
        "main_roadway",
        "surface_gate",
        True,
    )
    miner = session.get(Asset, "miner-001")
    assert (miner.x, miner.y, miner.z, miner.zone_id) == (*ROAD, "main_roadway")
    assert miner.state["motion"] == "moving" and miner.state["still_for_s"] == 0.0
    assert session.get(Device, "tag-0001").zone_id == "main_roadway"  # the tag moves too

    again = reading(TAG1, 10, ROAD_EAST, "walking", seed=1)
    assert (again.motion, again.motion_changed, again.position.zone_id) == ("moving", False, "main_roadway")

    fall = reading(TAG1, 20, ROAD_EAST, "fall")
    assert (fall.motion, fall.motion_changed) == ("fall_or_faint", True)
    assert "impact" in fall.reason
    assert miner.state["motion"] == "fall_or_faint"
    [alarm] = recent(session, action="person.fall_or_faint")
    assert (alarm.actor, alarm.subject) == ("gateway:gw-roadways", "asset:miner-001")
    assert alarm.payload["zone_id"] == "main_roadway" and "impact" in alarm.payload["reason"]

    # another fall chunk while already down raises no second alarm
    assert reading(TAG1, 30, ROAD_EAST, "fall", seed=2).motion_changed is False
    assert len(recent(session, action="person.fall_or_faint")) == 1

    no_accel = reading(TAG1, 40, ROAD, None)  # a position fix without an accelerometer chunk
    assert (no_accel.asset_id, no_accel.motion, no_accel.motion_changed) == ("miner-001", None, False)
    assert miner.state["motion"] == "fall_or_faint" and miner.x == ROAD[0]

    sources = {r.source for r in history(session, "asset", "miner-001", T0, T0 + timedelta(minutes=1))}
    assert sources == {f"tag:{TAG1}"}
    assert {r.source for r in history(session, "device", "tag-0001", T0, T0 + timedelta(minutes=1))} == {
        "gateway:gw-roadways"
    }

    # an unpaired tag moves only itself
    lone = reading(TAG2, 0, ROAD, "fall")
    assert (lone.asset_id, lone.motion, lone.motion_changed) == (None, None, False)
    assert (lone.position.entity_kind, lone.position.entity_id, lone.position.zone_id) == (
        "device",
        "tag-0002",
        "main_roadway",
    )
    nobody = session.get(Asset, "miner-002")
    assert (nobody.zone_id, nobody.updated_at, nobody.state) == ("surface_gate", None, {})

    with pytest.raises(NotFound, match="no tag with barcode '42'"):
        reading("42", 0, ROAD, None)

    # the site's sensitivities drive the classifier: with a 6 g impact limit the same fall is no fall
    pair_tag(session, TAG3, "miner-003", actor="boss")
    update_sensitivity(session, site, [Quantity("fall_impact_g", 6.0, "g")], actor="chief")
    soft = reading(TAG3, 0, ROAD, "fall")
    assert soft.motion != "fall_or_faint"
    assert len(recent(session, action="person.fall_or_faint")) == 1
    session.commit()
    assert verify(session).ok


def test_late_reading_does_not_clear_a_fall(session) -> None:
    graph = graph_from_db(session)
    site = session.get(Site, "sample-coal-mine")
    pair_tag(session, TAG1, "miner-001", actor="boss")
    fall_g = generate_accel("fall", seconds=8.4, rate_hz=RATE)
    walk_g = generate_accel("walking", seconds=10, rate_hz=RATE)
    fall = apply_tag_reading(
        session,
        graph,
        site,
        gateway_id="gw-roadways",
        barcode=TAG1,
        t=T0 + timedelta(seconds=20),
        xyz=ROAD,
        accel_g=fall_g,
        rate_hz=RATE,
    )
    assert fall.motion == "fall_or_faint"
    late = apply_tag_reading(
        session, graph, site, gateway_id="gw-roadways", barcode=TAG1, t=T0, xyz=ROAD, accel_g=walk_g, rate_hz=RATE
    )
    assert late.position.live is False
    assert session.get(Asset, "miner-001").state["motion"] == "fall_or_faint"
