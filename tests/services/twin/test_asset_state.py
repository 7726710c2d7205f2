"""A machine's state from the sensors mounted on it: the loader's mounting and places, the newest
reading per kind, the history, and which machines run — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mineguard.mine.site import load_site
from mineguard.services.ingest.store import ingest
from mineguard.services.storage.models import Asset, Device
from mineguard.services.twin.asset_state import asset_state, mounted_sensors, running_machines, state_history
from mineguard.services.twin.loader import sync_site
from mineguard.services.twin.tracking import NotFound

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def _reading(device_id: str, kind: str, seq: int, value: float, unit: str) -> dict:
    t = (T0 + timedelta(seconds=seq)).isoformat()
    return {"device_id": device_id, "kind": kind, "seq": seq, "t": t, "value": value, "unit": unit}


def _store(session, *readings: dict) -> None:
    report = ingest(session, list(readings), source="test", now=T0 + timedelta(hours=1))
    assert report.rejections == []
    session.flush()


def test_loader_mounts_sensors_and_places_machines(session) -> None:
    assert session.get(Device, "fan-f2-run").asset_id == "fan-f2"
    assert session.get(Device, "vib-belt-drive").asset_id == "belt-b1"
    assert session.get(Device, "ch4-1101-t").asset_id is None
    belt = session.get(Asset, "belt-b1")
    assert (belt.x, belt.y, belt.z) == (40.0, 40.0, -400.0)  # its stated position
    assert session.get(Asset, "miner-001").x is None  # people are where their tags say
    assert session.get(Asset, "roof-bolts-lot7").x is None  # only machines stand still


def test_loader_fills_the_mounting_of_an_existing_database_and_keeps_a_moved_machine(session) -> None:
    session.get(Device, "fan-f2-run").asset_id = None  # as a database from before migration 0008 has it
    shearer = session.get(Asset, "shearer-1101")
    shearer.x, shearer.y = 790.0, 30.0  # moved along the face at run time
    session.flush()
    sync_site(session, load_site())
    assert session.get(Device, "fan-f2-run").asset_id == "fan-f2"
    assert (shearer.x, shearer.y) == (790.0, 30.0)


def test_a_machine_without_a_stated_position_stands_mid_zone(session) -> None:
    from mineguard.mine.graph import ZoneGraph
    from mineguard.services.twin.loader import fixed_position

    site = load_site()
    fan = next(a for a in site.assets if a.id == "fan-f2").model_copy(update={"position": None})
    graph = ZoneGraph.from_site(site)
    assert fixed_position(fan, graph) == pytest.approx(tuple(graph.point_along("return_airway", 0.5)))
    person = next(a for a in site.assets if a.kind == "person")
    assert fixed_position(person, graph) is None


def test_state_is_the_newest_reading_per_kind_and_history_the_readings(session) -> None:
    assert asset_state(session, "belt-b1") == {}  # nothing reported yet
    _store(
        session,
        _reading("belt-b1-run", "running", 1, 1, "state"),
        _reading("belt-b1-bearing", "bearing_temp", 2, 60.0, "degC"),
        _reading("belt-b1-bearing", "bearing_temp", 5, 176.0, "degF"),
        _reading("belt-b1-run", "running", 6, 0, "on/off"),
        _reading("vib-belt-drive", "vibration", 7, 2.5, "mm/s"),
    )
    state = asset_state(session, "belt-b1")
    assert sorted(state) == ["bearing_temp", "running", "vibration"]
    assert state["bearing_temp"].value == pytest.approx(80.0) and state["bearing_temp"].unit == "degC"
    assert state["bearing_temp"].device_id == "belt-b1-bearing" and state["bearing_temp"].t == T0 + timedelta(seconds=5)
    assert state["running"].value == 0.0
    runs = state_history(session, "belt-b1", T0, T0 + timedelta(minutes=1), kind="running")
    assert [(r.t, r.value) for r in runs] == [(T0 + timedelta(seconds=1), 1.0), (T0 + timedelta(seconds=6), 0.0)]
    assert len(state_history(session, "belt-b1", T0, T0 + timedelta(minutes=1))) == 5
    assert len(state_history(session, "belt-b1", T0, T0 + timedelta(minutes=1), limit=2)) == 2
    assert state_history(session, "belt-b1", T0 + timedelta(seconds=3), T0 + timedelta(seconds=4)) == []
    assert [d.id for d in mounted_sensors(session, "belt-b1")] == ["belt-b1-bearing", "belt-b1-run", "vib-belt-drive"]


def test_unknown_asset_and_reversed_window(session) -> None:
    with pytest.raises(NotFound, match="asset 'pump-9' does not exist"):
        asset_state(session, "pump-9")
    with pytest.raises(ValueError, match="is before start"):
        state_history(session, "belt-b1", T0, T0 - timedelta(seconds=1))


def test_running_machines_follow_the_newest_run_reading(session) -> None:
    assert running_machines(session) == []  # no run state reported: nothing is known to run
    _store(
        session,
        _reading("shearer-1101-run", "running", 1, 1, "state"),
        _reading("fan-f2-run", "running", 1, 1, "state"),
        _reading("fan-f2-run", "running", 2, 0, "state"),
    )
    (shearer,) = running_machines(session)
    assert shearer.asset_id == "shearer-1101" and shearer.zone_id == "face_1101"
    assert shearer.xyz == (790.0, 0.0, -404.0)
