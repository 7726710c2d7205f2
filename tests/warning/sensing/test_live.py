"""The live cleanser flags each reading from the readings before it (known answers per flag), and
the rule feed hands the rules clean readings in time order per sensor."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from mineguard.warning.sensing import CleanseSpec, Flag, LiveCleanser, RuleFeed, cleanse

T0 = datetime(2026, 11, 22, 7, tzinfo=UTC)
CLEAN = 0


def _feed(cleanser: LiveCleanser, values, step_s: float = 1.0, kind: str = "methane", device: str = "ch4-a", seq0=0):
    """Judge ``values`` one at a time, ``step_s`` apart; the masks in order."""
    return [
        cleanser.judge(device, kind, seq0 + i, T0 + timedelta(seconds=(seq0 + i) * step_s), v)
        for i, v in enumerate(values)
    ]


def test_a_spike_in_a_flat_series_is_flagged_alone() -> None:
    masks = _feed(LiveCleanser(), [0.3] * 20 + [3.0] + [0.3] * 10)
    assert masks[20] == Flag.SPIKE
    assert [i for i, m in enumerate(masks) if m] == [20]


def test_noise_and_a_slow_rise_are_not_spikes() -> None:
    rng = np.random.default_rng(3)
    values = 0.3 + 0.02 * np.arange(200) / 10 + rng.normal(0, 0.01, 200)  # 0.3 -> 0.7 % with noise
    assert not any(_feed(LiveCleanser(), values.tolist()))


def test_a_step_flags_only_its_first_reading_so_a_real_rise_reaches_the_rules() -> None:
    masks = _feed(LiveCleanser(), [0.3] * 12 + [1.7] * 8)
    assert masks[12] == Flag.SPIKE
    assert masks[13:] == [CLEAN] * 7


def test_no_spike_call_before_the_minimum_history() -> None:
    spec = CleanseSpec(spike_min_history=5)
    assert _feed(LiveCleanser(spec), [0.3, 0.3, 0.3, 0.3, 3.0]) == [CLEAN] * 5  # 4 readings before it
    assert _feed(LiveCleanser(spec), [0.3, 0.3, 0.3, 0.3, 0.3, 3.0])[-1] == Flag.SPIKE


def test_a_stuck_methane_sensor_is_flagged_once_held_past_stuck_s() -> None:
    masks = _feed(LiveCleanser(), [0.5] * 181, step_s=60.0)  # 3 h of 0.5 %, stuck_s = 2 h
    assert masks[:120] == [CLEAN] * 120
    assert masks[120:] == [Flag.STUCK] * 61  # from 7200 s after the run began
    changed = _feed(LiveCleanser(), [0.5] * 130 + [0.52] * 5, step_s=60.0)
    assert changed[130:] == [CLEAN] * 5  # a change starts a new run


def test_gas_pinned_at_its_floor_is_not_stuck() -> None:
    assert not any(_feed(LiveCleanser(), [0.0] * 200, step_s=60.0))


def test_discrete_running_state_is_never_stuck_or_a_spike() -> None:
    cleanser = LiveCleanser()
    held = _feed(cleanser, [1.0] * 400, step_s=60.0, kind="running", device="fan-run")  # running for 6.6 h
    toggles = _feed(cleanser, [1.0, 0.0] * 20, step_s=60.0, kind="running", device="fan-run", seq0=400)
    assert not any(held) and not any(toggles)
    assert (
        cleanser.judge("fan-run", "running", 999, T0 + timedelta(hours=20), 2.0) == Flag.OUT_OF_RANGE | Flag.AFTER_GAP
    )


def test_a_reading_after_a_silence_is_flagged_after_gap_and_still_clean_for_models() -> None:
    cleanser = LiveCleanser(CleanseSpec(gap_s=60.0))
    masks = _feed(cleanser, [0.3] * 10, step_s=5.0)
    late = cleanser.judge("ch4-a", "methane", 10, T0 + timedelta(seconds=45 + 120), 0.3)
    assert not any(masks) and late == Flag.AFTER_GAP
    assert cleanser.judge("ch4-a", "methane", 11, T0 + timedelta(seconds=170), 0.3) == CLEAN


def test_out_of_the_instrument_span() -> None:
    masks = _feed(LiveCleanser(), [0.3] * 3 + [12.0])  # methane head span 0..10 %
    assert masks == [CLEAN] * 3 + [Flag.OUT_OF_RANGE]


def test_an_out_of_order_reading_is_judged_on_the_readings_before_it_in_time() -> None:
    cleanser = LiveCleanser()
    _feed(cleanser, [0.3] * 20)  # t = 0..19 s; the last 11 (9..19 s) are held
    assert cleanser.judge("ch4-a", "methane", 100, T0 + timedelta(seconds=16.5), 3.0) == Flag.SPIKE
    assert cleanser.judge("ch4-a", "methane", 101, T0 + timedelta(seconds=17.5), 0.3) == CLEAN
    # older than every reading held: too little history for a spike call, no gap, still range-checked
    assert cleanser.judge("ch4-a", "methane", 102, T0 - timedelta(hours=1), 3.0) == CLEAN
    assert cleanser.judge("ch4-a", "methane", 103, T0 - timedelta(hours=1), 11.0) == Flag.OUT_OF_RANGE
    assert cleanser.judge("ch4-a", "methane", 20, T0 + timedelta(seconds=20), 0.3) == CLEAN  # in order again


def test_a_late_reading_does_not_move_the_stuck_run_on() -> None:
    cleanser = LiveCleanser()
    _feed(cleanser, [0.5] * 100, step_s=60.0)  # run began at 0, last at 99 min
    late = cleanser.judge("ch4-a", "methane", 500, T0 + timedelta(minutes=97, seconds=30), 0.9)
    assert late == Flag.SPIKE  # judged against the readings before it, not a new run
    assert _feed(cleanser, [0.5] * 30, step_s=60.0, seq0=100)[-10:] == [Flag.STUCK] * 10  # run still from 0


def test_a_seq_judged_before_gets_the_same_flags_and_changes_nothing() -> None:
    cleanser = LiveCleanser()
    masks = _feed(cleanser, [0.3] * 20 + [3.0])
    judged = cleanser.judged
    again = cleanser.judge("ch4-a", "methane", 20, T0 + timedelta(seconds=20), 3.0)
    assert again == masks[20] == Flag.SPIKE and cleanser.judged == judged
    assert cleanser.flagged == {"spike": 1}


def test_a_batch_is_judged_in_time_order_whatever_its_order() -> None:
    values = [0.3] * 20 + [3.0] + [0.3] * 5 + [1.5] * 4
    batch = [("ch4-a", "methane", i, T0 + timedelta(seconds=i), v) for i, v in enumerate(values)]
    in_order = LiveCleanser().judge_many(batch)
    shuffled = batch[:]
    random.Random(7).shuffle(shuffled)
    by_seq = dict(zip((r[2] for r in shuffled), LiveCleanser().judge_many(shuffled), strict=True))
    assert [by_seq[i] for i in range(len(values))] == in_order
    assert in_order[20] == Flag.SPIKE and in_order[26] == Flag.SPIKE and not any(in_order[27:])


def test_state_stays_bounded() -> None:
    cleanser = LiveCleanser(seen=64)
    _feed(cleanser, np.random.default_rng(0).normal(0.3, 0.01, 5000).tolist())
    state = cleanser._sensors["ch4-a"]
    assert len(state.times) == len(state.values) == len(state.deviated) == cleanser.spec.spike_window
    assert len(state.seen) == 64


def test_a_kind_without_a_profile_is_checked_for_gaps_only() -> None:
    cleanser = LiveCleanser(CleanseSpec(gap_s=60.0))
    masks = _feed(cleanser, [5.0] * 20 + [500.0], kind="gizmo", device="gz")
    assert not any(masks)
    assert cleanser.judge("gz", "gizmo", 21, T0 + timedelta(minutes=10), 5.0) == Flag.AFTER_GAP


def test_live_and_batch_agree_where_the_windows_do() -> None:
    """A lone spike and a gap: the same checks give the same flags on both paths."""
    secs = np.concatenate([np.arange(0.0, 30.0), np.arange(200.0, 230.0)])
    values = np.full(secs.size, 0.3)
    values[15] = 3.0
    batch = cleanse(secs, values, "methane")
    live = [
        LiveCleanser().judge_many(
            [
                ("ch4-a", "methane", i, T0 + timedelta(seconds=float(s)), float(v))
                for i, (s, v) in enumerate(zip(secs, values, strict=True))
            ]
        )
    ][0]
    assert np.array_equal(batch.mask, np.array(live, dtype=np.uint8))
    assert batch.mask[15] == Flag.SPIKE and batch.mask[30] == Flag.AFTER_GAP


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="spike_min_history"):
        LiveCleanser(CleanseSpec(spike_window=5, spike_min_history=8))


@dataclass(frozen=True)
class Stored:
    device_id: str
    t: datetime
    value: float
    flags: int = 0


def test_the_rule_feed_holds_back_flagged_and_late_readings_and_counts_them() -> None:
    feed = RuleFeed()
    at = [T0 + timedelta(seconds=s) for s in range(6)]
    first = feed.admit([Stored("a", at[2], 0.3), Stored("a", at[1], 0.3), Stored("a", at[3], 3.0, int(Flag.SPIKE))])
    assert [r.t for r in first] == [at[1], at[2]]  # sorted, the spike held back
    second = feed.admit(
        [Stored("a", at[0], 0.3), Stored("b", at[0], 0.3), Stored("a", at[4], 0.3, int(Flag.AFTER_GAP))]
    )
    assert [(r.device_id, r.t) for r in second] == [("b", at[0]), ("a", at[4])]  # a@0 is older than a@2: late
    assert feed.counts() == {"fed": 4, "flagged": 1, "late": 1}
