"""Live seismic-bumps features of a shift, known answers: GMax energy and pulses, deviations from the previous
shifts, bumps per energy decade."""

from __future__ import annotations

import math

import pytest

from mineguard.warning.seismic import NUMERIC
from mineguard.warning.seismic_live import GeophoneShift, aggregate_shift, deviation_pct, shift_row


def test_a_shift_sums_each_geophone_and_keeps_the_most_active() -> None:
    readings = [
        ("g1", "geophone_energy", 100.0),
        ("g1", "geophone_energy", 300.0),
        ("g2", "geophone_energy", 250.0),
        ("g1", "geophone_pulses", 7.0),
        ("g2", "geophone_pulses", 9.0),
        ("g2", "geophone_pulses", math.nan),  # left out
        ("g1", "geophone_energy", -5.0),  # left out
        ("s1", "seismic_energy", 0.0),  # no bump
        ("s1", "seismic_energy", 99.0),  # below 10^2 J: not a bump
        ("s1", "seismic_energy", 2_000.0),
        ("s1", "seismic_energy", 30_000.0),
        ("s1", "seismic_energy", 2e8),
        ("m1", "methane", 1.0),  # another kind: ignored
    ]
    shift = aggregate_shift(readings, coal_getting=True)
    assert (shift.genergy, shift.gpuls, shift.bumps) == (400.0, 9.0, (2_000.0, 30_000.0, 2e8))
    row = shift_row(shift, [])
    assert set(row) == {"shift", *NUMERIC}
    assert row["shift"] == "W" and (row["gdenergy"], row["gdpuls"]) == (0.0, 0.0)  # no history: no deviation
    assert (row["nbumps"], row["nbumps2"], row["nbumps3"], row["nbumps4"], row["nbumps89"]) == (3, 0, 1, 1, 1)
    assert (row["energy"], row["maxenergy"]) == (2_000.0 + 30_000.0 + 2e8, 2e8)


def test_deviations_compare_with_the_mean_of_the_last_8_shifts() -> None:
    old = [GeophoneShift(False, {"g": 10_000.0}, {"g": 1.0})]  # the 9th shift back: out of the window
    previous = old + [GeophoneShift(False, {"g": 1_000.0 * (k + 1)}, {"g": 100.0}) for k in range(8)]  # mean 4,500
    row = shift_row(GeophoneShift(False, {"g": 9_000.0}, {"g": 50.0}), previous)
    assert (row["shift"], row["gdenergy"], row["gdpuls"]) == ("N", 100.0, -50.0)


@pytest.mark.parametrize(
    ("value", "previous", "expected"), [(3.0, [2.0], 50.0), (1.0, [0.0, 0.0], 0.0), (5.0, [], 0.0)]
)
def test_deviation_pct(value: float, previous: list[float], expected: float) -> None:
    assert deviation_pct(value, previous) == expected
