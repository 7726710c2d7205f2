"""The headcount scenario's pieces, with known answers: gate passages from walkers' zones, the
demo's shift copy of the site, walking back and riding the cage, the ``overdue`` ground truth."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from mineguard.mine.graph import ZoneGraph
from mineguard.mine.site import parse_site
from mineguard.sim.demo_site import with_demo_shift
from mineguard.sim.gates import GateWatch, passage
from mineguard.sim.people import make_walkers
from mineguard.sim.scenarios import ScenarioPlayer
from mineguard.sim.script import Condition, DemoShift, ScriptError, check_against_site, load_sim, parse_script
from mineguard.sim.summary import ScenarioResult, rescue_lines

T0 = datetime(2026, 3, 1, 23, 59, 30, tzinfo=UTC)
GATES, SURFACE = frozenset({"surface_gate"}), frozenset({"surface_gate", "lamp_room"})


@pytest.mark.parametrize(
    ("before", "after", "direction"),
    [
        ("surface_gate", "main_shaft", "in"),
        ("main_shaft", "surface_gate", "out"),
        ("lamp_room", "surface_gate", None),  # surface to gate: not underground yet
        ("main_shaft", "pit_bottom", None),
        (None, "main_shaft", None),
    ],
)
def test_passage_direction(before, after, direction) -> None:
    assert passage(before, after, GATES, SURFACE) == direction


def test_demo_shift_replaces_the_shifts_and_runs_past_midnight() -> None:
    site = {"id": "m", "timezone": "Asia/Shanghai", "shifts": [{"name": "day", "start": "06:00", "end": "14:00"}]}
    copy = with_demo_shift(site, DemoShift(crews=["crew-a"], ends_s=120, grace_minutes=1), start=T0, speed=2.0)
    # 23:59:30 UTC is 07:59:30 in Shanghai; 120 simulated s at speed 2 is 60 wall s
    assert copy["shifts"] == [
        {"name": "demo", "start": "06:59:30", "end": "08:00:30", "grace_minutes": 1, "crews": ["crew-a"]}
    ]
    assert site["shifts"][0]["name"] == "day"  # the given data is not changed
    utc = with_demo_shift({"id": "m"}, DemoShift(crews=["c"], ends_s=120), start=T0, speed=1.0)["shifts"][0]
    assert (utc["start"], utc["end"]) == ("22:59:30", "00:01:30")  # ends after midnight: end < start
    with pytest.raises(ValueError, match="speed must be > 0"):
        with_demo_shift(site, DemoShift(crews=["c"], ends_s=1), start=T0, speed=0)


def _sample(start: datetime):
    sim = load_sim()
    data = sim.site.model_dump(mode="json", exclude_none=True)
    site = parse_site(with_demo_shift(data, sim.script.demo_shift, start=start, speed=1.0))
    graph = ZoneGraph.from_site(site)
    walkers = make_walkers(site, graph, sim.script.people, ride_mps=sim.script.world.ride_mps)
    gates = GateWatch(site, walkers)
    player = ScenarioPlayer(sim.script, site, None, graph, {w.plan.asset: w for w in walkers}, gates=gates)
    return sim, site, walkers, gates, player


def test_crew_a_goes_in_two_come_back_and_the_third_is_overdue_at_the_shift_end() -> None:
    _, site, walkers, gates, player = _sample(T0)
    assert site.shifts[0].end == time(0, 1, 30)  # 120 s after T0 at speed 1
    overdue = Condition(person="miner-003", overdue=True)
    seen = []
    for i in range(1, 131):
        now = T0 + timedelta(seconds=i)
        for walker in walkers:
            walker.step(1.0)
        seen += [(i, e["asset_id"], e["attributes"]["direction"], e["device_id"]) for e in gates.step(now)]
        if i == 119:
            assert not player.holds(overdue, now)  # the shift has not ended
    assert [(who, d) for _, who, d, _ in seen] == [
        ("miner-001", "in"),
        ("miner-002", "in"),
        ("miner-003", "in"),
        ("miner-001", "out"),
        ("miner-002", "out"),
    ]
    assert {device for *_, device in seen} == {"cam-surface-gate"}
    assert seen[2][0] < 10 and seen[-1][0] < 100  # in within seconds, out well before the shift ends
    assert [w.zone() for w in walkers[:3]] == ["surface_gate", "surface_gate", "pit_bottom"]
    assert set(gates.went_in) == {"miner-003"}
    assert player.holds(overdue, T0 + timedelta(seconds=120))
    assert not player.holds(Condition(person="miner-001", overdue=True), T0 + timedelta(seconds=120))


def test_the_cage_ride_speed_applies_in_the_shaft_only() -> None:
    _, _, walkers, _, _ = _sample(T0)
    rider = walkers[2]  # miner-003: 7.5 m of the lamp-room gate at 1.2 m/s, then 400 m at 12 m/s
    steps = 0
    while rider.zone() != "pit_bottom":
        rider.step(1.0)
        steps += 1
    assert 6 + 33 <= steps <= 6 + 36


def test_demo_shift_crews_and_overdue_form_are_checked() -> None:
    base = {"site": "sample-coal-mine", "timeline_s": 10, "scenarios": [{"id": "a", "title": "A", "detected_by": "r"}]}

    def hazard(cond: dict) -> dict:
        return {**base, "scenarios": [{**base["scenarios"][0], "hazard": [cond]}]}

    with pytest.raises(ScriptError, match=r"scenarios\[0\]\.hazard\[0\]\.overdue: Input should be True"):
        parse_script(hazard({"person": "x", "overdue": False}))
    with pytest.raises(ScriptError, match=r"\{person, overdue\}"):
        parse_script(hazard({"person": "x", "overdue": True, "within_m": 5}))
    sim = load_sim()

    script = parse_script(
        {
            **base,
            "demo_shift": {"crews": ["crew-z"], "ends_s": 5},
            "scenarios": [{**base["scenarios"][0], "hazard": [{"person": "miner-003", "overdue": True}]}],
        }
    )
    assert check_against_site(script, sim.site) == [
        "demo_shift.crews[0]: 'crew-z' is no crew of site 'sample-coal-mine' (crew-a, crew-b)"
    ]


def test_a_hazard_that_never_happened_in_a_complete_run_does_not_fail_it() -> None:
    quiet = ScenarioResult("headcount", "t", "headcount.not_accounted_for", None, None)
    missed = ScenarioResult("gas", "t", "gas", T0, None)
    assert quiet.passed(complete=True) and not quiet.passed(complete=False)
    assert not missed.passed(complete=True)


def test_rescue_lines_name_the_person_their_zone_and_refuge() -> None:
    listing = {
        "people": [
            {
                "person_id": "miner-003",
                "name": "Wang Fang",
                "zone_id": "pit_bottom",
                "zone_name": "Pit-bottom station",
                "last_seen": "2026-03-01T12:00:05+00:00",
                "mismatches": ["not_accounted_for"],
                "refuge": {"zone_id": "refuge_1", "name": "Refuge chamber 1", "route": [], "hops": 2},
            },
            {"person_id": None, "zone_id": "face_1101", "zone_name": None, "refuge": None, "mismatches": []},
        ]
    }
    assert rescue_lines(listing) == [
        "Wang Fang (miner-003) in Pit-bottom station, last seen 12:00:05, nearest refuge Refuge chamber 1 (2 hops)"
        " [not_accounted_for]",
        "(not in your scope) in face_1101, no refuge reachable",
    ]
