"""Similar past incidents on a new alert: the methane ignition comes first for a methane alert, stored in
the alert's row and on the change; updates are not searched; a failing index or an unrelated text
leaves the alert as it was."""

from __future__ import annotations

import datetime as dt
from datetime import UTC, datetime, timedelta

import pytest

from mineguard.services.alerts import book
from mineguard.services.alerts.evidence import IncidentEvidence
from mineguard.services.storage.db import session_factory
from mineguard.services.storage.models import Alert
from mineguard.warning.text_embedders import get_text_embedder
from mineguard.warning.text_index import IncidentIndex
from service_inputs import hand_made_incidents

T0 = datetime(2026, 11, 22, 6, tzinfo=UTC)
NARRATIVES = {
    "Ignition or Explosion of Gas or Dust": "methane accumulated at the face after the auxiliary fan stopped and "
    "ignited when the continuous miner cut into sandstone",
    "Fall of Roof or Back": "a slab of roof rock fell between the bolted rows and struck the roof bolter operator",
    "Machinery": "the conveyor belt caught the miner's sleeve at the tail pulley while he shovelled spillage",
    "Electrical": "the electrician contacted an energized trailing cable while repairing a splice",
}


@pytest.fixture(scope="module")
def index() -> IncidentIndex:
    incidents = hand_made_incidents(NARRATIVES, dt.date(2010, 1, 1))
    return IncidentIndex.build(incidents, get_text_embedder("tfidf"))


def _raise(session, title: str, message: str, severity: str = "warning"):
    return book.raise_or_update(
        session,
        key="risk:ch4-1101-t",
        rule_id="risk.methane",
        severity=severity,
        t=T0,
        title=title,
        message=message,
        zone_id="face_1101",
        evidence={"probability": 0.93},
    )


def _stored(sessions, alert_id: int) -> dict:
    with sessions() as s:
        return s.get(Alert, alert_id).evidence


def test_a_new_methane_alert_carries_the_methane_ignition_first(engine, session, index) -> None:
    sessions = session_factory(engine)
    change = _raise(
        session,
        "Methane heading for its limit in Longwall face 1101",
        "Methane 0.82 % rising 0.05 %/min; the auxiliary fan stopped — increase ventilation",
    )
    session.commit()  # the raising transaction commits before the change is published
    IncidentEvidence(index).attach(sessions, change)
    stored = _stored(sessions, change.alert.id)
    similar = stored["similar_incidents"]
    assert [x["key"] for x in similar] == ["r0"]  # the others share only "the": below min_score 0.05
    assert similar[0]["rank"] == 1 and similar[0]["accident_class"] == "Ignition or Explosion of Gas or Dust"
    assert similar[0]["date"] == "2010-01-01" and similar[0]["hazard"] == "gas" and "fan" in similar[0]["excerpt"]
    assert similar[0]["score"] > 0.4
    assert stored["probability"] == 0.93  # the alert's own evidence is kept
    assert change.alert.evidence == stored  # what the live stream and the notifiers are handed


def test_similar_ranks_best_first_and_keeps_k(index) -> None:
    found = IncidentEvidence(index, k=2, min_score=0.0).similar("Methane at face", "the fan stopped; methane ignited")
    assert [x["rank"] for x in found] == [1, 2] and found[0]["key"] == "r0"
    assert found[0]["score"] > found[1]["score"] > 0.0


def test_an_update_is_not_searched(engine, session, index) -> None:
    sessions = session_factory(engine)
    _raise(session, "Methane at face", "methane 0.8 %")
    worse = _raise(session, "Methane at face", "methane 1.2 % and the fan stopped", severity="critical")
    session.commit()
    assert worse.kind == "updated"
    IncidentEvidence(index).attach(sessions, worse)
    assert "similar_incidents" not in _stored(sessions, worse.alert.id)


class BrokenIndex:
    def search(self, *args, **kwargs):
        raise RuntimeError("embedder exploded")


def test_a_failing_search_never_blocks_the_alert(engine, session, caplog) -> None:
    sessions = session_factory(engine)
    change = _raise(session, "Methane at face", "methane 0.8 %, fan stopped")
    session.commit()
    IncidentEvidence(BrokenIndex()).attach(sessions, change)  # type: ignore[arg-type]
    assert "similar_incidents" not in _stored(sessions, change.alert.id)
    assert "goes out without them" in caplog.text


def test_a_text_sharing_no_words_gives_no_key(engine, session, index) -> None:
    sessions = session_factory(engine)
    change = _raise(session, "Gateway offline", "gw-7 silent 45 s")
    session.commit()
    evidence = IncidentEvidence(index)
    assert evidence.similar("Gateway offline", "gw-7 silent 45 s") == []
    evidence.attach(sessions, change)
    assert _stored(sessions, change.alert.id) == {"probability": 0.93}
    assert "similar_incidents" not in change.alert.evidence


def test_load_reads_a_saved_index_and_rejects_a_bad_folder(index, tmp_path) -> None:
    loaded = IncidentEvidence.load(index.save(tmp_path / "incidents"), k=1)
    found = loaded.similar("Belt alarm", "conveyor belt tail pulley guard open")
    assert [x["accident_class"] for x in found] == ["Machinery"]
    with pytest.raises(ValueError, match=r"index\.json: not found"):
        IncidentEvidence.load(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="k must be >= 1"):
        IncidentEvidence(index, k=0)


def test_an_alert_gone_before_the_search_is_logged(engine, index, caplog) -> None:
    sessions = session_factory(engine)
    ghost = Alert(
        id=999,
        key="x",
        rule_id="r",
        severity="warning",
        state="open",
        title="Methane at face",
        message="methane ignited, fan stopped",
        evidence={},
        opened_at=T0,
        updated_at=T0 + timedelta(seconds=1),
    )
    IncidentEvidence(index).attach(sessions, book.AlertChange(ghost, "raised", "operator"))
    assert "alert 999 is gone" in caplog.text and ghost.evidence == {}
