"""Checking and converting a sensor series: times to float seconds, values to float64."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np


def time_to_seconds(t: object) -> tuple[np.ndarray, bool]:
    """``t`` as float64 seconds and whether it was datetime-like (datetime64, or datetime → UTC epoch).

    Naive ``datetime`` values are taken as UTC, as stored in ``sensor_readings.t``.
    """
    if isinstance(t, datetime):
        t = np.datetime64((t.astimezone(UTC).replace(tzinfo=None) if t.tzinfo else t), "ms")
    arr = np.asarray(t)
    if np.issubdtype(arr.dtype, np.datetime64):
        if np.isnat(arr).any():
            raise ValueError("times contain NaT — drop readings without a timestamp before sensing")
        return arr.astype("datetime64[ms]").astype(np.int64).astype(np.float64) / 1000.0, True
    if arr.dtype == object and arr.size and isinstance(arr.flat[0], datetime):
        return np.array([time_to_seconds(x)[0] for x in arr.flat], dtype=np.float64).reshape(arr.shape), True
    if not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"times must be datetime64 or float seconds, got dtype {arr.dtype}")
    secs = arr.astype(np.float64)
    if not np.isfinite(secs).all():
        raise ValueError("times contain NaN or inf — drop readings without a timestamp before sensing")
    return secs, False


def seconds_to_time(secs: np.ndarray, as_datetime: bool) -> np.ndarray:
    """Inverse of :func:`time_to_seconds` for arrays: datetime64[ms] when ``as_datetime``."""
    if as_datetime:
        return np.round(np.asarray(secs) * 1000.0).astype(np.int64).astype("datetime64[ms]")
    return np.asarray(secs, dtype=np.float64)


def check_series(t: object, values: object) -> tuple[np.ndarray, np.ndarray, bool]:
    """(seconds (N,), values (N,) float64, is_datetime); raises with a fix for bad input."""
    secs, is_dt = time_to_seconds(t)
    vals = np.asarray(values, dtype=np.float64)
    if secs.ndim != 1 or vals.ndim != 1:
        raise ValueError(
            f"t and values must be 1-D, got shapes {secs.shape} and {vals.shape} — pass one sensor at a time"
        )
    if secs.shape != vals.shape:
        raise ValueError(f"t has {secs.size} samples but values has {vals.size} — pass one timestamp per value")
    if secs.size > 1 and (np.diff(secs) < 0).any():
        first = int(np.flatnonzero(np.diff(secs) < 0)[0]) + 1
        raise ValueError(
            f"times are not sorted (sample {first} is earlier than sample {first - 1}) — "
            "sort first: order = np.argsort(t, kind='stable'); t, values = t[order], values[order]"
        )
    return secs, vals, is_dt


def scalar_seconds(x: object, is_datetime: bool, name: str) -> float:
    """A scalar time as float seconds, checked to be of the same family as the series times."""
    secs, x_dt = time_to_seconds(x)
    if x_dt != is_datetime:
        want = "a datetime/datetime64" if is_datetime else "float seconds"
        raise TypeError(f"{name} must be {want} like the series times, got {type(x).__name__}")
    if secs.ndim != 0 and secs.size != 1:
        raise ValueError(f"{name} must be a single time, got shape {secs.shape}")
    return float(secs.reshape(-1)[0])
