"""Tracks become vision events only after they hold, and clear only after they stop (known answers)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from mineguard.runtime.scene import ClassRule, Region, SceneError, SceneJudge, SceneRules
from mineguard.runtime.tracking import Track, TrackState

T0 = datetime(2026, 12, 5, 6, 0, tzinfo=UTC)
NAMES = ["helmet", "no_helmet", "fire"]
GATE = Region("gate", "restricted", ((100, 100), (200, 100), (200, 200), (100, 200)))
BENCH = Region("bench", "watch", ((0, 0), (90, 0), (90, 90), (0, 90)), zone="refuge_1")
BELT = Region("belt", "danger", ((300, 0), (400, 0), (400, 100), (300, 100)))


def track(tid: int, cls: str, box: tuple[float, float, float, float], score: float = 0.9) -> Track:
    return Track(tid, np.asarray(box, np.float32), NAMES.index(cls), score, TrackState.TRACKED, True, 1, 1, 1, 1)


def run(judge: SceneJudge, frames: list[list[Track]], fps: float = 10.0) -> list[tuple[float, str, bool]]:
    """Feed frames at ``fps``; (seconds, label, raised) of every event."""
    out = []
    for i, tracks in enumerate(frames):
        t = T0 + timedelta(seconds=i / fps)
        out += [(round((e.t - T0).total_seconds(), 2), e.label, e.raised) for e in judge.update(t, tracks)]
    return out


def ppe_judge(**rules) -> SceneJudge:
    return SceneJudge(
        "cam-1", "face_1", NAMES, rules=SceneRules(class_events=(ClassRule("no_helmet", "no_helmet"),), **rules)
    )


def test_no_helmet_raises_after_raise_s_and_clears_after_clear_s() -> None:
    seen = [[track(1, "no_helmet", (10, 10, 50, 90))]] * 20  # 2 s
    gone = [[]] * 30  # 3 s
    assert run(ppe_judge(raise_s=1.0, clear_s=2.0), seen + gone) == [
        (1.0, "no_helmet", True),
        (3.9, "no_helmet", False),
    ]


def test_a_flickering_box_neither_raises_nor_clears() -> None:
    blink = [[track(1, "no_helmet", (10, 10, 50, 90))]] * 3 + [[]] * 5  # 0.3 s on, 0.5 s off
    assert run(ppe_judge(raise_s=1.0, clear_s=2.0), blink) == []  # never held 1 s... yet
    # held across short gaps (each < clear_s): the condition is one, and raises once it has held 1 s
    steady_with_gaps = ([[track(1, "no_helmet", (10, 10, 50, 90))]] * 4 + [[]] * 2) * 4
    events = run(ppe_judge(raise_s=1.0, clear_s=2.0), steady_with_gaps)
    assert events == [(1.2, "no_helmet", True)]


def test_low_confidence_is_not_an_event() -> None:
    judge = SceneJudge(
        "c", "z", NAMES, rules=SceneRules(class_events=(ClassRule("no_helmet", "no_helmet", 0.5),), raise_s=0)
    )
    assert run(judge, [[track(1, "no_helmet", (0, 0, 9, 9), score=0.4)]]) == []
    assert run(judge, [[track(2, "no_helmet", (0, 0, 9, 9), score=0.6)]]) == [(0.0, "no_helmet", True)]


def test_restricted_entry_by_the_feet_not_the_head() -> None:
    judge = SceneJudge("c", "gate_z", NAMES, regions=[GATE], rules=SceneRules(raise_s=0.5))
    head_in_feet_out = track(1, "helmet", (120, 150, 160, 260))  # feet at y=260, below the region
    feet_in = track(2, "helmet", (120, 100, 160, 190))
    events = run(judge, [[head_in_feet_out, feet_in]] * 10)
    assert events == [(0.5, "restricted_entry", True)]
    event = judge.update(T0 + timedelta(seconds=5), [])
    assert [(e.track_id, e.region, e.zone, e.raised) for e in event] == [(2, "gate", "gate_z", False)]


def test_loitering_needs_loiter_s_and_reports_the_regions_zone() -> None:
    judge = SceneJudge("c", "road", NAMES, regions=[BENCH], rules=SceneRules(raise_s=0.5, loiter_s=3.0))
    frames = [[track(7, "helmet", (20, 20, 60, 80))]] * 40
    out = []
    for i, tracks in enumerate(frames):
        out += judge.update(T0 + timedelta(seconds=i / 10), tracks)
    assert [(round((e.t - T0).total_seconds(), 1), e.label, e.zone) for e in out] == [(3.0, "loitering", "refuge_1")]


def test_person_in_danger_area_and_wire_format() -> None:
    judge = SceneJudge("cam-belt", "belt_road", NAMES, regions=[BELT], rules=SceneRules(raise_s=0))
    [event] = judge.update(T0, [track(3, "no_helmet", (320, 20, 360, 95), score=0.87)])
    wire = event.wire()
    assert wire["source"] == "vision" and wire["label"] == "person_in_danger_area" and wire["value"] is True
    assert wire["device_id"] == "cam-belt" and wire["zone_id"] == "belt_road" and wire["confidence"] == 0.87
    assert wire["bbox"] == [320.0, 20.0, 360.0, 95.0] and wire["attributes"]["region"] == "belt"
    assert wire["event_id"].startswith("cam-belt:person_in_danger_area:3:belt:") and wire["event_id"].endswith(":on")
    [cleared] = judge.close(T0 + timedelta(seconds=1))
    assert cleared.wire()["value"] is False and cleared.wire()["event_id"].endswith(":off")


def test_fire_is_not_a_person_and_maps_by_configuration() -> None:
    rules = SceneRules(class_events=(ClassRule("fire", "fire"),), raise_s=0)
    judge = SceneJudge("c", "z", NAMES, regions=[GATE], rules=rules)
    events = judge.update(T0, [track(1, "fire", (110, 110, 150, 150))])
    assert [e.label for e in events] == ["fire"]  # no restricted_entry: fire is not in person_classes


def test_bad_configuration_names_camera_and_field() -> None:
    with pytest.raises(SceneError, match=r"camera 'c7': rules.class_events\[0\].detector_class 'smoke'"):
        SceneJudge("c7", "z", NAMES, rules=SceneRules(class_events=(ClassRule("smoke", "smoke"),)))
    with pytest.raises(SceneError, match=r"rules\.raise_s"):
        SceneRules(raise_s=float("nan"))
    with pytest.raises(SceneError, match="at least 3"):
        Region("r", "watch", ((0, 0), (1, 1)))
    with pytest.raises(SceneError, match="no area"):
        Region("r", "watch", ((0, 0), (1, 1), (2, 2)))
    with pytest.raises(SceneError, match="kind must be one of"):
        Region("r", "forbidden", ((0, 0), (9, 0), (9, 9)))  # type: ignore[arg-type]
    with pytest.raises(SceneError, match=r"view.regions\[gate\].polygon\[1\] = \[200, 100\] is outside the 160x120"):
        GATE.check_frame("c7", 160, 120)


def test_unknown_class_ids_are_ignored() -> None:
    judge = ppe_judge(raise_s=0)
    odd = Track(1, np.asarray((0, 0, 9, 9), np.float32), 99, 0.9, TrackState.TRACKED, True, 1, 1, 1, 1)
    assert judge.update(T0, [odd]) == []
