"""Canonical units: known-answer conversions, refusals that name the accepted units, physical spans."""

from __future__ import annotations

import pytest

from mineguard.mine.units import (
    CANONICAL_UNITS,
    CONVERSIONS,
    PHYSICAL_SPANS,
    UnitError,
    accepted_units,
    from_canonical,
    out_of_span,
    to_canonical,
)


@pytest.mark.parametrize(
    ("kind", "value", "unit", "expected"),
    [
        ("methane", 5000, "ppm", 0.5),
        ("methane", 1.25, "%", 1.25),
        ("methane", 0.8, "%vol", 0.8),
        ("o2", 209_000, "ppm", 20.9),
        ("co", 24, "ppm", 24),
        ("co", 1500, "ppb", 1.5),
        ("h2s", 250, "ppb", 0.25),
        ("temperature", 212, "degF", 100.0),
        ("temperature", 32, "°F", 0.0),
        ("temperature", 300.15, "K", 27.0),
        ("temperature", 21.5, "°C", 21.5),
        ("wind_speed", 120, "m/min", 2.0),
        ("wind_speed", 36, "km/h", 10.0),
        ("wind_speed", 200, "ft/min", 1.016),
        ("dust", 2500, "ug/m3", 2.5),
        ("roof_pressure", 1500, "kPa", 1.5),
        ("roof_pressure", 250, "bar", 25.0),
        ("vibration", 0.5, "in/s", 12.7),
        ("humidity", 85, "%", 85),
        ("bearing_temp", 167, "degF", 75.0),
        ("bearing_temp", 348.15, "K", 75.0),
        ("running", 1, "on/off", 1.0),
        ("running", 0, "state", 0.0),
        ("dust", 4, " mg/m3 ", 4),  # surrounding blanks are ignored
    ],
)
def test_known_answers(kind: str, value: float, unit: str, expected: float) -> None:
    assert to_canonical(kind, value, unit) == pytest.approx(expected, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize(
    ("kind", "canonical", "unit", "expected"),
    [
        ("methane", 0.5, "ppm", 5000.0),
        ("temperature", 25.0, "degF", 77.0),
        ("wind_speed", 2.5, "m/min", 150.0),
        ("roof_pressure", 24.0, "kPa", 24000.0),
        ("bearing_temp", 75.0, "K", 348.15),
        ("co", 3.0, "ppm", 3.0),
    ],
)
def test_from_canonical_inverts_to_canonical(kind: str, canonical: float, unit: str, expected: float) -> None:
    assert from_canonical(kind, canonical, unit) == pytest.approx(expected, rel=1e-12)
    assert to_canonical(kind, from_canonical(kind, canonical, unit), unit) == pytest.approx(canonical, rel=1e-12)


def test_from_canonical_refuses_as_to_canonical_does() -> None:
    with pytest.raises(UnitError, match=r"cannot be converted: mass concentration"):
        from_canonical("co", 3.0, "mg/m3")


@pytest.mark.parametrize(
    ("kind", "unit", "message"),
    [
        (
            "co",
            "mg/m3",
            r"co in 'mg/m3' cannot be converted: mass concentration needs the air temperature and "
            r"pressure to become ppm — send one of: ppm, ppb",
        ),
        ("no2", "mg/m³", r"needs the air temperature"),
        ("h2s", "mg/m3", r"send one of: ppm, ppb"),
        ("methane", "%LEL", r"lower explosive limit is 4\.4 % or 5 % vol .* send one of: %, %vol, ppm"),
        ("temperature", "Rankine", r"temperature in 'Rankine' is not a known unit — send one of: degC, °C, C, degF"),
        ("roof_pressure", "mpa", r"'mpa' is not a known unit — send one of: MPa, kPa, bar, psi"),  # case matters
        ("water_level", "m", r"no canonical unit for sensor kind 'water_level' — known kinds: methane, co"),
    ],
)
def test_refusals_name_the_accepted_units(kind: str, unit: str, message: str) -> None:
    with pytest.raises(UnitError, match=message):
        to_canonical(kind, 1.0, unit)


def test_every_kind_has_its_canonical_unit_a_conversion_and_a_span() -> None:
    assert set(CANONICAL_UNITS) == set(CONVERSIONS) == set(PHYSICAL_SPANS)
    for kind, unit in CANONICAL_UNITS.items():
        assert to_canonical(kind, 3.0, unit) == 3.0
        assert accepted_units(kind)[0] == unit
        low, high = PHYSICAL_SPANS[kind]
        assert low < high


@pytest.mark.parametrize(
    ("kind", "value", "inside"),
    [
        ("methane", 0.0, True),
        ("methane", 100.0, True),
        ("methane", 100.01, False),
        ("methane", -0.1, False),
        ("o2", 20.9, True),
        ("co", 10_001, False),
        ("temperature", -50, True),
        ("temperature", -51, False),
        ("temperature", 200.5, False),
        ("wind_speed", 51, False),
        ("dust", 5000, True),
        ("roof_pressure", 250, False),
        ("vibration", 1e4, False),
        ("humidity", 101, False),
        ("water_level", 1e9, True),
    ],
)
def test_physical_spans(kind: str, value: float, inside: bool) -> None:
    problem = out_of_span(kind, value)
    assert (problem is None) == inside
    if not inside:
        assert f"{kind} {value:g}" in problem and "physical span" in problem and "check the sensor" in problem


def test_machine_kinds_have_their_units_and_spans() -> None:
    assert CANONICAL_UNITS["running"] == "state" and accepted_units("running") == ["state", "on/off"]
    assert CANONICAL_UNITS["bearing_temp"] == "degC" and "degF" in accepted_units("bearing_temp")
    assert out_of_span("running", 1.0) is None and out_of_span("running", 0.0) is None
    assert "outside the physical span 0..1 state" in (out_of_span("running", 2.0) or "")
    with pytest.raises(UnitError, match=r"running in 'rpm' is not a known unit — send one of: state, on/off"):
        to_canonical("running", 1500, "rpm")
