"""The simulated mine: sensor dynamics, walking miners, and the four scenarios end to end."""

from __future__ import annotations

import numpy as np
import pytest

from mineguard.services.twin.graph import ZoneGraph
from mineguard.services.twin.site import load_site
from mineguard.sim.people import DEFAULT_PLANS, make_walkers
from mineguard.sim.scenarios import scenario_of
from mineguard.sim.sensors import SensorField


@pytest.fixture(scope="module")
def site():
    return load_site()


def _methane(readings, device_id: str) -> list[float]:
    return [r.value for r in readings if r.device_id == device_id]


def test_normal_operation_stays_below_alarm_levels(site) -> None:
    field = SensorField(site, seed=3, dropout=0.0)
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
    assert all(np.std(v) > 0 for v in values.values())  # noisy, never stuck


def test_fan_stop_makes_face_methane_rise_and_restart_clears_it(site) -> None:
    field = SensorField(site, seed=1, dropout=0.0)
    for _ in range(60):
        field.step(1.0)
    before = field.state.methane["face_1101"]
    field.state.fan_f2_running = False
    for _ in range(25):
        field.step(1.0)
    rate = (field.state.methane["face_1101"] - before) / 25
    assert 0.02 <= rate <= 0.07  # ~0.03 %/s
    for _ in range(40):
        field.step(1.0)
    assert 1.5 < field.state.methane["face_1101"] < 2.0  # past the critical level, short of the emergency one
    assert field.state.methane["face_1102"] < 0.5  # fan F2 ventilates the 1101 district only
    field.state.fan_f2_running = True
    for _ in range(40):
        field.step(1.0)
    assert field.state.methane["face_1101"] < 0.5


def test_dropouts_skip_readings_but_seq_advances(site) -> None:
    field = SensorField(site, seed=0, dropout=0.2, seq0=1000)
    seqs = [r.seq for _ in range(50) for r in field.step(1.0) if r.device_id == "ch4-1101-t"]
    assert field.dropped > 0 and len(seqs) < 50
    assert seqs == sorted(set(seqs)) and seqs[0] > 1000


def test_miners_reach_their_target_zones(site) -> None:
    graph = ZoneGraph.from_site(site)
    walkers = make_walkers(site, graph)
    for _ in range(1200):
        fixes = [w.step(1.0) for w in walkers]
    assert all(w.arrived for w in walkers)
    for walker, plan in zip(walkers, DEFAULT_PLANS, strict=True):
        assert walker.zone() == plan.goal_zone
    assert {f.asset_id for f in fixes} == {p.asset_id for p in DEFAULT_PLANS}
    assert fixes[0].accel_g.shape == (50, 3)


def test_walker_moves_at_walking_pace(site) -> None:
    graph = ZoneGraph.from_site(site)
    walker = make_walkers(site, graph)[3]  # miner-004, towards face 1101
    start = walker.position()
    for _ in range(10):
        walker.step(1.0)
    assert np.linalg.norm(walker.position() - start) == pytest.approx(12.0, abs=0.5)
    assert walker.route[-1] == "face_1101"


def test_alert_attribution() -> None:
    assert scenario_of("gas-rising-fan-stopped", "face_1101") == "gas"
    assert scenario_of("methane.working_face", "face_1101") == "gas"
    assert scenario_of("methane.working_face", "face_1102") is None


def test_cli_runs_headless_and_reports(tmp_path, capsys) -> None:
    from mineguard.cli import main

    rc = main(["demo", "--duration", "4", "--speed", "2", "--database-url", f"sqlite:///{tmp_path / 'c.db'}"])
    out = capsys.readouterr().out
    assert "MineGuard platform demo" in out and "readings:" in out
    assert "[FAIL]" in out and "timeline not reached" in out
    assert rc == 1  # 8 simulated seconds: the scenarios have not happened yet
