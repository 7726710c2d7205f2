"""The simulated multimodal episodes: shapes, determinism, labels, the rule baseline, absence and text."""

from __future__ import annotations

import time
from collections import Counter

import numpy as np
import pytest

from mineguard.sim.episode_config import CHANNELS, VISION_LABELS, EpisodeConfig, alarm_limits
from mineguard.sim.episodes import (
    SimulatedEpisodes,
    build_multimodal_set,
    build_multimodal_set_with_rule,
)
from mineguard.sim.sensors import PROFILES
from mineguard.warning.multimodal import HAZARDS, MODALITIES, MultimodalSet

NARRATIVES = {h: [f"{h} record {i}: hand-made stand-in for an MSHA narrative" for i in range(4)] for h in HAZARDS}
CLEAN = {
    "glitches_per_hour": 0.0,
    "p_drift_fault": 0.0,
    "false_events_per_hour": 0.0,
    "p_sensor_outage": 0.0,
    "p_camera_blind": 0.0,
    "p_camera_outage": 0.0,
}


@pytest.fixture(scope="module")
def sim() -> SimulatedEpisodes:
    return build_multimodal_set_with_rule(48, seed=3, narratives=NARRATIVES)


@pytest.fixture(scope="module")
def clean() -> SimulatedEpisodes:
    """No glitches, drift faults, camera false positives or outages: the rule fires on real hazards only."""
    return build_multimodal_set_with_rule(60, seed=11, narratives=NARRATIVES, **CLEAN)


def _by_episode(data: MultimodalSet, episode_id: int) -> np.ndarray:
    return np.flatnonzero(data.episode == episode_id)


def test_shapes_and_dtypes(sim) -> None:
    data = sim.data
    n_win = (1800 - 300) // 30 + 1
    assert len(data) == 48 * n_win and len(data.episodes) == 48
    assert data.sensors.shape == (len(data), 60, len(CHANNELS)) and data.sensors.dtype == np.float32
    assert data.vision.shape == (len(data), 60, len(VISION_LABELS)) and data.vision.dtype == np.float32
    assert data.present.shape == (len(data), len(MODALITIES)) and data.present.dtype == bool
    for name in ("hazard", "risk", "episode"):
        assert getattr(data, name).dtype == np.int64
    assert data.t_s.dtype == np.float64 and len(data.texts) == len(data)
    assert data.channels == CHANNELS and data.vision_labels == VISION_LABELS
    assert (data.step_s, data.horizon_s) == (5.0, 300.0)
    np.testing.assert_array_equal(data.t_s[_by_episode(data, 0)], np.arange(300.0, 1801.0, 30.0))
    assert np.all(data.vision >= 0) and np.all(data.vision == np.round(data.vision))  # counts


def test_deterministic_per_seed() -> None:
    kw = {"narratives": NARRATIVES, "duration_s": 900.0, "onset_s": (300.0, 600.0)}
    a, b = build_multimodal_set(8, seed=5, **kw), build_multimodal_set(8, seed=5, **kw)
    np.testing.assert_array_equal(a.sensors, b.sensors)  # NaNs in the same places compare equal
    np.testing.assert_array_equal(a.vision, b.vision)
    assert a.texts == b.texts and a.episodes == b.episodes
    np.testing.assert_array_equal(a.risk, b.risk)
    other = build_multimodal_set(8, seed=6, **kw)
    assert not np.array_equal(a.sensors, other.sensors, equal_nan=True)


def test_hazard_mix_is_balanced_with_none_most_common(sim) -> None:
    counts = Counter(e.hazard for e in sim.data.episodes)
    assert counts["none"] == round(0.4 * 48) and max(counts, key=counts.__getitem__) == "none"
    assert all(counts[h] in (5, 6) for h in HAZARDS[1:])


def test_labels_follow_onset_and_none_episodes_stay_normal(sim) -> None:
    data = sim.data
    for e in data.episodes:
        rows = _by_episode(data, e.id)
        if e.hazard == "none":
            assert e.onset_s is None and not data.hazard[rows].any() and not data.risk[rows].any()
            continue
        before = data.t_s[rows] < e.onset_s
        assert not data.hazard[rows][before].any()
        assert np.all(data.hazard[rows][~before] == HAZARDS.index(e.hazard))
        assert 300.0 <= e.onset_s <= 1320.0
    assert set(np.unique(data.risk)) == {0, 1, 2, 3}  # every risk level occurs


def test_sensors_sit_at_the_simulator_levels_in_normal_time(sim) -> None:
    data = sim.data
    normal = data.present[:, 0] & (data.risk == 0) & (data.hazard == 0)
    median = np.nanmedian(data.sensors[normal], axis=(0, 1))
    for i, channel in enumerate(CHANNELS):
        if channel in ("co", "o2", "temperature", "roof_pressure", "vibration"):
            assert median[i] == pytest.approx(PROFILES[channel][0], abs=3 * PROFILES[channel][3])
    assert 0.29 <= median[CHANNELS.index("methane")] <= 0.4
    assert median[CHANNELS.index("bearing_temp")] == pytest.approx(55.0, abs=1.0)


def test_gas_rule_alarm_follows_the_true_crossing(clean) -> None:
    data, crossed = clean.data, 0
    for e in data.episodes:
        if e.hazard != "gas":
            continue
        rows = _by_episode(data, e.id)
        alarm_windows = data.t_s[rows][data.risk[rows] == 3]
        if alarm_windows.size and alarm_windows[0] + 300.0 < 1800.0:  # the limit is crossed inside the episode
            crossed += 1
            assert e.rule_alarm_s is not None and e.rule_alarm_s >= e.onset_s
            assert alarm_windows[0] < e.rule_alarm_s <= alarm_windows[0] + 300.0 + 30.0
        if e.rule_alarm_s is not None:
            assert data.risk[rows][data.t_s[rows] < e.rule_alarm_s][-1] == 3  # it fired where the truth alarms
    assert crossed >= 2


def test_rule_false_alarms_come_from_glitches_and_camera_errors(clean) -> None:
    assert all(not clean.rule_alarms_s[e.id] for e in clean.data.episodes if e.hazard == "none")
    assert clean.rule_false_alarms_per_day() == 0.0
    noisy = build_multimodal_set_with_rule(
        10, seed=4, narratives=NARRATIVES, glitches_per_hour=20.0, hazard_mix=(1, 0, 0, 0, 0, 0)
    )
    assert all(e.hazard == "none" and e.onset_s is None for e in noisy.data.episodes)
    assert sum(map(len, noisy.rule_alarms_s.values())) > 10 and noisy.rule_false_alarms_per_day() > 0
    for e in noisy.data.episodes:
        times = noisy.rule_alarms_s[e.id]
        assert e.rule_alarm_s == (times[0] if times else None)
        assert np.all(np.diff(times) > 60.0)  # re-armed between alarms


def test_presence_masks_match_contents() -> None:
    data = build_multimodal_set(
        24,
        seed=8,
        narratives=NARRATIVES,
        p_sensor_outage=0.6,
        p_camera_blind=0.3,
        p_camera_outage=0.5,
        p_no_text=0.8,
        text_per_hour=0.0,
    )
    sensors, vision, text = data.present.T
    assert (~sensors).any() and (~vision).any() and (~text).any() and sensors.any() and vision.any() and text.any()
    assert np.isnan(data.sensors[~sensors]).all()
    assert (~np.isnan(data.sensors[sensors][:, -1]).all(-1)).all()  # present: the newest step has a reading
    assert not data.vision[~vision].any()
    np.testing.assert_array_equal(text, np.array([t != "" for t in data.texts]))
    assert set(data.texts) - {""} <= {s for texts in NARRATIVES.values() for s in texts}


@pytest.mark.parametrize("p_match", [0.0, 0.6, 1.0])
def test_text_is_a_hint_with_the_match_probability(p_match: float) -> None:
    data = build_multimodal_set(
        60,
        seed=9,
        narratives=NARRATIVES,
        p_match=p_match,
        p_no_text=1.0,
        text_per_hour=0.0,
        duration_s=1500.0,
        onset_s=(300.0, 1000.0),
    )
    hits = []
    for e in data.episodes:
        rows = _by_episode(data, e.id)
        assert data.texts[rows[-1]] != ""  # the one event-time record has arrived by the end
        if e.hazard != "none":
            hits.append(data.texts[rows[-1]].startswith(e.hazard))
    assert len(hits) == 36 and np.mean(hits) == pytest.approx(p_match, abs=0.15)


def test_split_by_episode_keeps_episodes_whole(sim) -> None:
    train, val, test = sim.data.split_by_episode((0.6, 0.2, 0.2), seed=1)
    ids = [set(part.episode.tolist()) for part in (train, val, test)]
    assert not (ids[0] & ids[1]) and not (ids[0] & ids[2]) and not (ids[1] & ids[2])
    assert set().union(*ids) == {e.id for e in sim.data.episodes}
    assert len(train) + len(val) + len(test) == len(sim.data)
    assert {e.hazard for e in train.episodes} == set(HAZARDS)


def test_alarm_limits_come_from_the_regulation_for_a_working_face() -> None:
    limits = {x.channel: x for x in alarm_limits()}
    assert tuple(limits) == CHANNELS
    assert (limits["methane"].op, limits["methane"].value) == (">=", 1.0)
    assert (limits["o2"].op, limits["o2"].value, limits["o2"].span) == ("<=", 20.0, pytest.approx(-0.8))
    assert limits["temperature"].value == 26.0 and limits["co"].value == 24.0
    assert limits["bearing_temp"].value == 75.0 and limits["bearing_temp"].source.startswith("ENGINEERING")


def test_builds_fast() -> None:
    start = time.perf_counter()
    data = build_multimodal_set(20, seed=0, narratives=NARRATIVES)
    assert len(data.episodes) == 20 and time.perf_counter() - start < 10.0


def test_bad_input_says_what_to_fix() -> None:
    with pytest.raises(ValueError, match=r"missing or empty.*ppe"):
        build_multimodal_set(2, narratives={h: ["x"] for h in HAZARDS if h != "ppe"})
    with pytest.raises(TypeError, match="fields of EpisodeConfig"):
        build_multimodal_set(2, narratives=NARRATIVES, window_seconds=10)
    with pytest.raises(ValueError, match="multiples of step_s"):
        EpisodeConfig(stride_s=7.0)
    with pytest.raises(ValueError, match="probability"):
        EpisodeConfig(p_match=1.5)
    assert len(build_multimodal_set(0, narratives=NARRATIVES)) == 0
