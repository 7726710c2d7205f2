"""Canonical units per sensor kind, conversions into them, and physical spans.

Readings are stored in one canonical unit per kind (``CANONICAL_UNITS``) so thresholds and
models never guess; the raw value and unit are kept beside them. Conversions are affine,
``canonical = raw * scale + offset``:

- methane, o2: ``%`` vol; 1 % vol = 10 000 ppm.
- co, no2, h2s: ``ppm`` (by volume); ``mg/m3`` is refused: mass concentration -> ppm needs the
  air's temperature and pressure (ppm = mg/m3 * 24.45 / M only at 25 degC, 1 atm).
- methane ``%LEL`` is refused too: the lower explosive limit is 4.4 % vol (IEC 60079-20-1) or
  5 % vol (older tables), so the conversion depends on how the detector was calibrated.
- temperature, bearing_temp (a machine's bearing): ``degC``; degF -> (F - 32) * 5/9, K -> K - 273.15.
- wind_speed: ``m/s``; m/min / 60, km/h / 3.6, ft/min * 0.00508.
- dust: ``mg/m3``; ug/m3 / 1000, g/m3 * 1000.
- roof_pressure: ``MPa``; kPa / 1000, bar / 10, psi * 0.006894757.
- vibration (velocity): ``mm/s``; in/s * 25.4.
- humidity: ``%RH``.
- running (a machine's run signal): ``state``, 1 = running, 0 = stopped; ``on/off`` is the same scale.
- geophone_energy, seismic_energy: ``J`` released in the reading's interval (a geophone's seismoacoustic
  energy; a seismometer's bump energy, 0 when no bump); kJ * 1000, MJ * 10^6.
- geophone_pulses: ``count`` of seismoacoustic pulses a geophone registered in the reading's interval.

``PHYSICAL_SPANS`` bound what an instrument can physically report, in canonical units; a value
outside is an instrument fault (a broken methane head reading 120 %), not a hazard reading.
"""

from __future__ import annotations

from dataclasses import dataclass

CANONICAL_UNITS: dict[str, str] = {
    "methane": "%",
    "co": "ppm",
    "o2": "%",
    "no2": "ppm",
    "h2s": "ppm",
    "temperature": "degC",
    "wind_speed": "m/s",
    "dust": "mg/m3",
    "roof_pressure": "MPa",
    "vibration": "mm/s",
    "humidity": "%RH",
    "bearing_temp": "degC",
    "running": "state",
    "geophone_energy": "J",
    "geophone_pulses": "count",
    "seismic_energy": "J",
}


@dataclass(frozen=True)
class Conversion:
    """``canonical = raw * scale + offset``."""

    scale: float
    offset: float = 0.0

    def apply(self, value: float) -> float:
        return value * self.scale + self.offset

    def invert(self, canonical: float) -> float:
        return (canonical - self.offset) / self.scale


_SAME = Conversion(1.0)
_PPM_TO_PCT = Conversion(1e-4)
_PPB_TO_PPM = Conversion(1e-3)
_TOXIC_GAS = {"ppm": _SAME, "ppb": _PPB_TO_PPM}
_DEGC = {"degC": _SAME, "°C": _SAME, "C": _SAME}
_TEMPERATURE = {
    **_DEGC,
    "degF": Conversion(5 / 9, -32 * 5 / 9),
    "°F": Conversion(5 / 9, -32 * 5 / 9),
    "F": Conversion(5 / 9, -32 * 5 / 9),
    "K": Conversion(1.0, -273.15),
}

CONVERSIONS: dict[str, dict[str, Conversion]] = {
    "methane": {"%": _SAME, "%vol": _SAME, "ppm": _PPM_TO_PCT},
    "o2": {"%": _SAME, "%vol": _SAME, "ppm": _PPM_TO_PCT},
    "co": _TOXIC_GAS,
    "no2": _TOXIC_GAS,
    "h2s": _TOXIC_GAS,
    "temperature": _TEMPERATURE,
    "wind_speed": {
        "m/s": _SAME,
        "m/min": Conversion(1 / 60),
        "km/h": Conversion(1 / 3.6),
        "ft/min": Conversion(0.00508),
    },
    "dust": {
        "mg/m3": _SAME,
        "mg/m³": _SAME,
        "ug/m3": Conversion(1e-3),
        "µg/m3": Conversion(1e-3),
        "g/m3": Conversion(1e3),
    },
    "roof_pressure": {"MPa": _SAME, "kPa": Conversion(1e-3), "bar": Conversion(0.1), "psi": Conversion(0.006894757)},
    "vibration": {"mm/s": _SAME, "in/s": Conversion(25.4)},
    "humidity": {"%RH": _SAME, "%": _SAME},
    "bearing_temp": _TEMPERATURE,
    "running": {"state": _SAME, "on/off": _SAME},
    "geophone_energy": {"J": _SAME, "kJ": Conversion(1e3), "MJ": Conversion(1e6)},
    "geophone_pulses": {"count": _SAME},
    "seismic_energy": {"J": _SAME, "kJ": Conversion(1e3), "MJ": Conversion(1e6)},
}

# Units that look convertible but are not without more information; the reason says why.
NOT_CONVERTIBLE: dict[tuple[str, str], str] = {
    **{
        (gas, unit): "mass concentration needs the air temperature and pressure to become ppm"
        for gas in ("co", "no2", "h2s")
        for unit in ("mg/m3", "mg/m³")
    },
    ("methane", "%LEL"): "the lower explosive limit is 4.4 % or 5 % vol depending on the standard",
}

# (low, high) in the canonical unit; outside is physically impossible or an instrument fault.
PHYSICAL_SPANS: dict[str, tuple[float, float]] = {
    "methane": (0.0, 100.0),
    "o2": (0.0, 100.0),
    "co": (0.0, 10_000.0),
    "no2": (0.0, 10_000.0),
    "h2s": (0.0, 10_000.0),
    "temperature": (-50.0, 200.0),
    "wind_speed": (0.0, 50.0),
    "dust": (0.0, 5_000.0),
    "roof_pressure": (0.0, 200.0),
    "vibration": (0.0, 1_000.0),
    "humidity": (0.0, 100.0),
    "bearing_temp": (-50.0, 300.0),
    "running": (0.0, 1.0),
    "geophone_energy": (0.0, 1e10),
    "geophone_pulses": (0.0, 1e6),
    "seismic_energy": (0.0, 1e11),
}


class UnitError(ValueError):
    """A unit that cannot be turned into the kind's canonical unit; the message lists the accepted ones."""


def accepted_units(kind: str) -> list[str]:
    """The units :func:`to_canonical` accepts for ``kind``, canonical first."""
    if kind not in CONVERSIONS:
        raise UnitError(f"no canonical unit for sensor kind {kind!r} — known kinds: {', '.join(CANONICAL_UNITS)}")
    canonical = CANONICAL_UNITS[kind]
    return [canonical, *(unit for unit in CONVERSIONS[kind] if unit != canonical)]


def to_canonical(kind: str, value: float, unit: str) -> float:
    """``value`` in ``unit`` expressed in the canonical unit of ``kind`` (e.g. methane 5000 ppm -> 0.5 %).

    Raises :class:`UnitError` naming the accepted units when ``unit`` is unknown for ``kind``
    or cannot be converted without more information (gas mg/m3, methane %LEL).
    """
    conversions = CONVERSIONS.get(kind)
    if conversions is None:
        raise UnitError(f"no canonical unit for sensor kind {kind!r} — known kinds: {', '.join(CANONICAL_UNITS)}")
    conversion = conversions.get(unit.strip())
    if conversion is not None:
        return conversion.apply(value)
    accepted = ", ".join(accepted_units(kind))
    why = NOT_CONVERTIBLE.get((kind, unit.strip()))
    if why:
        raise UnitError(f"{kind} in {unit!r} cannot be converted: {why} — send one of: {accepted}")
    raise UnitError(f"{kind} in {unit!r} is not a known unit — send one of: {accepted}")


def conversion(kind: str, unit: str) -> Conversion:
    """The conversion of ``unit`` into the canonical unit of ``kind``; :class:`UnitError` as :func:`to_canonical`."""
    to_canonical(kind, 0.0, unit)  # the same checks and messages
    return CONVERSIONS[kind][unit.strip()]


def from_canonical(kind: str, value: float, unit: str) -> float:
    """``value`` in the canonical unit of ``kind`` expressed in ``unit`` (methane 0.5 % -> 5000 ppm):
    the inverse of :func:`to_canonical`, for a client that must send what its instrument would read.
    Raises :class:`UnitError` as :func:`to_canonical` does."""
    return conversion(kind, unit).invert(value)


def out_of_span(kind: str, value: float) -> str | None:
    """None when canonical ``value`` is physically possible for ``kind``, else why not."""
    span = PHYSICAL_SPANS.get(kind)
    if span is None or span[0] <= value <= span[1]:
        return None
    unit = CANONICAL_UNITS[kind]
    return (
        f"{kind} {value:g} {unit} is outside the physical span {span[0]:g}..{span[1]:g} {unit} — "
        "an instrument fault or a wrong unit; check the sensor and the unit it sends"
    )
