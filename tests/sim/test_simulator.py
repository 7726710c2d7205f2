"""The simulated world without a service: sensor dynamics, walking miners, the scenario timeline."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from mineguard.mine.graph import ZoneGraph
from mineguard.sim.people import make_walkers
from mineguard.sim.scenarios import ScenarioPlayer
from mineguard.sim.script import load_sim
from mineguard.sim.sensors import SensorField


@pytest.fixture(scope="module")
def sim():
    return load_sim()


def test_normal_operation_stays_below_alarm_levels(sim) -> None:
    field = SensorField(sim.site, sim.script.world, seed=3, dropout=0.0)
    values: dict[str, list[float]] = {}
    for _ in range(1800):
        for r in field.step(1.0):
            values.setdefault(r.device_id, []).append(r.value)
    assert max(values["ch4-1101-t"]) < 0.6 and max(values["ch4-1102-t"]) < 0.6
    assert 0.2 <= np.mean(values["ch4-1101-t"]) <= 0.4
    assert max(values["ch4-return"]) < 0.75
    assert max(values["temp-1101"]) < 26.0 and max(values["dust-1101"]) < 4.0
    assert max(values["vib-belt-drive"]) < 4.5 and max(values["roof-1101"]) < 30.0
    assert max(values["co-belt"]) < 24.0 and min(values["o2-main"]) > 20.0
    assert max(values["belt-b1-bearing"]) < 60.0 and max(values["shearer-1101-vib"]) < 4.5
    assert set(values["fan-f2-run"]) == {1.0}  # machine state: a reading like any other
    running = {"fan-f2-run", "belt-b1-run", "shearer-1101-run"}
    quiet = running | {"seis-1101", "seis-1102"}  # a seismometer reads 0 J until a bump
    assert all(np.std(v) > 0 for k, v in values.items() if k not in quiet)  # noisy, never stuck


def test_fan_stop_makes_the_ventilated_face_methane_rise_and_restart_clears_it(sim) -> None:
    field = SensorField(sim.site, sim.script.world, seed=1, dropout=0.0)
    for _ in range(60):
        field.step(1.0)
    before = field.state.methane["face_1101"]
    field.state.running["fan-f2"] = False
    for _ in range(25):
        readings = field.step(1.0)
    assert {r.device_id: r.value for r in readings}["fan-f2-run"] == 0.0
    rate = (field.state.methane["face_1101"] - before) / 25
    assert 0.02 <= rate <= 0.07  # ~0.03 %/s
    for _ in range(40):
        field.step(1.0)
    assert 1.5 < field.state.methane["face_1101"] < 2.0  # past the critical level, short of the emergency one
    assert field.state.methane["face_1102"] < 0.5  # fan F2 ventilates the 1101 district only
    assert field.true_value("wind-return") < 1.0  # the fan stands in the return airway
    field.state.running["fan-f2"] = True
    for _ in range(40):
        field.step(1.0)
    assert field.state.methane["face_1101"] < 0.5


def test_a_stopped_shearer_stops_cutting(sim) -> None:
    field = SensorField(sim.site, sim.script.world, seed=2, dropout=0.0)
    field.state.running["shearer-1101"] = False
    assert not field.cutting("face_1101") and field.cutting("face_1102")
    assert field.true_value("shearer-1101-vib") == pytest.approx(0.3)  # its `stopped` level
    assert field.true_value("shearer-1101-run") == 0.0


def test_dropouts_skip_readings_but_seq_advances(sim) -> None:
    field = SensorField(sim.site, sim.script.world, seed=0, dropout=0.2, seq0=1000)
    seqs = [r.seq for _ in range(50) for r in field.step(1.0) if r.device_id == "ch4-1101-t"]
    assert field.dropped > 0 and len(seqs) < 50
    assert seqs == sorted(set(seqs)) and seqs[0] > 1000


def test_miners_reach_their_target_zones(sim) -> None:
    graph = ZoneGraph.from_site(sim.site)
    walkers = make_walkers(sim.site, graph, sim.script.people)
    for _ in range(1200):
        fixes = [w.step(1.0) for w in walkers]
    assert all(w.arrived for w in walkers)
    for walker, plan in zip(walkers, sim.script.people, strict=True):
        assert walker.zone() == (plan.back.to.zone if plan.back else plan.goal.zone)  # back up, for crew a
    assert {f.asset_id for f in fixes} == {p.asset for p in sim.script.people}
    assert fixes[0].accel_g.shape == (50, 3)
    tags = [d.barcode for d in sim.site.devices if d.kind == "tag"]
    assert [w.barcode for w in walkers] == tags[: len(walkers)]  # the site's tags, in order


def test_walker_moves_at_walking_pace(sim) -> None:
    graph = ZoneGraph.from_site(sim.site)
    walker = make_walkers(sim.site, graph, sim.script.people)[3]  # miner-004, towards face 1101
    start = walker.position()
    for _ in range(10):
        walker.step(1.0)
    assert np.linalg.norm(walker.position() - start) == pytest.approx(12.0, abs=0.5)
    assert walker.route[-1] == "face_1101"


def test_the_timeline_makes_every_hazard_real_and_the_camera_report(sim) -> None:
    graph = ZoneGraph.from_site(sim.site)
    field = SensorField(sim.site, sim.script.world, seed=0, dropout=0.0)
    walkers = make_walkers(sim.site, graph, sim.script.people)
    player = ScenarioPlayer(sim.script, sim.site, field, graph, {w.plan.asset: w for w in walkers})
    events, state = [], {}
    for i in range(1, int(sim.script.timeline_s) + 1):
        events += player.step(float(i), datetime.now(UTC))
        state[i] = (field.state.running["fan-f2"], field.state.offset("belt-b1-bearing"))
        field.step(1.0)
        for w in walkers:
            w.step(1.0)
    assert state[7][0] and not state[8][0] and not state[82][0] and state[83][0]  # fan F2 off 8-83 s
    assert state[125][1] == pytest.approx(33.0) and state[140][1] == 0.0  # the bearing ramp, held, gone
    assert set(player.triggered) == {"gas", "helmet", "belt", "roof"}
    assert 8 <= player.triggered["gas"] < 20 and 95 < player.triggered["belt"] < 125
    assert 110 < player.triggered["roof"] < 125
    assert events and {(e["device_id"], e["label"], e["asset_id"]) for e in events} == {
        ("cam-face-gate-1101", "no_helmet", "miner-004")
    }
    assert all(e["zone_id"] == "face_gate_1101" and 0.78 <= e["confidence"] <= 0.95 for e in events)
    assert len({e["event_id"] for e in events}) == len(events)


def test_each_reading_is_sent_in_its_sensors_unit() -> None:
    """Pillar Ridge reports section 2 methane in ppm, roof load in kPa, temperature in degF and air
    velocity in m/min: the simulator sends what those instruments would read."""
    from importlib import resources

    ridge = load_sim(str(resources.files("mineguard.mine").joinpath("sites", "pillar_ridge.yaml")))
    field = SensorField(ridge.site, ridge.script.world, seed=1, dropout=0.0)
    sent = {r.device_id: r for _ in range(30) for r in field.step(1.0)}
    assert (sent["ch4-s2"].unit, sent["roof-s2"].unit, sent["t-s2"].unit) == ("ppm", "kPa", "degF")
    assert 2000 < sent["ch4-s2"].value < 5000 and 0.2 < sent["ch4-s3"].value < 0.5  # ppm there, % here
    assert 22_000 < sent["roof-s2"].value < 26_000 and 70 < sent["t-s2"].value < 78
    assert 140 < sent["air-ret"].value < 175  # 2.6 m/s in m/min
