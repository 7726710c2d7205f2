"""The simulated mine's geophones and seismometers: readings of every seismic sensor each step, in the
site's units, published on the sensors' topics like any other reading; more activity while a face is cut."""

from __future__ import annotations

import json

import numpy as np

from mineguard.mine.site import load_site
from mineguard.sim.publish import BusPublisher
from mineguard.sim.seismic import CUTTING, IDLE, SeismicField
from mineguard.sim.sensors import SensorField

SEISMIC = {"geophone_energy", "geophone_pulses", "seismic_energy"}


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict]] = []

    def publish(self, topic: str, payload: bytes) -> None:
        self.sent.append((topic, json.loads(payload)))


def test_the_simulated_mine_publishes_its_geophones() -> None:
    field = SensorField(load_site(), seed=2, dropout=0.0)
    bus = Recorder()
    publisher = BusPublisher(bus)  # type: ignore[arg-type]
    for _ in range(600):
        publisher.publish("sample-coal-mine", field.step(1.0), "2026-11-22T09:00:00+00:00")
    seismic = [(topic, p) for topic, p in bus.sent if p["kind"] in SEISMIC]
    assert {p["device_id"] for _, p in seismic} == {
        "geo-1101-a",
        "geo-1101-a-puls",
        "geo-1102-a",
        "geo-1102-a-puls",
        "seis-1101",
        "seis-1102",
    }
    assert all(p["value"] >= 0 for _, p in seismic)
    assert ("mineguard/sample-coal-mine/geo-1101-a/geophone_energy", "J") in {(t, p["unit"]) for t, p in seismic}
    pulses = [p["value"] for _, p in seismic if p["kind"] == "geophone_pulses"]
    assert sum(pulses) > 0 and all(float(v).is_integer() for v in pulses)
    assert [p["seq"] for _, p in seismic if p["device_id"] == "seis-1101"] == list(range(1, 601))


def test_a_cut_face_is_more_active() -> None:
    field = SeismicField(["lw"], np.random.default_rng(0))
    assert field.rate("lw", True) / field.rate("lw", False) == CUTTING / IDLE
    cut = sum(field.reading("geophone_pulses", "lw", 60.0, cutting=True) for _ in range(500))
    idle = sum(field.reading("geophone_pulses", "lw", 60.0, cutting=False) for _ in range(500))
    assert cut > 2 * idle
