"""The face gallery API: a manager enrols a miner, a face terminal fetches the gallery and identifies
locally, a super-manager erases the miner; who may do what, and the errors for bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mineguard.faces.gallery import MemoryGallery, l2_normalise
from mineguard.faces.identify import Identifier

from .conftest import Api

VECTORS = [[3.0, 0.0, 4.0, 0.0], [0.5, 0.5, 0.5, 0.5]]


def test_enrol_list_fetch_identify_and_erase(api: Api, tmp_path: Path) -> None:
    api.client.app.state.ctx.settings.face_images_dir = tmp_path  # where the enrolment station keeps the photos
    (tmp_path / "miner-001").mkdir()
    (tmp_path / "miner-001" / "front.jpg").write_bytes(b"\xff\xd8")
    body = {"embeddings": VECTORS, "image_refs": ["miner-001/front.jpg", "miner-001/left.jpg"]}
    enrolled = api.call("manager", "POST", "/api/v1/faces/miner-001/embeddings", json=body)
    assert enrolled.status_code == 201, enrolled.text
    assert enrolled.json() == {"person_id": "miner-001", "added": 2, "embeddings": 2, "dim": 4}
    more = api.call("super_manager", "POST", "/api/v1/faces/miner-002/embeddings", json={"embeddings": [[0, 1, 0, 0]]})
    assert more.status_code == 201 and more.json()["embeddings"] == 1

    listed = api.call("manager", "GET", "/api/v1/faces").json()
    assert listed["dim"] == 4
    assert [(p["person_id"], p["embeddings"], p["image_refs"]) for p in listed["people"]] == [
        ("miner-001", 2, ["miner-001/front.jpg", "miner-001/left.jpg"]),
        ("miner-002", 1, []),
    ]

    secret = api.call("manager", "POST", "/api/v1/gateways/gw-faces/register").json()["secret"]
    terminal = {"X-Gateway-Id": "gw-faces", "X-Gateway-Secret": secret}
    gallery = api.client.get("/api/v1/faces/gallery", headers=terminal)
    assert gallery.status_code == 200, gallery.text
    payload = gallery.json()
    assert payload["dim"] == 4 and payload["people"] == ["miner-001", "miner-001", "miner-002"]
    rows = np.array(payload["embeddings"], dtype=np.float32)
    assert np.array_equal(rows, l2_normalise(np.array([*VECTORS, [0, 1, 0, 0]])))  # exact float32 values
    local = MemoryGallery()  # what a terminal does with it: identify at the gate, offline
    for person in dict.fromkeys(payload["people"]):
        local.add(person, rows[[p == person for p in payload["people"]]])
    assert Identifier(local, threshold=0.8).identify(np.array([0.6, 0.1, 0.8, 0.0])).person_id == "miner-001"
    assert api.call("manager", "GET", "/api/v1/faces/gallery").status_code == 200

    assert api.call("manager", "DELETE", "/api/v1/faces/miner-001").status_code == 403
    erased = api.call("super_manager", "DELETE", "/api/v1/faces/miner-001")
    assert erased.status_code == 200, erased.text
    assert erased.json() == {"erased": 2, "image_files": 1, "evidence_files": 0, "events_cleared": 0}
    assert not (tmp_path / "miner-001").exists()
    again = api.call("super_manager", "DELETE", "/api/v1/faces/miner-001")
    assert (
        again.status_code == 404
        and "nothing enrolled and no face evidence for 'miner-001'" in again.json()["error"]["message"]
    )
    assert api.client.get("/api/v1/faces/gallery", headers=terminal).json()["people"] == ["miner-002"]
    assert [p["person_id"] for p in api.call("manager", "GET", "/api/v1/faces").json()["people"]] == ["miner-002"]

    audit = api.call("manager", "GET", "/api/v1/audit", params={"action": "face.erased"}).json()
    assert [(e["actor"], e["subject"], e["payload"]["embeddings"]) for e in audit] == [("admin", "asset:miner-001", 2)]
    enrolments = api.call("manager", "GET", "/api/v1/audit", params={"action": "face.enrolled"}).json()
    assert {(e["actor"], e["subject"]) for e in enrolments} == {
        ("mgr", "asset:miner-001"),
        ("admin", "asset:miner-002"),
    }
    assert api.call("manager", "GET", "/api/v1/audit/verify").json()["ok"]


def test_who_may_call_what(api: Api) -> None:
    body = {"embeddings": VECTORS}
    for role in ("operator", "supervisor"):
        for method, path, kwargs in [
            ("GET", "/api/v1/faces", {}),
            ("GET", "/api/v1/faces/gallery", {}),
            ("POST", "/api/v1/faces/miner-001/embeddings", {"json": body}),
            ("DELETE", "/api/v1/faces/miner-001", {}),
        ]:
            response = api.call(role, method, path, **kwargs)
            assert response.status_code == 403, (role, method, path, response.text)
            assert f"role {role} may not" in response.json()["error"]["message"]
    refused = api.call("operator", "GET", "/api/v1/faces/gallery").json()["error"]["message"]
    assert "may not fetch the face gallery" in refused and "registered gateway" in refused
    assert api.client.get("/api/v1/faces/gallery").status_code == 401
    wrong = api.client.get("/api/v1/faces/gallery", headers={"X-Gateway-Id": "gw-faces", "X-Gateway-Secret": "x"})
    assert wrong.status_code == 401


def test_unknown_people_and_bad_vectors_are_refused_with_the_reason(api: Api) -> None:
    def enrol(person_id: str, body: dict | None = None, **kwargs):
        return api.call("manager", "POST", f"/api/v1/faces/{person_id}/embeddings", json=body, **kwargs)

    for person_id in ("miner-999", "shearer-1101"):  # no such asset; an asset that is a machine
        missing = enrol(person_id, {"embeddings": VECTORS})
        assert missing.status_code == 404, missing.text
        assert f"'{person_id}' is not a person on this site" in missing.json()["error"]["message"]
    assert enrol("miner-001", {"embeddings": VECTORS}).status_code == 201
    bad = [
        ({"embeddings": [[1.0, 0.0, 0.0]]}, "embedding dimension 3 does not match the gallery's 4"),
        ({"embeddings": [[0.0, 0.0, 0.0, 0.0]]}, "all zeros"),
        ({"embeddings": []}, "embeddings: List should have at least 1 item"),
        ({"embeddings": [[]]}, "embeddings.0: List should have at least 1 item"),
        ({"embeddings": [[1.0, 0.0, 0.0, 0.0], [1.0, 0.0]]}, "different lengths [2, 4]"),
        ({"embeddings": [[1.0, 0, 0, 0]] * 51}, "embeddings: List should have at most 50 items"),
        ({"embeddings": VECTORS, "image_refs": ["a.jpg"]}, "1 image refs for 2 embeddings"),
        ({"embeddings": VECTORS, "extra": 1}, "extra: unknown field"),
    ]
    for body, message in bad:
        response = enrol("miner-001", body)
        assert response.status_code == 422, (body, response.text)
        assert message in response.json()["error"]["message"], response.text
    nan = enrol("miner-001", content=b'{"embeddings": [[NaN, 1, 0, 0]]}', headers={"Content-Type": "application/json"})
    assert nan.status_code == 422 and "NaN or infinity" in nan.json()["error"]["message"], nan.text
    assert api.call("manager", "GET", "/api/v1/faces").json()["people"][0]["embeddings"] == 2  # nothing more stored
    unknown = api.call("super_manager", "DELETE", "/api/v1/faces/nobody")
    assert unknown.status_code == 404 and "GET /api/v1/faces" in unknown.json()["error"]["message"]


def test_image_refs_are_plain_file_names_in_the_persons_gallery_folder(api: Api, tmp_path: Path) -> None:
    api.client.app.state.ctx.settings.face_images_dir = tmp_path
    (tmp_path / "miner-001").mkdir()
    (tmp_path / "miner-001" / "link.jpg").symlink_to("/etc/passwd")
    hostile = [
        "../../../../etc/passwd",
        "/etc/passwd",
        "miner-001/../miner-002/a.jpg",
        "miner-002/a.jpg",
        "a/b.jpg",
        "..",
        "miner-001/..",
        "a\\b.jpg",
        "a\x00.jpg",
        "C:evil.jpg",
        "new\nline.jpg",
        "link.jpg",
    ]
    for ref in hostile:
        body = {"embeddings": VECTORS, "image_refs": ["front.jpg", ref]}
        response = api.call("manager", "POST", "/api/v1/faces/miner-001/embeddings", json=body)
        assert response.status_code == 422, (ref, response.text)
        message = response.json()["error"]["message"]
        assert "image_refs" in message and "e.g. 'front.jpg'" in message, (ref, message)
    assert api.call("manager", "GET", "/api/v1/faces").json()["people"] == []  # nothing stored

    body = {"embeddings": VECTORS, "image_refs": ["front.jpg", "miner-001/left side.jpg"]}
    assert api.call("manager", "POST", "/api/v1/faces/miner-001/embeddings", json=body).status_code == 201
    people = api.call("manager", "GET", "/api/v1/faces").json()["people"]
    assert people[0]["image_refs"] == ["miner-001/front.jpg", "miner-001/left side.jpg"]
