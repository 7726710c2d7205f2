"""Sensor health as its own signal: ok, stale, stuck, drifting, spiky, out of range or dead (seed 003 §3.1).

A hazard model fed by a dead methane head sees a calm mine. Health is judged per sensor from its
own recent readings, and for drift optionally against a reference (a co-located sensor or the
site median of the same kind) so that a real, mine-wide trend is not blamed on the sensor.
The reason is written for a control-room operator. With the cleansing ``flags`` the live cleanser
stored for each reading, a sensor whose latest reading is out of its span or stuck, or whose recent
readings hold a burst of spikes, is unhealthy too: its values are held back from the rules, so the
health alert is what tells the control room.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from mineguard.mine.units import CANONICAL_UNITS
from mineguard.warning.sensing._series import check_series, scalar_seconds
from mineguard.warning.sensing.checks import Flag
from mineguard.warning.sensing.profiles import KindProfile, profile_for

Status = Literal["ok", "stale", "stuck", "drifting", "spiky", "out_of_range", "dead"]


@dataclass(frozen=True)
class HealthSpec:
    """Health thresholds; ``None`` fields take the kind's :class:`KindProfile` default.

    stale_s: no reading for longer -> stale. dead_s: no reading for longer -> dead. recent_s:
    if every reading in this trailing window is NaN or outside the span -> dead. stuck_s / stuck_eps:
    the latest value unchanged for this long -> stuck (kinds that normally fluctuate only).
    drift_window_s: trailing window for the robust (Theil–Sen) slope; it must be at least half
    covered by readings. drift_per_hour: slope limit, canonical unit per hour. spike_burst: this
    many readings flagged ``spike`` within recent_s -> spiky.
    """

    stale_s: float = 300.0
    dead_s: float = 3600.0
    recent_s: float = 600.0
    stuck_s: float = 2 * 3600.0
    stuck_eps: float = 1e-9
    drift_window_s: float = 6 * 3600.0
    drift_per_hour: float | None = None
    spike_burst: int = 3
    span: tuple[float, float] | None = None
    profile: KindProfile | None = None


@dataclass(frozen=True)
class SensorHealth:
    """The verdict on one sensor at ``now``; ``age_s`` is seconds since its last reading (None if never)."""

    status: Status
    reason: str
    age_s: float | None = None
    slope_per_hour: float | None = None
    reference_slope_per_hour: float | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def theil_sen_slope(secs: np.ndarray, vals: np.ndarray, max_points: int = 200) -> float:
    """Median of pairwise slopes (unit per second); robust to spikes. Subsamples to ``max_points``."""
    keep = np.isfinite(vals)
    secs, vals = secs[keep], vals[keep]
    if secs.size > max_points:
        pick = np.linspace(0, secs.size - 1, max_points).round().astype(int)
        secs, vals = secs[pick], vals[pick]
    i, j = np.triu_indices(secs.size, k=1)
    dt = secs[j] - secs[i]
    ok = dt > 0
    if not ok.any():
        return float("nan")
    return float(np.median((vals[j][ok] - vals[i][ok]) / dt[ok]))


def _hours(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:.0f} s"


def _flagged(
    who: str,
    unit: str,
    secs: np.ndarray,
    vals: np.ndarray,
    now_s: float,
    flags: np.ndarray | None,
    spec: HealthSpec,
    low: float,
    high: float,
    age: float,
) -> SensorHealth | None:
    """The verdict from the stored cleansing flags, or None when they show nothing wrong."""
    if flags is None or flags.size == 0:
        return None
    latest = int(flags[-1])
    if latest & Flag.OUT_OF_RANGE:
        return SensorHealth(
            "out_of_range",
            f"{who}: reads {vals[-1]:g} {unit}, outside its span {low:g}..{high:g} {unit} — the value is not "
            "used by the alarms; recalibrate or replace the sensor head",
            age,
        )
    if latest & Flag.STUCK:
        return SensorHealth(
            "stuck", f"{who}: same value {vals[-1]:g} {unit} for too long — not used by the alarms; check the head", age
        )
    spikes = int(((flags[secs >= now_s - spec.recent_s] & int(Flag.SPIKE)) != 0).sum())
    if spikes >= spec.spike_burst:
        return SensorHealth(
            "spiky",
            f"{who}: {spikes} isolated spikes in the last {_hours(spec.recent_s)} — they are not used by the "
            "alarms; check the sensor head, its cable and connectors for a loose contact or interference",
            age,
        )
    return None


def assess_health(
    t: np.ndarray,
    values: np.ndarray,
    now: object,
    kind: str,
    spec: HealthSpec | None = None,
    *,
    device_id: str | None = None,
    reference: tuple[np.ndarray, np.ndarray] | None = None,
    flags: np.ndarray | None = None,
) -> SensorHealth:
    """Health of one sensor at ``now`` from its readings (t sorted, values canonical unit of ``kind``).

    Checked in order: dead (never reported, silent > dead_s, or every reading of the last
    recent_s NaN/out of span), stale (silent > stale_s), stuck (latest value unchanged for
    >= stuck_s on a kind that fluctuates, or flagged ``stuck``), out_of_range (with ``flags``, the
    cleansing bitmask (N,) of each reading: the latest flagged ``out_of_range``), spiky (at least
    ``spike_burst`` readings of the last recent_s flagged ``spike``), drifting (|Theil–Sen slope| over drift_window_s >
    drift_per_hour and, with a ``reference`` (t, values) of the same kind, |slope - reference
    slope| > drift_per_hour too), else ok.
    """
    spec = spec or HealthSpec()
    secs, vals, is_dt = check_series(t, values)
    now_s = scalar_seconds(now, is_dt, "now")
    prof = spec.profile or profile_for(kind)
    low, high = spec.span or prof.span
    unit = CANONICAL_UNITS.get(kind, "")
    who = f"{prof.label or kind} sensor" + (f" {device_id}" if device_id else "")
    upto = secs <= now_s
    secs, vals = secs[upto], vals[upto]
    if flags is not None:
        flags = np.asarray(flags, dtype=np.int64)
        if flags.shape != upto.shape:
            raise ValueError(f"flags has {flags.size} entries for {upto.size} readings — pass one bitmask per reading")
        flags = flags[upto]

    if secs.size == 0:
        return SensorHealth("dead", f"{who}: no readings at all — check power and wiring to the outstation")
    age = float(now_s - secs[-1])
    if age > spec.dead_s:
        return SensorHealth("dead", f"{who}: no reading for {_hours(age)} — check power, cable and outstation", age)
    recent = secs >= now_s - spec.recent_s
    if recent.any():
        rv = vals[recent]
        with np.errstate(invalid="ignore"):
            good = np.isfinite(rv) & (rv >= low) & (rv <= high)
        if not good.any():
            return SensorHealth(
                "dead",
                f"{who}: all {rv.size} readings of the last {_hours(spec.recent_s)} are missing or outside "
                f"{low:g}..{high:g} {unit} — the sensor head has failed or saturated; replace or recalibrate it",
                age,
            )
    if age > spec.stale_s:
        return SensorHealth("stale", f"{who}: last reading {_hours(age)} ago — check the link to the outstation", age)

    flagged = _flagged(who, unit, secs, vals, now_s, flags, spec, low, high, age)
    if flagged is not None:
        return flagged
    if prof.fluctuates and np.isfinite(vals[-1]):
        with np.errstate(invalid="ignore"):
            changed = ~(np.abs(vals - vals[-1]) <= spec.stuck_eps)
        since = np.flatnonzero(changed)
        run_start = secs[since[-1] + 1] if since.size else secs[0]
        held = secs[-1] - run_start
        at_floor = prof.floor_is_normal and abs(vals[-1] - low) <= spec.stuck_eps
        if held >= spec.stuck_s and not at_floor:
            return SensorHealth(
                "stuck", f"{who}: same value {vals[-1]:g} {unit} for {_hours(held)} — check the sensor head", age
            )

    limit = prof.drift_per_hour if spec.drift_per_hour is None else spec.drift_per_hour
    in_window = secs >= now_s - spec.drift_window_s
    if np.isfinite(limit) and in_window.sum() >= 3 and np.ptp(secs[in_window]) >= spec.drift_window_s / 2:
        slope = theil_sen_slope(secs[in_window], vals[in_window]) * 3600.0
        ref_slope = None
        if reference is not None:
            rs, rv, _ = check_series(*reference)
            rwin = (rs >= now_s - spec.drift_window_s) & (rs <= now_s)
            if rwin.sum() >= 3:
                ref_slope = theil_sen_slope(rs[rwin], rv[rwin]) * 3600.0
        excess = slope - (ref_slope or 0.0) if ref_slope is not None and np.isfinite(ref_slope) else slope
        if np.isfinite(excess) and abs(excess) > limit:
            if ref_slope is not None:
                why = f"while the reference moves {ref_slope:+.3g} {unit}/h — recalibrate (zero and span) the sensor"
            else:
                why = "with no reference to compare; if nearby sensors agree it is a real trend, else recalibrate"
            return SensorHealth(
                "drifting",
                f"{who}: drifting {slope:+.3g} {unit}/h over {_hours(spec.drift_window_s)} (limit {limit:g}) {why}",
                age,
                slope,
                ref_slope,
            )
        return SensorHealth("ok", f"{who}: reporting normally", age, slope, ref_slope)
    return SensorHealth("ok", f"{who}: reporting normally", age)
