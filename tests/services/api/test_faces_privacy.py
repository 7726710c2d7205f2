"""Face privacy over the API (issue 16): erasing a person removes their embeddings, stored photos
and every face crop their face events carried as evidence, with the pointers to it; the audit log
says that it happened, with counts and nothing of the face. Duplicate faces are refused at enrolment."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from mineguard.services.ingest.events import store_events
from mineguard.services.storage.models import Alert, SourceEvent
from mineguard.services.storage.types import utc_now

from .conftest import Api

VECTORS = [[3.0, 0.0, 4.0, 0.0], [0.5, 0.5, 0.5, 0.5]]


def _jpeg(grey: int) -> bytes:
    return cv2.imencode(".jpg", np.full((40, 32, 3), grey, np.uint8))[1].tobytes()


def _gateway(api: Api) -> dict[str, str]:
    secret = api.call("manager", "POST", "/api/v1/gateways/gw-faces/register").json()["secret"]
    return {"X-Gateway-Id": "gw-faces", "X-Gateway-Secret": secret}


def _gate_passage(api: Api, person: str, key: str, sha: str) -> int:
    """A face event at the surface gate naming ``sha`` (its best crop) as evidence; its row id."""
    ctx, now = api.client.app.state.ctx, utc_now()
    event = {
        "source": "face",
        "label": "identified",
        "t": now.isoformat(),
        "device_id": "cam-surface-gate",
        "asset_id": person,
        "event_id": key,
        "attributes": {"direction": "in", "evidence": {"snapshot": sha}},
    }
    with ctx.sessions() as session, session.begin():
        report = store_events(session, [event], source="test", now=now)
        assert len(report.accepted) == 1, report.rejected
    with ctx.sessions() as session:
        return session.query(SourceEvent.id).filter(SourceEvent.dedupe_key == f"cam-surface-gate:{key}").scalar()


def test_erase_removes_every_trace_and_audits_counts_only(api: Api, tmp_path: Path) -> None:
    ctx = api.client.app.state.ctx
    ctx.settings.face_images_dir = tmp_path
    (tmp_path / "miner-001").mkdir()
    (tmp_path / "miner-001" / "front.jpg").write_bytes(_jpeg(90))
    body = {"embeddings": VECTORS, "image_refs": ["front.jpg", "left.jpg"]}
    assert api.call("manager", "POST", "/api/v1/faces/miner-001/embeddings", json=body).status_code == 201
    assert api.call("manager", "POST", "/api/v1/faces/miner-002/embeddings", json={"embeddings": [[0, 1, 0, 0]]})
    gateway = _gateway(api)
    crops = {grey: _jpeg(grey) for grey in (100, 150, 200)}
    sha = {
        grey: api.client.post("/api/v1/evidence", content=data, headers=gateway).json()["sha256"]
        for grey, data in crops.items()
    }
    li_in = _gate_passage(api, "miner-001", "li-in", sha[100])
    li_out = _gate_passage(api, "miner-001", "li-again", sha[150])
    _gate_passage(api, "miner-002", "zhang-in", sha[200])
    with ctx.sessions() as session, session.begin():  # an alert that links Li Wei's crop and Zhang Min's
        now = utc_now()
        media = [
            {"event": li_in, "snapshot": f"/api/v1/evidence/{sha[100]}"},
            {"event": 99, "snapshot": f"/api/v1/evidence/{sha[200]}"},
        ]
        session.add(
            Alert(
                key="test:gate",
                rule_id="test",
                severity="warning",
                state="open",
                title="t",
                message="m",
                evidence={"media": media, "note": "kept"},
                opened_at=now,
                updated_at=now,
            )
        )

    erased = api.call("super_manager", "DELETE", "/api/v1/faces/miner-001")
    assert erased.status_code == 200, erased.text
    assert erased.json() == {"erased": 2, "image_files": 1, "evidence_files": 2, "events_cleared": 2}

    assert not (tmp_path / "miner-001").exists()
    assert api.call("manager", "GET", "/api/v1/faces").json()["people"][0]["person_id"] == "miner-002"
    for grey in (100, 150):
        assert api.call("operator", "GET", f"/api/v1/evidence/{sha[grey]}").status_code == 404
    assert api.call("operator", "GET", f"/api/v1/evidence/{sha[200]}").content == crops[200]  # not Li Wei's
    with ctx.sessions() as session:
        passages = {e.id: e.attributes for e in session.query(SourceEvent).filter(SourceEvent.asset_id == "miner-001")}
        assert passages == {li_in: {"direction": "in"}, li_out: {"direction": "in"}}  # the headcount keeps them
        [alert] = session.query(Alert).filter(Alert.key == "test:gate").all()
        assert alert.evidence == {"media": [media[1]], "note": "kept"}

    entries = api.call("manager", "GET", "/api/v1/audit", params={"action": "face.erased"}).json()
    [entry] = entries
    assert (entry["actor"], entry["subject"]) == ("admin", "asset:miner-001")
    assert entry["payload"] == {
        "embeddings": 2,
        "image_files": 1,
        "image_refs_outside": 0,
        "evidence_files": 2,
        "face_events_cleared": 2,
        "alert_media_removed": 1,
    }
    everything = json.dumps(api.call("manager", "GET", "/api/v1/audit", params={"limit": 1000}).json())
    for grey in (100, 150):
        assert sha[grey] not in everything and base64.b64encode(crops[grey])[:40].decode() not in everything
    assert api.call("manager", "GET", "/api/v1/audit/verify").json()["ok"]


def test_a_person_with_only_face_evidence_is_erased_and_an_unknown_one_is_a_404(api: Api) -> None:
    sha = api.client.post("/api/v1/evidence", content=_jpeg(120), headers=_gateway(api)).json()["sha256"]
    _gate_passage(api, "miner-003", "wang-in", sha)
    erased = api.call("super_manager", "DELETE", "/api/v1/faces/miner-003")
    assert erased.status_code == 200 and erased.json()["evidence_files"] == 1, erased.text
    for person in ("miner-003", "nobody"):  # nothing left of her; never anything of nobody
        again = api.call("super_manager", "DELETE", f"/api/v1/faces/{person}")
        assert again.status_code == 404, again.text
        assert f"nothing enrolled and no face evidence for '{person}'" in again.json()["error"]["message"]


@pytest.mark.parametrize("threshold", [None, 0.9])
def test_duplicate_faces_are_refused_with_the_reason_and_enrol_nothing(api: Api, threshold: float | None) -> None:
    api.client.app.state.ctx.settings.face_accept_threshold = threshold

    def enrol(person: str, vectors: list[list[float]]):
        return api.call("manager", "POST", f"/api/v1/faces/{person}/embeddings", json={"embeddings": vectors})

    assert enrol("miner-001", VECTORS).status_code == 201
    near = [3.0, 0.3, 4.0, 0.0]  # cosine 0.998 to Li Wei's first: the same face at another moment
    cases = [
        ("miner-002", [[0, 1, 0, 0], [6.0, 0.0, 8.0, 0.0]], "duplicate_identity", "already enrolled as 'miner-001'"),
        ("miner-001", [[0, 1, 0, 0], VECTORS[1]], "already_enrolled", "embeddings[1]: this photo is already enrolled"),
        (
            "miner-002",
            [[0, 1, 0, 0], [0, 2, 0, 0]],
            "already_enrolled",
            "embeddings[1] is the same photo as embeddings[0]",
        ),
    ]
    if threshold is not None:
        cases.append(("miner-002", [near], "duplicate_identity", "score 0.9982 >= 0.9000"))
    for person, vectors, reason, says in cases:
        response = enrol(person, vectors)
        assert response.status_code == 409, response.text
        message = response.json()["error"]["message"]
        assert message.startswith(f"{reason}: ") and says in message and "nothing was enrolled" in message, message
    if threshold is None:
        assert enrol("miner-002", [near]).status_code == 201  # no threshold set: only the same photo is refused
        assert enrol("miner-003", [[0, 0, 0, 1]]).status_code == 201
    people = {p["person_id"]: p["embeddings"] for p in api.call("manager", "GET", "/api/v1/faces").json()["people"]}
    assert people == ({"miner-001": 2} if threshold else {"miner-001": 2, "miner-002": 1, "miner-003": 1})
    refused = api.call("manager", "GET", "/api/v1/audit", params={"action": "face.enrolled"}).json()
    assert len(refused) == len(people)  # a refused enrolment leaves no audit entry
