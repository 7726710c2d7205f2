"""The seismic-bumps features of one shift of a longwall, from its live geophone and seismometer readings.

The offline hazard data (``warning.seismic``, UCI seismic-bumps, Sikora & Wróbel 2010) describes each
shift of a longwall by what its monitoring recorded; the same numbers come out of the live readings of
the site's seismic sensors (a ``longwall`` in the site file), each reading holding what its interval
recorded (``mine.units``: J, or a pulse count):

- ``genergy`` / ``gpuls``: the shift's seismoacoustic energy (J) and pulse count of the most active
  geophone of the longwall (GMax);
- ``gdenergy`` / ``gdpuls``: their deviation (%) from the mean of the previous (up to 8) shifts;
- ``nbumps`` .. ``nbumps89``: the seismic bumps of the shift (seismometer readings of 10^2 J or more), in
  all and per decade of energy (10^2, 10^3, ... 10^7 J, and 10^8 J and up);
- ``energy`` / ``maxenergy``: their total and largest energy (J);
- ``shift``: ``W`` for a coal-getting (``work``) shift, ``N`` for preparation.

:func:`aggregate_shift` sums one shift's readings; :func:`shift_row` turns it and the previous shifts
into the row, named as the columns of the seismic-bumps file (``seismic.NUMERIC`` and ``shift``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from mineguard.warning.seismic import NUMERIC

GEOPHONE_ENERGY, GEOPHONE_PULSES, SEISMIC_ENERGY = "geophone_energy", "geophone_pulses", "seismic_energy"
MIN_BUMP_J = 100.0  # a seismometer reading of this much or more is a bump (the data set's smallest decade)
DEVIATION_SHIFTS = 8  # gdenergy / gdpuls compare with the mean of this many previous shifts
# nbumps2 .. nbumps7: bumps of [10^k, 10^(k+1)) J; nbumps89: 10^8 J and more
DECADES = (("nbumps2", 2), ("nbumps3", 3), ("nbumps4", 4), ("nbumps5", 5), ("nbumps6", 6), ("nbumps7", 7))


@dataclass(frozen=True)
class GeophoneShift:
    """One shift of one longwall: per geophone its energy (J) and pulses, the bumps' energies (J)."""

    coal_getting: bool
    energy: dict[str, float] = field(default_factory=dict)  # geophone device id -> J in the shift
    pulses: dict[str, float] = field(default_factory=dict)  # geophone device id -> pulses in the shift
    bumps: tuple[float, ...] = ()  # energies of the seismic bumps (J), >= MIN_BUMP_J

    @property
    def genergy(self) -> float:
        return max(self.energy.values(), default=0.0)

    @property
    def gpuls(self) -> float:
        return max(self.pulses.values(), default=0.0)


def aggregate_shift(readings: Iterable[tuple[str, str, float]], *, coal_getting: bool) -> GeophoneShift:
    """Sum one shift's ``(device id, sensor kind, value)`` readings of one longwall (canonical units).

    Non-finite and negative values are left out (the cleansing flags them; a geophone never reads
    less than nothing); readings of other kinds are ignored.
    """
    energy: dict[str, float] = {}
    pulses: dict[str, float] = {}
    bumps: list[float] = []
    for device, kind, value in readings:
        if not math.isfinite(value) or value < 0:
            continue
        if kind == GEOPHONE_ENERGY:
            energy[device] = energy.get(device, 0.0) + value
        elif kind == GEOPHONE_PULSES:
            pulses[device] = pulses.get(device, 0.0) + value
        elif kind == SEISMIC_ENERGY and value >= MIN_BUMP_J:
            bumps.append(float(value))
    return GeophoneShift(coal_getting, energy, pulses, tuple(bumps))


def deviation_pct(value: float, previous: Sequence[float]) -> float:
    """``value``'s deviation (%) from the mean of ``previous``, rounded as in the data set; 0 with no history
    (or a zero mean: nothing to compare with)."""
    mean = sum(previous) / len(previous) if previous else 0.0
    return 0.0 if mean <= 0 else float(round(100.0 * (value - mean) / mean))


def shift_row(current: GeophoneShift, previous: Sequence[GeophoneShift]) -> dict[str, float | str]:
    """The seismic-bumps row of ``current`` (``previous``: the shifts before it, oldest first).

    Keys: ``shift`` ("W" or "N") and every name of ``seismic.NUMERIC``.
    """
    before = list(previous)[-DEVIATION_SHIFTS:]
    row: dict[str, float | str] = {
        "shift": "W" if current.coal_getting else "N",
        "genergy": current.genergy,
        "gpuls": current.gpuls,
        "gdenergy": deviation_pct(current.genergy, [s.genergy for s in before]),
        "gdpuls": deviation_pct(current.gpuls, [s.gpuls for s in before]),
        "nbumps": float(len(current.bumps)),
    }
    decades = [math.floor(math.log10(b)) for b in current.bumps]
    for name, k in DECADES:
        row[name] = float(sum(d == k for d in decades))
    row["nbumps89"] = float(sum(d >= 8 for d in decades))
    row["energy"] = float(sum(current.bumps))
    row["maxenergy"] = float(max(current.bumps, default=0.0))
    assert set(NUMERIC) <= set(row), "a seismic-bumps column is missing from the live row"
    return row
