"""Machine telemetry as readings: a reading of a sensor mounted on an asset also feeds
``<asset>.<kind>`` in the sensor's zone, so the combined rules see the fan, the belt bearing and the
shearer from real readings; the twin's approach signals enter through ``observe_signal``."""

from __future__ import annotations

from datetime import datetime, timedelta

from mineguard.services.alerts.pipeline import AlertPipeline, SiteIndex, reading_observations
from mineguard.services.storage.db import session_factory
from pipelines import T0, Reading


def _at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_a_mounted_sensor_feeds_its_kind_and_its_assets_signal(session) -> None:
    site = SiteIndex.load(session)
    assert site.device_assets["fan-f2-run"] == "fan-f2" and "ch4-1101-t" not in site.device_assets
    readings = [Reading("ch4-1101-t", "methane", _at(2), 0.4), Reading("fan-f2-run", "running", _at(1), 0.0)]
    assert list(reading_observations(readings, site)) == [
        ("running", _at(1), 0.0, "return_airway", "reading:fan-f2-run#0"),
        ("fan-f2.running", _at(1), 0.0, "return_airway", "reading:fan-f2-run#0"),
        ("methane", _at(2), 0.4, "face_1101", "reading:ch4-1101-t#0"),
    ]


def _gas_and_fan(fan_running: float) -> list[Reading]:
    out = []
    for i in range(30):  # 0.35 -> 1.5 % in 30 s, the fan's run state every second
        out.append(Reading("ch4-1101-t", "methane", _at(i), 0.35 + 0.04 * i))
        out.append(Reading("fan-f2-run", "running", _at(i), fan_running))
    return out


def test_methane_rising_with_the_fan_reading_stopped_raises_the_gas_rule(engine, session) -> None:
    pipeline = AlertPipeline.for_site(session_factory(engine))
    changes = pipeline.observe_readings(_gas_and_fan(0.0))
    gas = [c for c in changes if c.alert.rule_id == "gas-rising-fan-stopped"]
    assert gas and gas[0].kind == "raised" and gas[0].alert.severity == "emergency"
    assert gas[0].alert.evidence["fan-f2.running@return_airway"] == 0.0


def test_methane_rising_with_the_fan_running_does_not(engine, session) -> None:
    pipeline = AlertPipeline.for_site(session_factory(engine))
    changes = pipeline.observe_readings(_gas_and_fan(1.0))
    assert not [c for c in changes if c.alert.rule_id == "gas-rising-fan-stopped"]


def test_belt_vibration_and_bearing_readings_raise_the_belt_rule(engine, session) -> None:
    pipeline = AlertPipeline.for_site(session_factory(engine))
    readings = [
        reading
        for i in range(8)
        for reading in (
            Reading("vib-belt-drive", "vibration", _at(i), 5.0),
            Reading("belt-b1-bearing", "bearing_temp", _at(i), 80.0),
        )
    ]
    changes = pipeline.observe_readings(readings)
    belt = [c for c in changes if c.alert.rule_id == "belt-drive-fault"]
    assert belt and belt[0].alert.zone_id == "belt_roadway"
    assert "bearing at 80.0 degC" in belt[0].alert.message


def test_an_approach_signal_with_its_source(engine, session) -> None:
    pipeline = AlertPipeline.for_site(session_factory(engine))
    changes = []
    for i in range(4):
        changes += pipeline.observe_signal("vision.no_helmet", _at(i), 1.0, "face_gate_1101")
        changes += pipeline.observe_signal("danger.approach", _at(i), 30.0, "face_1101", source="twin:miner-004")
    helmet = [c for c in changes if c.alert.rule_id == "no-helmet-danger-zone"]
    assert helmet and helmet[0].alert.evidence["danger.approach@face_1101"] == 30.0
