"""Live positions and state with their history, on SQLite and PostgreSQL (sample site loaded)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from mineguard.services.storage.models import Asset, Device, PositionRecord, StateRecord
from mineguard.services.twin.loader import graph_from_db
from mineguard.services.twin.tracking import (
    NotFound,
    Presence,
    history,
    occupants,
    position_at,
    staff_counts,
    update_position,
    update_state,
)

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
SURFACE = (-15.0, 0.0, 0.0)  # surface_gate
SHAFT = (0.0, 0.0, -200.0)  # main_shaft
PIT = (15.0, 0.0, -400.0)  # pit_bottom
ROAD = (395.0, 0.0, -400.0)  # main_roadway
FACE = (790.0, -10.0, -404.0)  # face_1101


def _at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_positions_history_and_late_data(session) -> None:
    graph = graph_from_db(session)
    moves = [
        (0, SURFACE, "surface_gate"),
        (10, SHAFT, "main_shaft"),
        (20, ROAD, "main_roadway"),
        (60, FACE, "face_1101"),
    ]
    updates = [update_position(session, graph, "asset", "miner-001", _at(m), xyz, source="test") for m, xyz, _ in moves]
    assert [u.zone_id for u in updates] == [zone for _, _, zone in moves]
    assert [u.previous_zone_id for u in updates] == ["surface_gate", "surface_gate", "main_shaft", "main_roadway"]
    assert [u.zone_changed for u in updates] == [False, True, True, True]
    assert all(u.live for u in updates)

    miner = session.get(Asset, "miner-001")
    assert (miner.x, miner.y, miner.z, miner.zone_id, miner.updated_at) == (*FACE, "face_1101", _at(60))

    assert position_at(session, "asset", "miner-001", _at(-1)) is None  # before the first record
    assert position_at(session, "asset", "miner-001", _at(15)).zone_id == "main_shaft"  # the earlier record
    assert position_at(session, "asset", "miner-001", _at(20)).zone_id == "main_roadway"  # exactly at a record
    last = position_at(session, "asset", "miner-001", _at(600))
    assert (last.t, last.x, last.y, last.z, last.zone_id, last.source) == (_at(60), *FACE, "face_1101", "test")

    # late data (older than the live row) fills the history but does not move the live row back
    late = update_position(session, graph, "asset", "miner-001", _at(5), PIT)
    assert (late.live, late.zone_id, late.zone_changed) == (False, "pit_bottom", False)
    session.flush()
    session.refresh(miner)
    assert (miner.zone_id, miner.updated_at) == ("face_1101", _at(60))
    assert position_at(session, "asset", "miner-001", _at(7)).zone_id == "pit_bottom"
    assert [(r.t, r.zone_id) for r in history(session, "asset", "miner-001", _at(0), _at(20))] == [
        (_at(0), "surface_gate"),
        (_at(5), "pit_bottom"),
        (_at(10), "main_shaft"),
        (_at(20), "main_roadway"),
    ]
    assert history(session, "asset", "miner-002", _at(0), _at(60)) == []

    # an update at the same time as the live row is applied (last writer wins)
    same = update_position(session, graph, "asset", "miner-001", _at(60), ROAD)
    assert same.live and same.zone_changed

    # a device is tracked apart from assets; a point outside every zone has no zone
    off = update_position(session, graph, "device", "tag-0001", _at(1), (395.0, 150.0, -400.0))
    assert off.zone_id is None and off.previous_zone_id == "surface_gate" and off.zone_changed
    assert session.get(Device, "tag-0001").zone_id is None
    assert position_at(session, "device", "tag-0001", _at(0)) is None
    assert position_at(session, "device", "tag-0001", _at(600)).zone_id is None
    assert len(history(session, "device", "tag-0001", _at(0), _at(600))) == 1  # the asset records are not mixed in


def test_occupants_between_two_times(session) -> None:
    graph = graph_from_db(session)
    t1, t2 = _at(30), _at(90)
    tracks = {
        "miner-001": [(20, ROAD), (60, FACE)],  # in before t1, left inside the window
        "miner-002": [(0, SURFACE), (40, ROAD)],  # entered inside the window, never left
        "miner-003": [(0, SURFACE), (40, SHAFT)],  # never in the main roadway
        "miner-004": [(5, ROAD), (10, PIT)],  # left before t1
        "miner-005": [(0, PIT), (95, ROAD)],  # entered after t2
        "miner-006": [(35, ROAD), (45, PIT), (50, ROAD), (70, FACE)],  # two visits
    }
    for asset_id, track in tracks.items():
        for minutes, xyz in track:
            update_position(session, graph, "asset", asset_id, _at(minutes), xyz)
    session.commit()

    found = occupants(session, "main_roadway", t1, t2)
    assert found == [
        Presence("asset", "miner-001", t1, _at(60)),
        Presence("asset", "miner-002", _at(40), t2),
        Presence("asset", "miner-006", _at(35), _at(45)),
        Presence("asset", "miner-006", _at(50), _at(70)),
    ]
    assert occupants(session, "main_roadway", _at(100), _at(120)) == [
        Presence("asset", "miner-002", _at(100), _at(120)),
        Presence("asset", "miner-005", _at(100), _at(120)),
    ]
    assert occupants(session, "refuge_1", t1, t2) == []
    assert occupants(session, "main_roadway", t1, t2, kind="device") == []
    assert occupants(session, "face_1101", _at(60), _at(60)) == [
        Presence("asset", "miner-001", _at(60), _at(60))
    ]  # a zero-length window is allowed
    with pytest.raises(ValueError, match=r"end 2026-03-01T08:30:00\+00:00 is before start .* — swap them"):
        occupants(session, "main_roadway", t2, t1)


def test_state_staff_counts_and_unknown_ids(session) -> None:
    def records() -> int:
        return session.scalar(select(func.count()).select_from(StateRecord).where(StateRecord.entity_id == "miner-001"))

    assert update_state(session, "asset", "miner-001", _at(1), {"motion": "moving", "still_for_s": 0.0}) is True
    assert records() == 1
    assert update_state(session, "asset", "miner-001", _at(2), {"motion": "moving"}) is False  # nothing changed
    assert records() == 1
    assert update_state(session, "asset", "miner-001", _at(3), {"motion": "still"}) is True
    assert records() == 2
    miner = session.get(Asset, "miner-001")
    assert miner.state == {"motion": "still", "still_for_s": 0.0}
    assert miner.updated_at == _at(3)
    latest = session.scalars(select(StateRecord).order_by(StateRecord.id.desc())).first()
    assert (latest.entity_kind, latest.entity_id, latest.t, latest.state) == (
        "asset",
        "miner-001",
        _at(3),
        {"motion": "still"},
    )

    # six people seeded at the surface gate; machines and materials are not staff
    assert staff_counts(session) == {"surface_gate": 6}
    graph = graph_from_db(session)
    update_position(session, graph, "asset", "miner-001", _at(10), FACE)
    update_position(session, graph, "asset", "miner-002", _at(10), FACE)
    update_position(session, graph, "asset", "miner-003", _at(10), (395.0, 150.0, -400.0))  # outside every zone
    update_position(session, graph, "asset", "shearer-1101", _at(10), FACE)
    assert staff_counts(session) == {"surface_gate": 3, "face_1101": 2}

    with pytest.raises(NotFound, match=r"asset 'miner-999' does not exist — list them at GET /api/v1/assets"):
        update_position(session, graph, "asset", "miner-999", _at(1), ROAD)
    with pytest.raises(NotFound, match=r"device 'tag-9999' does not exist — list them at GET /api/v1/devices"):
        update_state(session, "device", "tag-9999", _at(1), {"battery": 0.5})
    with pytest.raises(NotFound, match="miner-999"):
        position_at(session, "asset", "miner-999", _at(1))
    with pytest.raises(NotFound, match="miner-999"):
        history(session, "asset", "miner-999", _at(0), _at(1))
    assert (
        session.scalar(select(func.count()).select_from(PositionRecord).where(PositionRecord.entity_id == "miner-999"))
        == 0
    )
