"""Reconciling gate passages and tag fixes: presence and every mismatch, with known answers."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest

from mineguard.mine.headcount import GatePassage, HeadcountSite, Mismatch, TagFix, alert_text, judge
from mineguard.mine.site import SiteConfigError, load_site, parse_site

T0 = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)  # the day shift starts; crew-a is due out at 14:30
SITE = HeadcountSite.from_site_dict(load_site().model_dump(mode="json"))
GRACE = timedelta(seconds=300)  # the sample site's tag_grace_s


def _in(minutes: float) -> GatePassage:
    return GatePassage(T0 + timedelta(minutes=minutes), "in", "surface_gate", 1)


def _out(minutes: float) -> GatePassage:
    return GatePassage(T0 + timedelta(minutes=minutes), "out", "surface_gate", 2)


def _fix(minutes: float, zone: str | None = "main_roadway") -> TagFix:
    return TagFix(T0 + timedelta(minutes=minutes), zone, (300.0, 0.0, -400.0), "tag:6901234500011")


def _judge(passages, fixes, *, minutes: float, crew: str | None = "crew-a"):
    return judge("miner-001", crew, passages, fixes, site=SITE, now=T0 + timedelta(minutes=minutes))


def test_the_sample_site_reads_its_headcount_section() -> None:
    assert SITE is not None and SITE.config.gates == ["surface_gate"] and SITE.surface_zones == {"surface_gate"}
    assert SITE.underground("main_roadway") and not SITE.underground("surface_gate") and not SITE.underground(None)


def test_in_at_the_gate_and_tracked_underground_is_underground_and_consistent() -> None:
    presence = _judge([_in(0)], [_fix(-1, "surface_gate"), _fix(3), _fix(10)], minutes=11)
    assert presence.underground and presence.mismatches == frozenset()
    assert presence.since == T0 and presence.due_out == datetime(2026, 11, 22, 14, 30, tzinfo=UTC)
    assert (presence.last_zone, presence.last_seen, presence.last_position) == (
        "main_roadway",
        T0 + timedelta(minutes=10),
        (300.0, 0.0, -400.0),
    )
    assert [item.t for item in presence.trail] == sorted(item.t for item in presence.trail)


def test_out_at_the_gate_with_the_tag_on_the_surface_is_surface() -> None:
    presence = _judge([_in(0), _out(60)], [_fix(30), _fix(61, "surface_gate")], minutes=90)
    assert not presence.underground and presence.mismatches == frozenset() and presence.due_out is None


def test_tag_underground_after_the_face_went_out_is_a_tag_left_behind() -> None:
    newer_fix_below = _judge([_in(0), _out(60)], [_fix(30), _fix(62)], minutes=63)
    assert not newer_fix_below.underground and newer_fix_below.mismatches == {Mismatch.TAG_LEFT_BEHIND}


def test_a_tag_silent_below_gets_the_grace_before_it_is_left_behind() -> None:
    passages, fixes = [_in(0), _out(60)], [_fix(30)]
    assert _judge(passages, fixes, minutes=60 + 4.99).mismatches == frozenset()
    assert _judge(passages, fixes, minutes=65).mismatches == {Mismatch.TAG_LEFT_BEHIND}


def test_in_at_the_gate_with_no_tag_fix_after_the_grace_is_no_tag() -> None:
    assert _judge([_in(0)], [], minutes=4.99).mismatches == frozenset()
    presence = _judge([_in(0)], [_fix(-30, "surface_gate")], minutes=5)
    assert presence.underground and presence.mismatches == {Mismatch.NO_TAG}
    assert presence.last_zone == "surface_gate" and presence.last_seen == T0  # the passage is the newest evidence


def test_tag_underground_without_any_gate_passage_counts_underground_and_is_flagged() -> None:
    presence = _judge([], [_fix(0, "surface_gate"), _fix(5), _fix(9, "face_1101")], minutes=10)
    assert presence.underground and presence.mismatches == {Mismatch.NO_GATE_PASSAGE}
    assert presence.since == T0 + timedelta(minutes=5)  # the first fix of the run underground
    assert presence.last_zone == "face_1101"


def test_no_evidence_at_all_is_surface_with_nothing_to_say() -> None:
    presence = _judge([], [], minutes=10)
    assert not presence.underground and presence.mismatches == frozenset() and presence.last_seen is None


def test_a_fix_outside_every_zone_is_not_underground() -> None:
    assert not _judge([], [_fix(1, None)], minutes=2).underground


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [(8 * 60 + 29, frozenset()), (8 * 60 + 30, {Mismatch.NOT_ACCOUNTED_FOR})],  # 14:29 / 14:30: shift end + 30 min
)
def test_still_underground_at_shift_end_plus_grace_is_not_accounted_for(minutes: float, expected) -> None:
    presence = _judge([_in(0)], [_fix(1), _fix(minutes - 1)], minutes=minutes)
    assert presence.mismatches == expected
    evidence = presence.evidence()
    assert evidence["due_out"] == "2026-11-22T14:30:00+00:00" and evidence["last_zone"] == "main_roadway"
    assert evidence["last_position"] == [300.0, 0.0, -400.0] and evidence["trail"][0]["kind"] == "gate"


def test_out_before_shift_end_is_never_not_accounted_for() -> None:
    assert _judge([_in(0), _out(400)], [_fix(1), _fix(401, "surface_gate")], minutes=12 * 60).mismatches == frozenset()


def test_a_person_whose_crew_has_no_shift_is_never_overdue() -> None:
    assert _judge([_in(0)], [_fix(1), _fix(23 * 60)], minutes=23 * 60, crew=None).mismatches == frozenset()


def test_alert_texts_fill_their_placeholders() -> None:
    text = SITE.config.alerts[Mismatch.NOT_ACCOUNTED_FOR].action
    filled = alert_text(text, name="Li Wei", person="miner-001", zone="Main roadway", due=T0)
    assert filled.startswith("Li Wei should have been out by 2026-11-22T06:00+00:00") and "Main roadway" in filled


def _with_headcount(**changes) -> dict:
    data = copy.deepcopy(load_site().model_dump(mode="json"))
    data["headcount"].update(changes)
    return data


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (_with_headcount(gates=["nowhere"]), "headcount.gates[0] 'nowhere' is not a zone id"),
        (_with_headcount(gates=["main_roadway"]), "is a roadway, not a gate"),
        (_with_headcount(gates=[]), "headcount.gates"),
        (_with_headcount(tag_grace_s=0), "headcount.tag_grace_s"),
        (
            _with_headcount(
                alerts={k: v for k, v in load_site().headcount.model_dump()["alerts"].items() if k != "no_tag"}
            ),
            "no_tag missing",
        ),
        (
            _with_headcount(
                alerts={
                    **load_site().headcount.model_dump()["alerts"],
                    "no_tag": {"severity": "critical", "title": "{miner}", "action": "x"},
                }
            ),
            "unknown placeholder(s) miner",
        ),
        (
            _with_headcount(
                alerts={
                    **load_site().headcount.model_dump()["alerts"],
                    "no_tag": {"severity": "loud", "title": "t", "action": "a"},
                }
            ),
            "headcount.alerts.no_tag.severity",
        ),
    ],
)
def test_bad_headcount_sections_name_the_field(data: dict, expected: str) -> None:
    with pytest.raises(SiteConfigError) as caught:
        parse_site(data)
    assert expected in str(caught.value)


def test_headcount_needs_a_surface_zone() -> None:
    data = copy.deepcopy(load_site().model_dump(mode="json"))
    for zone in data["zones"]:
        zone["surface"] = False
    with pytest.raises(SiteConfigError, match="mark the surface zones"):
        parse_site(data)


def test_the_second_site_has_a_headcount_too() -> None:
    from mineguard.mine.site import load_site as load
    from mineguard.mine.site import resources

    path = resources.files("mineguard.mine").joinpath("sites").joinpath("pillar_ridge.yaml")
    site = load(str(path))
    assert site.headcount is not None and site.headcount.gates == ["portal"]
