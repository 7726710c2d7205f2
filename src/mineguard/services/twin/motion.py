"""Motion state of a miner's wearable tag from its accelerometer (seed 004 §3.1.2-3.1.3).

"The accelerometer is a key component in recognizing the pattern of motion of the assets"
(§3.1.2); the monitoring sensitivities, e.g. the "fainting detection limit" and the "location
environmental noise value", are tunable (§3.1.3) and live in :class:`MotionLimits`.

Units: accelerations in g (gravity included, so a motionless tag reads |a| ≈ 1 g), times in
seconds, sample rate in Hz. The algorithm works on the magnitude |a| of each (x, y, z) sample,
so it does not depend on how the tag is worn:

* activity = std of |a| over a sliding window of ``window_s``; a window is quiet when its
  activity is below ``noise_g``. A sample is still when some quiet window contains it, and a
  still run is a maximal stretch of still samples.
* fall: a free-fall dip (|a| < ``freefall_g``), then within ``impact_window_s`` an impact
  (peak |a| > ``fall_impact_g``), then a still run that begins within one window after the
  impact (the spike and a short bounce) and lasts at least ``fall_still_s``.
* faint: a still run of at least ``faint_still_s``; a run that starts the chunk adds
  ``still_before_s`` (how long the tag was already still before the chunk).
* otherwise MOVING if the activity of the last window is at least ``noise_g``, else STILL.

A fall or faint anywhere in the chunk gives FALL_OR_FAINT even if the wearer moves again by
its end, so the alarm does not depend on how the stream was cut into chunks. A fall whose
``fall_still_s`` confirmation straddles a chunk boundary is not seen (the next chunk lacks
the dip and the impact); if the wearer stays down, the faint limit still catches it.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Literal

import numpy as np


class MotionState(StrEnum):
    MOVING = "moving"
    STILL = "still"
    FALL_OR_FAINT = "fall_or_faint"


@dataclass(frozen=True)
class MotionLimits:
    """Tunable sensitivities (seed 004 §3.1.3); accelerations in g, times in seconds."""

    noise_g: float = 0.05  # environmental noise value: std of |a| below this counts as still
    freefall_g: float = 0.5  # |a| below this is a free-fall dip
    fall_impact_g: float = 2.5  # |a| above this is an impact
    impact_window_s: float = 1.0  # the impact must follow the dip within this time
    fall_still_s: float = 2.0  # stillness after the impact that confirms a fall
    faint_still_s: float = 60.0  # fainting limit: motionless this long (no impact needed)
    window_s: float = 1.0  # sliding window for the std of |a|

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, numbers.Real) or not math.isfinite(value) or value <= 0:
                raise ValueError(
                    f"MotionLimits.{f.name} must be a positive finite number, got {value!r}; "
                    f"use e.g. the default {f.default}"
                )
        if self.freefall_g >= 1.0:
            raise ValueError(
                f"MotionLimits.freefall_g must be below 1 g (a motionless tag reads 1 g), got {self.freefall_g}; "
                "use e.g. 0.5"
            )
        if self.fall_impact_g <= 1.0:
            raise ValueError(
                f"MotionLimits.fall_impact_g must be above 1 g (a motionless tag reads 1 g), got {self.fall_impact_g}; "
                "use e.g. 2.5"
            )


@dataclass(frozen=True)
class MotionReading:
    """Result for one chunk: state, activity (std of |a| over the last window), peak |a| of the
    chunk in g, how long the tag has been still at the end of the chunk (s), and a sentence for
    the control room."""

    state: MotionState
    activity_g: float
    peak_g: float
    still_for_s: float
    reason: str


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and (exclusive) end indices of the runs of True in a 1-D boolean array."""
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def _sliding_std(x: np.ndarray, win: int) -> np.ndarray:
    """Population std of every window of ``win`` consecutive samples; length len(x) - win + 1."""
    centred = x - x.mean()  # keeps the running sums small, so the variance does not cancel
    c1 = np.concatenate(([0.0], np.cumsum(centred)))
    c2 = np.concatenate(([0.0], np.cumsum(centred * centred)))
    mean = (c1[win:] - c1[:-win]) / win
    var = (c2[win:] - c2[:-win]) / win - mean * mean
    return np.sqrt(np.clip(var, 0.0, None))


def classify_motion(
    accel_g: np.ndarray, rate_hz: float, limits: MotionLimits = MotionLimits(), *, still_before_s: float = 0.0
) -> MotionReading:
    """Classify one chunk of (N, 3) accelerations in g sampled at ``rate_hz`` (see module docstring)."""
    if not isinstance(rate_hz, numbers.Real) or not math.isfinite(rate_hz) or rate_hz <= 0:
        raise ValueError(f"rate_hz must be a positive sample rate in Hz, got {rate_hz!r}; pass the tag's rate, e.g. 50")
    if not math.isfinite(still_before_s) or still_before_s < 0:
        raise ValueError(
            f"still_before_s must be >= 0 seconds, got {still_before_s!r}; pass the previous reading's "
            "still_for_s when its state was still or fall_or_faint, else 0"
        )
    a = np.asarray(accel_g, dtype=np.float64)
    if a.ndim != 2 or a.shape[1] != 3:
        raise ValueError(f"accel_g must have shape (N, 3) (x, y, z in g), got {a.shape}; reshape it to (-1, 3)")
    win = round(limits.window_s * rate_hz)
    if win < 2:
        raise ValueError(
            f"window_s={limits.window_s} s at rate_hz={rate_hz} gives {win} sample(s) per window; "
            "need at least 2: raise window_s or the sample rate"
        )
    n = a.shape[0]
    if n < win:
        raise ValueError(
            f"accel_g has {n} samples but one window needs {win} (window_s={limits.window_s} s × rate_hz={rate_hz}); "
            f"send at least {limits.window_s} s of data per chunk or shorten window_s"
        )
    if not np.isfinite(a).all():
        bad = int((~np.isfinite(a)).any(axis=1).sum())
        raise ValueError(f"accel_g has {bad} sample(s) with NaN or inf; drop or interpolate them before classifying")

    mag = np.linalg.norm(a, axis=1)
    activity = _sliding_std(mag, win)  # window k covers samples k .. k + win - 1
    quiet = activity < limits.noise_g
    # sample j is still when a quiet window k in [j - win + 1, j] contains it
    cq = np.concatenate(([0], np.cumsum(quiet)))
    j = np.arange(n)
    still = (cq[np.minimum(j, quiet.size - 1) + 1] - cq[np.maximum(j - win + 1, 0)]) > 0
    run_start, run_end = _runs(still)
    run_s = (run_end - run_start) / rate_hz + np.where(run_start == 0, still_before_s, 0.0)

    last_activity = float(activity[-1])
    peak = float(mag.max())
    still_for = float(run_s[-1]) if run_end.size and run_end[-1] == n else 0.0
    tail = "; moving again at the end of the chunk" if last_activity >= limits.noise_g else ""

    # fall: dip -> impact within impact_window_s -> still run starting within one window
    reach = round(limits.impact_window_s * rate_hz)
    dip_start, dip_end = _runs(mag < limits.freefall_g)
    for d0, d1 in zip(dip_start, dip_end, strict=True):
        after = mag[d1 : min(n, d1 + reach + 1)]
        if after.size == 0 or after.max() <= limits.fall_impact_g:
            continue
        hit = d1 + int(after.argmax())
        cand = (run_end > hit + 1) & (run_start <= hit + win)
        if not cand.any():
            continue
        k = int(np.flatnonzero(cand)[0])
        down_s = (run_end[k] - max(int(run_start[k]), hit + 1)) / rate_hz
        if down_s >= limits.fall_still_s:
            return MotionReading(
                MotionState.FALL_OR_FAINT,
                last_activity,
                peak,
                still_for,
                f"fall: impact {mag[hit]:.1f} g after free fall ({(d1 - d0) / rate_hz:.1f} s below "
                f"{limits.freefall_g:g} g) at {hit / rate_hz:.1f} s into the chunk, still {down_s:.1f} s{tail}",
            )

    if run_s.size and run_s.max() >= limits.faint_still_s:
        k = int(run_s.argmax())
        before = f", incl. {still_before_s:.0f} s before this chunk" if run_start[k] == 0 and still_before_s else ""
        return MotionReading(
            MotionState.FALL_OR_FAINT,
            last_activity,
            peak,
            still_for,
            f"possible faint: motionless {run_s[k]:.0f} s{before} (fainting limit {limits.faint_still_s:g} s){tail}",
        )
    if last_activity >= limits.noise_g:
        return MotionReading(
            MotionState.MOVING,
            last_activity,
            peak,
            still_for,
            f"moving: activity {last_activity:.2f} g at or above the noise value {limits.noise_g:g} g",
        )
    return MotionReading(
        MotionState.STILL,
        last_activity,
        peak,
        still_for,
        f"still {still_for:.1f} s: activity {last_activity:.3f} g below the noise value {limits.noise_g:g} g",
    )


MotionKind = Literal["walking", "still", "fall", "faint"]
_KINDS = ("walking", "still", "fall", "faint")
_UPRIGHT = np.array([0.0, 0.0, 1.0])  # gravity on z: standing, walking, sitting
_LYING = np.array([1.0, 0.0, 0.0])  # gravity on x: lying on the back


def _walking(t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    f = 2.0 * rng.uniform(0.9, 1.1)  # gait ~2 Hz
    amp = 0.3 * rng.uniform(0.9, 1.1)  # ~0.3 g on the vertical axis
    phase = rng.uniform(0, 2 * np.pi)
    w = 2 * np.pi * f * t + phase
    return np.stack([0.1 * np.sin(w + np.pi / 2), 0.05 * np.sin(w / 2), 1.0 + amp * np.sin(w)], axis=1)


def generate_accel(
    kind: MotionKind, *, seconds: float, rate_hz: float = 50.0, seed: int = 0, noise_g: float = 0.01
) -> np.ndarray:
    """Synthetic (N, 3) accelerations in g, N = round(seconds * rate_hz), for tests, demos and the simulator.

    walking: ~2 Hz gait, ~0.3 g on the vertical axis; still: gravity on z; faint: lying
    (gravity on x) the whole time; fall: walking until min(3 s, seconds / 3), ~0.3 s free fall
    (|a| 0.3 -> 0.1 g), an impact spike of 3-4 g (~0.1 s), then lying still. Gaussian noise of
    std ``noise_g`` on each axis.
    """
    if kind not in _KINDS:
        raise ValueError(f"unknown kind {kind!r}; use one of {', '.join(_KINDS)}")
    if not math.isfinite(rate_hz) or rate_hz <= 0:
        raise ValueError(f"rate_hz must be a positive sample rate in Hz, got {rate_hz!r}")
    if not math.isfinite(noise_g) or noise_g < 0:
        raise ValueError(f"noise_g must be >= 0 g, got {noise_g!r}")
    n = round(seconds * rate_hz) if math.isfinite(seconds) else 0
    if n < 1:
        raise ValueError(f"seconds={seconds!r} at rate_hz={rate_hz} gives no samples; pass a longer duration")
    rng = np.random.default_rng(seed)
    t = np.arange(n) / rate_hz
    if kind == "walking":
        out = _walking(t, rng)
    elif kind == "still":
        out = np.tile(_UPRIGHT, (n, 1))
    elif kind == "faint":
        out = np.tile(_LYING, (n, 1))
    else:
        i0 = round(min(3.0, seconds / 3) * rate_hz)
        n_ff = max(2, round(0.3 * rate_hz))
        n_hit = max(3, round(0.1 * rate_hz)) | 1  # odd, so the triangle reaches its peak
        if i0 < 1 or n < i0 + n_ff + n_hit + 1:
            need = 1.5 * (n_ff + n_hit + 1) / rate_hz + 1 / rate_hz
            raise ValueError(
                f"a fall needs about {need:.1f} s at rate_hz={rate_hz}, got seconds={seconds}; pass a longer duration"
            )
        out = np.tile(_LYING, (n, 1))
        out[:i0] = _walking(t[:i0], rng)
        out[i0 : i0 + n_ff] = np.linspace(0.3, 0.1, n_ff)[:, None] * _UPRIGHT
        tri = 1.0 - np.abs(np.linspace(-1.0, 1.0, n_hit + 2)[1:-1])
        direction = np.array([0.6, 0.0, 0.8])
        out[i0 + n_ff : i0 + n_ff + n_hit] = (1.0 + (rng.uniform(3.0, 4.0) - 1.0) * tri)[:, None] * direction
    return out + rng.normal(0.0, noise_g, size=(n, 3))
