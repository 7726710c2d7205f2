"""Known-answer tests for cleansing: spikes vs steps, flat noise, stuck values, gaps, range, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from mineguard.warning.sensing import CleanseSpec, Flag, cleanse


def _noisy(n: int = 200, level: float = 0.4, sigma: float = 0.01, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return np.arange(n, dtype=float) * 10.0, level + rng.normal(0, sigma, n)


def test_single_spike_flagged_and_value_kept() -> None:
    t, v = _noisy()
    v[100] = 3.0
    res = cleanse(t, v, "methane")
    assert np.flatnonzero(res.has(Flag.SPIKE)).tolist() == [100]
    assert res.flags[100] == ["spike"]
    assert np.isnan(res.clean[100]) and v[100] == 3.0  # flagged, never changed
    assert np.isfinite(np.delete(res.clean, 100)).all()


def test_step_change_is_not_a_spike() -> None:
    t, v = _noisy()
    v[100:] += 1.5  # a real event: methane rises and stays
    res = cleanse(t, v, "methane")
    assert not res.has(Flag.SPIKE).any()


def test_flat_noisy_line_not_flagged() -> None:
    t, v = _noisy(n=2000, sigma=0.02, seed=3)
    res = cleanse(t, v, "methane")
    assert res.mask.sum() == 0
    assert all(f == [] for f in res.flags)


def test_out_of_range_and_not_finite() -> None:
    t = np.arange(5, dtype=float)
    v = np.array([20.5, 20.6, 99.0, np.nan, 20.4])
    res = cleanse(t, v, "temperature")
    assert res.flags[2] == ["out_of_range", "spike"]
    assert res.flags[3] == ["not_finite"]
    assert res.counts()["out_of_range"] == 1


def test_stuck_detected_but_not_zero_gas_or_short_runs() -> None:
    t = np.arange(0, 4 * 3600, 60, dtype=float)  # 4 h at 1/min
    v = 0.3 + np.random.default_rng(1).normal(0, 0.01, t.size)
    v[60:] = 0.42  # frozen for 3 h
    res = cleanse(t, v, "methane", CleanseSpec(stuck_s=2 * 3600))
    assert res.has(Flag.STUCK)[60:].all() and not res.has(Flag.STUCK)[:59].any()
    assert not cleanse(t, v, "methane", CleanseSpec(stuck_s=4 * 3600)).has(Flag.STUCK).any()
    assert not cleanse(t, np.zeros_like(t), "co").has(Flag.STUCK).any()  # 0 ppm CO in clean air is normal
    assert not cleanse(t, np.full_like(t, 30.0), "roof_pressure").has(Flag.STUCK).any()  # steady by nature


def test_gap_flags_next_sample_and_lists_interval() -> None:
    t = np.array(
        ["2024-05-01T00:00:00", "2024-05-01T00:00:10", "2024-05-01T00:05:00", "2024-05-01T00:05:10"],
        dtype="datetime64[ms]",
    )
    res = cleanse(t, np.array([0.3, 0.3, 0.31, 0.3]), "methane", CleanseSpec(gap_s=60))
    assert res.flags == [[], [], ["after_gap"], []]
    assert res.gaps.dtype == np.dtype("datetime64[ms]")
    assert res.gaps.tolist() == [[t[1].item(), t[2].item()]]
    assert not np.isnan(res.clean).any()  # after_gap is informational


def test_empty_series() -> None:
    res = cleanse(np.array([], dtype=float), np.array([]), "co")
    assert res.mask.shape == (0,) and res.gaps.shape == (0, 2)


@pytest.mark.parametrize(
    ("t", "v", "match"),
    [
        (np.arange(3.0), np.arange(4.0), "one timestamp per value"),
        (np.array([0.0, 2.0, 1.0]), np.arange(3.0), "argsort"),
        (np.array([0.0, np.nan]), np.arange(2.0), "timestamp"),
    ],
)
def test_bad_input_says_how_to_fix(t: np.ndarray, v: np.ndarray, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        cleanse(t, v, "methane")


def test_unknown_kind() -> None:
    with pytest.raises(ValueError, match="known kinds"):
        cleanse(np.arange(3.0), np.arange(3.0), "radon")


def test_discrete_running_state_is_never_a_spike_or_stuck_in_batch_either() -> None:
    t = np.arange(0.0, 6 * 3600.0, 60.0)
    values = np.ones(t.size)
    values[100] = 0.0  # a stop for one minute
    res = cleanse(t, values, "running")
    assert not res.mask.any()
