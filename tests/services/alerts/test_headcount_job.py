"""Headcount alerts from stored evidence: gate passages (face events with a direction) and tag
fixes through the real stores raise each mismatch per person, escalate, and resolve."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from mineguard.mine.graph import ZoneGraph
from mineguard.mine.site import load_site
from mineguard.services.alerts import book
from mineguard.services.alerts.headcount_job import check_headcount
from mineguard.services.alerts.policy import EscalationPolicy
from mineguard.services.ingest.events import store_events
from mineguard.services.iot.tags import apply_tag_reading, pair_tag
from mineguard.services.storage.db import session_factory
from mineguard.services.storage.models import Alert, Site

T0 = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
SITE_ID = "sample-coal-mine"
GRAPH = ZoneGraph.from_site(load_site())
ROADWAY, GATE = (300.0, 0.0, -400.0), (-15.0, 0.0, 0.0)


def _passage(sessions, person: str, direction: str, minutes: float) -> None:
    t = T0 + timedelta(minutes=minutes)
    event = {
        "source": "face",
        "label": "identified",
        "t": t.isoformat(),
        "device_id": "cam-surface-gate",
        "asset_id": person,
        "confidence": 0.93,
        "event_id": f"{person}-{direction}-{minutes}",
        "attributes": {"direction": direction},
    }
    with sessions() as session, session.begin():
        report = store_events(session, [event], source="test", now=t)
    assert len(report.accepted) == 1, report.rejected


def _fix(sessions, barcode: str, xyz, minutes: float) -> None:
    t = T0 + timedelta(minutes=minutes)
    with sessions() as session, session.begin():
        site = session.get(Site, SITE_ID)
        apply_tag_reading(session, GRAPH, site, gateway_id="gw-pit-bottom", barcode=barcode, t=t, xyz=xyz, now=t)


def _pair(sessions, barcode: str, person: str) -> None:
    with sessions() as session, session.begin():
        pair_tag(session, barcode, person, actor="test")


def _check(sessions, minutes: float) -> list[book.AlertChange]:
    return check_headcount(sessions, SITE_ID, T0 + timedelta(minutes=minutes), policy=EscalationPolicy())


def _open(sessions) -> dict[str, Alert]:
    with sessions() as session:
        return {a.key: a for a in session.scalars(select(Alert).where(Alert.state.in_(book.ACTIVE)))}


def test_each_mismatch_raises_its_alert_for_its_person(engine, session) -> None:
    sessions = session_factory(engine)
    _pair(sessions, "6901234500011", "miner-001")  # in, tracked, out: consistent
    _pair(sessions, "6901234500028", "miner-002")  # out at the gate, tag stays below: left behind
    _pair(sessions, "6901234500035", "miner-003")  # tag below, never at the gate
    _passage(sessions, "miner-001", "in", 0)
    _fix(sessions, "6901234500011", ROADWAY, 2)
    _passage(sessions, "miner-001", "out", 40)
    _fix(sessions, "6901234500011", GATE, 41)
    _passage(sessions, "miner-002", "in", 0)
    _fix(sessions, "6901234500028", ROADWAY, 2)
    _passage(sessions, "miner-002", "out", 30)
    _fix(sessions, "6901234500028", ROADWAY, 31)
    _fix(sessions, "6901234500035", ROADWAY, 20)
    _passage(sessions, "miner-004", "in", 30)  # no tag at all: not tracked underground
    changes = _check(sessions, 45)
    raised = {c.alert.key: c.alert for c in changes if c.kind == "raised"}
    assert set(raised) == {
        "headcount:tag_left_behind:miner-002",
        "headcount:no_gate_passage:miner-003",
        "headcount:no_tag:miner-004",
    }
    left = raised["headcount:tag_left_behind:miner-002"]
    assert (left.severity, left.subject_id, left.zone_id) == ("critical", "miner-002", "main_roadway")
    assert left.title == "Tag of Zhang Min underground after they left" and "Main roadway (intake)" in left.message
    assert raised["headcount:no_gate_passage:miner-003"].severity == "warning"
    assert _check(sessions, 46) == []  # the same conditions: nothing new
    _passage(sessions, "miner-003", "in", 47)  # booked in at last: their mismatch clears
    resolved = [(c.kind, c.alert.key) for c in _check(sessions, 48)]
    assert resolved == [("resolved", "headcount:no_gate_passage:miner-003")]


def test_still_underground_after_shift_end_is_not_accounted_for_and_escalates(engine, session) -> None:
    sessions = session_factory(engine)
    _pair(sessions, "6901234500011", "miner-001")  # crew-a: day shift, due out 14:30
    _passage(sessions, "miner-001", "in", 0)
    _fix(sessions, "6901234500011", ROADWAY, 300)
    assert _check(sessions, 8 * 60 + 29) == []  # 14:29: within the grace
    changes = _check(sessions, 8 * 60 + 30)
    [change] = [c for c in changes if c.alert.key == "headcount:not_accounted_for:miner-001"]
    alert = change.alert
    assert (change.kind, change.rung, alert.severity) == ("raised", "operator", "critical")
    assert alert.title == "Miner not accounted for: Li Wei"
    assert "out by 2026-11-22T14:30+00:00" in alert.message and "Main roadway (intake)" in alert.message
    evidence = alert.evidence
    assert evidence["last_zone"] == "main_roadway" and evidence["last_position"] == list(ROADWAY)
    assert evidence["last_seen"] == (T0 + timedelta(minutes=300)).isoformat()
    assert [(item["kind"], item.get("direction")) for item in evidence["trail"]] == [("gate", "in"), ("tag", None)]
    with sessions() as s, s.begin():  # nobody acknowledges within 120 s: it climbs to the supervisor
        escalated = book.escalate_due(s, T0 + timedelta(minutes=8 * 60 + 33), EscalationPolicy())
    assert [(c.kind, c.rung) for c in escalated] == [("escalated", "supervisor")]
    _passage(sessions, "miner-001", "out", 8 * 60 + 40)
    _fix(sessions, "6901234500011", GATE, 8 * 60 + 41)
    assert [(c.kind, c.alert.key) for c in _check(sessions, 8 * 60 + 42)] == [
        ("resolved", "headcount:not_accounted_for:miner-001")
    ]


def test_a_site_without_headcount_raises_nothing(engine, session) -> None:
    sessions = session_factory(engine)
    with sessions() as s, s.begin():
        row = s.get(Site, SITE_ID)
        row.config = {k: v for k, v in row.config.items() if k != "headcount"}
    _passage(sessions, "miner-004", "in", 0)
    assert _check(sessions, 60) == []
