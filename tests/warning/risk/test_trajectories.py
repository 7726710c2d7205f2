"""Simulated trajectories for the learned risk model: deterministic per seed, irregular readings, ramps
that cross the limit at their documented rate, and (history, future) samples cut from them."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from mineguard.warning.risk.learned import LearnedRiskConfig
from mineguard.warning.risk.trajectories import (
    EVENT_WEIGHTS,
    EVENTS,
    T0,
    generate_trajectories,
    risk_samples,
    simulate_trajectory,
    train_learned_risk,
)


@pytest.fixture(scope="module")
def trajectories():
    return generate_trajectories(400, seed=7)


def test_same_seed_same_trajectory_and_prefix_stable() -> None:
    a, b = simulate_trajectory(3, 11), simulate_trajectory(3, 11)
    assert np.array_equal(a.t_s, b.t_s) and np.array_equal(a.x, b.x) and a.event == b.event
    assert not np.array_equal(simulate_trajectory(4, 11).signal, a.signal)
    short, long = generate_trajectories(3, seed=5), generate_trajectories(6, seed=5)
    assert all(np.array_equal(s.x, g.x) for s, g in zip(short, long[:3], strict=True))
    with pytest.raises(ValueError, match="n_series must be at least 1"):
        generate_trajectories(0, seed=0)


def test_shapes_and_irregular_sampling(trajectories) -> None:
    gaps = []
    for traj in trajectories:
        assert traj.t_s.shape == traj.x.shape and traj.signal.shape == (3601,)
        assert traj.t_s[0] >= T0 and traj.t_s[-1] <= traj.end_s == T0 + 3600
        step = np.diff(traj.t_s)
        assert (step > 0).all() and 4.0 <= np.median(step) <= 36.0  # a 5-30 s period, +-20 % jitter
        gaps.append(step.max() / np.median(step))
        assert np.all(np.isfinite(traj.x)) and traj.x.min() > -0.2
    assert np.mean(np.array(gaps) > 6) > 0.2  # dropped readings and minutes-long gaps are common
    counts = Counter(t.event for t in trajectories)
    for event, weight in zip(EVENTS, EVENT_WEIGHTS, strict=True):
        assert counts[event] / len(trajectories) == pytest.approx(weight, abs=0.07)


def test_only_events_cross_the_limit(trajectories) -> None:
    crossing = [t for t in trajectories if t.first_crossing_s is not None]
    assert 0.15 < len(crossing) / len(trajectories) < 0.5
    assert not [t for t in crossing if t.event == "quiet"]
    assert sum(t.event in ("ramp", "approach") for t in crossing) >= 0.95 * len(crossing)  # a noisy spike may touch it
    assert max(t.signal.max() for t in trajectories if t.event == "spike") <= 0.97  # the noise-free spikes do not
    assert all(t.first_crossing_s > T0 + t.onset_s for t in crossing)
    plateaus = [t for t in trajectories if t.event == "approach" and t.signal.max() < 1.0]
    assert len(plateaus) > 20 and max(t.signal[-1] for t in plateaus) < 1.0  # hard negatives just below


def test_ramps_rise_and_cross_at_their_rate(trajectories) -> None:
    ramps = [t for t in trajectories if t.event == "ramp"]
    rises, late = [], []
    for traj in ramps:
        onset = int(np.ceil(traj.onset_s))
        rises.append(traj.signal[onset + 60] - traj.signal[onset] - traj.rate_per_min)  # every ramp lasts >= 2 min
        crossed = np.flatnonzero(traj.signal >= 1.0)
        if crossed.size and traj.signal[onset] < 0.9:
            expected_s = onset + (1.0 - traj.signal[onset]) / traj.rate_per_min * 60.0
            late.append((crossed[0] - expected_s) / 60.0 * traj.rate_per_min)  # in limits: what the drift moved
    assert np.abs(rises).max() < 0.03 and abs(np.mean(rises)) < 0.003  # 1 min after onset: up by the rate
    assert len(late) > 20 and np.abs(late).max() < 0.1 and abs(np.median(late)) < 0.005  # drift is bounded by 0.05


def test_samples_pair_a_history_with_its_future(trajectories) -> None:
    config = LearnedRiskConfig()
    samples = risk_samples(trajectories[:20], config, per_series=10, seed=0)
    assert samples.features.shape == (len(samples.target), config.n_features) and samples.features.dtype == np.float32
    assert 150 <= len(samples.target) <= 200 and set(samples.series.tolist()) <= set(range(20))
    assert np.isfinite(samples.features).all() and np.isfinite(samples.target).all()
    future = samples.x_last + samples.target
    assert np.abs(future - samples.x_last).max() < 1.5
    with pytest.raises(ValueError, match="need n_series >= 5"):
        train_learned_risk(3, seed=0)
