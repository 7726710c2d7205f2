"""People approaching danger, derived by the twin: known-answer distances and closing speeds, who
counts (range, fix age, a stopped machine), the reference-fix tracker, and the derivation from the
stored twin after a restart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from mineguard.mine.graph import ZoneGraph, ZoneShape
from mineguard.mine.site import ProximityConfig
from mineguard.services.ingest.store import ingest
from mineguard.services.twin.asset_state import PlacedMachine
from mineguard.services.twin.loader import graph_from_db
from mineguard.services.twin.proximity import (
    ApproachTracker,
    Fix,
    PersonFix,
    approach_signals,
    closing_speed,
    derive,
)
from mineguard.services.twin.tracking import update_position

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
CONFIG = ProximityConfig(max_range_m=100, max_fix_age_s=30, min_fix_interval_s=2)
# a danger zone along x = 100 from y = 0 to y = 50, and a roadway along the x axis
GRAPH = ZoneGraph(
    [
        ZoneShape("pit", np.array([[100.0, 0.0, 0.0], [100.0, 50.0, 0.0]]), 3.0),
        ZoneShape("road", np.array([[0.0, 0.0, 0.0], [300.0, 0.0, 0.0]]), 3.0),
    ],
    [("pit", "road")],
)


def _at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def _person(asset_id: str, seconds: float, xyz: tuple[float, float, float]) -> PersonFix:
    return PersonFix(asset_id, Fix(_at(seconds), xyz))


def test_closing_speed_is_positive_when_getting_closer() -> None:
    target = (10.0, 0.0, 0.0)
    assert closing_speed(Fix(_at(0), (0.0, 0.0, 0.0)), Fix(_at(2), (3.0, 0.0, 0.0)), target) == pytest.approx(1.5)
    assert closing_speed(Fix(_at(0), (3.0, 0.0, 0.0)), Fix(_at(2), (0.0, 0.0, 0.0)), target) == pytest.approx(-1.5)
    assert closing_speed(Fix(_at(0), (0.0, 4.0, 0.0)), Fix(_at(1), (0.0, -4.0, 0.0)), target) == pytest.approx(0.0)
    assert closing_speed(Fix(_at(1), (0.0, 0.0, 0.0)), Fix(_at(1), (3.0, 0.0, 0.0)), target) is None


def test_danger_approach_is_the_nearest_persons_distance_to_the_zone() -> None:
    people = [_person("p1", 0, (70.0, 10.0, 0.0)), _person("p2", 0, (0.0, 0.0, 0.0)), _person("p3", 0, (100, 80, 0))]
    (signal,) = approach_signals(people, ["pit"], [], GRAPH, CONFIG, _at(1))
    assert (signal.key, signal.zone_id, signal.value, signal.source) == ("danger.approach", "pit", 30.0, "twin:p1")
    assert signal.t == _at(1)


def test_nobody_counts_beyond_range_or_with_an_old_fix() -> None:
    far = [_person("p1", 0, (-50.0, 0.0, 0.0))]  # 150 m from the pit
    assert approach_signals(far, ["pit"], [], GRAPH, CONFIG, _at(1)) == []
    stale = [_person("p1", 0, (90.0, 0.0, 0.0))]
    assert approach_signals(stale, ["pit"], [], GRAPH, CONFIG, _at(31)) == []  # fix 31 s old, 30 s allowed
    assert approach_signals(stale, ["pit"], [], GRAPH, CONFIG, _at(30))[0].value == 10.0


def test_machine_approach_and_closing_speed_from_the_reference_fix() -> None:
    shearer = PlacedMachine("shearer", "road", (200.0, 0.0, 0.0))
    people = [_person("walker", 4, (190.0, 0.0, 0.0)), _person("other", 4, (240.0, 0.0, 0.0))]
    before = {"walker": Fix(_at(0), (180.0, 0.0, 0.0))}

    def reference(asset_id: str, at: datetime) -> Fix | None:
        assert at == _at(4)  # asked for the fix before the person's current one
        return before.get(asset_id)

    signals = approach_signals(people, [], [shearer], GRAPH, CONFIG, _at(4), reference)
    assert [(s.key, s.zone_id, s.value, s.source) for s in signals] == [
        ("shearer.approach", "road", 10.0, "twin:walker"),
        ("shearer.closing", "road", 2.5, "twin:walker"),  # 20 m -> 10 m in 4 s
    ]
    without_reference = approach_signals(people, [], [shearer], GRAPH, CONFIG, _at(4))
    assert [s.key for s in without_reference] == ["shearer.approach"]  # no earlier fix: no speed


def test_tracker_reference_is_the_newest_fix_at_least_the_interval_before() -> None:
    tracker = ApproachTracker(CONFIG)
    for seconds, x in ((0, 0.0), (3, 3.0), (1, 1.0), (3, 3.0)):  # out of order and a repeat
        tracker.record("p", Fix(_at(seconds), (x, 0.0, 0.0)))
    assert tracker.reference("p", _at(3)).t == _at(1)
    assert tracker.reference("p", _at(2)).t == _at(0)
    assert tracker.reference("p", _at(1)) is None  # nothing 2 s older
    assert tracker.reference("p", _at(40)) is None  # the newest usable one is older than 30 s
    assert tracker.reference("q", _at(3)) is None
    tracker.record("p", Fix(_at(100), (9.0, 0.0, 0.0)))  # older fixes than 30 s before the newest go
    assert tracker.reference("p", _at(5)) is None


def test_derive_from_the_stored_twin_after_a_restart(session) -> None:
    """Running state from the stored readings, positions and the reference fix from the database:
    a fresh tracker (a restarted service) already gives closing speeds."""
    graph = graph_from_db(session)
    readings = [
        {
            "device_id": "shearer-1101-run",
            "kind": "running",
            "seq": 1,
            "t": T0.isoformat(),
            "value": 1,
            "unit": "state",
        },
        {"device_id": "fan-f2-run", "kind": "running", "seq": 1, "t": T0.isoformat(), "value": 0, "unit": "state"},
    ]
    assert ingest(session, readings, source="test", now=_at(60)).rejections == []
    update_position(session, graph, "asset", "miner-004", _at(0), (790.0, 30.0, -404.0))  # 30 m from the shearer
    update_position(session, graph, "asset", "miner-004", _at(5), (790.0, 20.0, -404.0))  # 20 m, 2 m/s closer
    update_position(session, graph, "asset", "miner-001", _at(5), (400.0, 0.0, -400.0))  # far along the roadway
    session.flush()
    signals = {(s.key, s.zone_id): s for s in derive(session, graph, ApproachTracker(), _at(5))}
    assert signals[("shearer-1101.approach", "face_1101")].value == pytest.approx(20.0, abs=0.01)
    assert signals[("shearer-1101.closing", "face_1101")].value == pytest.approx(2.0, abs=0.01)
    assert signals[("shearer-1101.closing", "face_1101")].source == "twin:miner-004"
    assert not any(key.startswith("fan-f2.") for key, _ in signals)  # the fan is stopped
    face = signals[("danger.approach", "face_1101")]
    assert face.value == pytest.approx(graph.distance_to("face_1101", 790.0, 20.0, -404.0), abs=0.01)
    assert {zone for key, zone in signals if key == "danger.approach"} == {"face_1101", "face_1102", "return_airway"}
    assert derive(session, graph, ApproachTracker(), _at(120)) == []  # every fix is older than 30 s
