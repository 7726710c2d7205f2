"""Monitoring sensitivities with units, and audited changes of thresholds and zone limits."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from mineguard.services.audit.log import recent, verify
from mineguard.services.storage.models import Site, Zone
from mineguard.services.twin.motion import MotionLimits
from mineguard.services.twin.sensitivity import (
    Quantity,
    SettingError,
    motion_limits,
    to_canonical,
    update_sensitivity,
    update_zone_limits,
)

SAMPLE = {"noise_g": 0.05, "freefall_g": 0.5, "fall_impact_g": 2.5, "fall_still_s": 2.0, "faint_still_s": 60.0}


@pytest.mark.parametrize(
    ("quantity", "expected"),
    [
        (Quantity("fall_impact_g", 19.6133, "m/s2"), 2.0),
        (Quantity("fall_impact_g", 29.41995, "m/s^2"), 3.0),
        (Quantity("noise_g", 0.08, "g"), 0.08),
        (Quantity("faint_still_s", 2, "min"), 120.0),
        (Quantity("fall_still_s", 3.5, "s"), 3.5),
    ],
)
def test_to_canonical_known_answers(quantity: Quantity, expected: float) -> None:
    assert to_canonical(quantity) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        (
            Quantity("fall_impact_g", 3, "psi"),
            r"unit 'psi' is not valid for fall_impact_g — use one of g, m/s2, m/s\^2",
        ),
        (Quantity("faint_still_s", 1, "h"), r"unit 'h' is not valid for faint_still_s — use one of s, min"),
        (Quantity("noise_g", 0.1, "s"), r"unit 's' is not valid for noise_g — use one of g, m/s2"),
        (
            Quantity("impact_g", 3, "g"),
            r"unknown sensitivity 'impact_g' — use one of noise_g, freefall_g, fall_impact_g, fall_still_s, "
            r"faint_still_s",
        ),
    ],
)
def test_to_canonical_errors_name_what_is_accepted(quantity: Quantity, message: str) -> None:
    with pytest.raises(SettingError, match=message):
        to_canonical(quantity)


def test_update_sensitivity_audits_and_refuses_invalid_values(session) -> None:
    site = session.get(Site, "sample-coal-mine")
    assert site.sensitivity == SAMPLE
    assert motion_limits(site) == MotionLimits()

    result = update_sensitivity(
        session,
        site,
        [
            Quantity("fall_impact_g", 29.41995, "m/s2"),
            Quantity("faint_still_s", 1.5, "min"),
            Quantity("noise_g", 0.05, "g"),
        ],
        actor="boss",
    )
    assert result == pytest.approx({**SAMPLE, "fall_impact_g": 3.0, "faint_still_s": 90.0})
    session.commit()
    [entry] = recent(session, action="threshold.changed")
    assert (entry.actor, entry.subject) == ("boss", "site:sample-coal-mine:sensitivity")
    assert entry.payload.keys() == {"fall_impact_g", "faint_still_s"}  # the unchanged noise_g is not listed
    assert entry.payload["faint_still_s"] == {"from": 60.0, "to": 90.0}
    assert entry.payload["fall_impact_g"]["from"] == 2.5
    assert entry.payload["fall_impact_g"]["to"] == pytest.approx(3.0)
    assert motion_limits(site).faint_still_s == 90.0

    stored = dict(site.sensitivity)
    bad_changes = [
        ([Quantity("freefall_g", 1.2, "g")], r"freefall_g: Input should be less than 1 — fix the value"),
        ([Quantity("freefall_g", 9.80665, "m/s2")], r"freefall_g: Input should be less than 1"),
        (
            [Quantity("noise_g", 0.1, "g"), Quantity("fall_impact_g", 0.9, "g")],
            r"fall_impact_g: Input should be greater than 1",
        ),
        ([Quantity("faint_still_s", 2, "h")], r"use one of s, min"),
    ]
    for changes, message in bad_changes:
        with pytest.raises(SettingError, match=message):
            update_sensitivity(session, site, changes, actor="boss")
    session.expire_all()
    site = session.scalars(select(Site)).one()
    assert site.sensitivity == stored
    assert len(recent(session, action="threshold.changed")) == 1
    assert verify(session).ok


def test_update_zone_limits_audits_only_changes(session) -> None:
    zone = session.get(Zone, "face_1101")
    assert (zone.staff_limit, zone.danger) == (12, True)
    update_zone_limits(session, zone, actor="boss", staff_limit=12, danger=True)
    update_zone_limits(session, zone, actor="boss")
    assert recent(session, action="criteria.changed") == []

    update_zone_limits(session, zone, actor="boss", staff_limit=8)
    update_zone_limits(session, zone, actor="chief", staff_limit=8, danger=False)
    session.commit()
    second, first = recent(session, action="criteria.changed")
    assert (first.actor, first.subject, first.payload) == (
        "boss",
        "zone:face_1101",
        {"staff_limit": {"from": 12, "to": 8}},
    )
    assert (second.actor, second.payload) == ("chief", {"danger": {"from": True, "to": False}})
    session.expire_all()
    zone = session.get(Zone, "face_1101")
    assert (zone.staff_limit, zone.danger) == (8, False)
    assert verify(session).ok
