"""DbGallery: the ML core's GalleryStore on the platform database (SQLite and PostgreSQL), with audited erasure."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sqlalchemy.orm import Session, sessionmaker

from mineguard.faces.gallery import GalleryStore, MemoryGallery, prepare_embeddings
from mineguard.faces.identify import Identifier
from mineguard.services.audit.log import recent, verify
from mineguard.services.identity import DbGallery
from mineguard.services.storage.db import session_factory

DIM = 16


@pytest.fixture
def sessions(engine) -> sessionmaker[Session]:
    return session_factory(engine)


def _vectors(seed: int, k: int, dim: int = DIM) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(k, dim)) * 3.0  # raw network outputs, not unit length


def _audit(sessions: sessionmaker[Session], action: str) -> list:
    with sessions() as session:
        return list(reversed(recent(session, action=action)))


NO_EVIDENCE = {"evidence_files": 0, "face_events_cleared": 0, "alert_media_removed": 0}


def test_is_a_gallery_store_and_round_trips_float32_exactly(sessions: sessionmaker[Session]) -> None:
    gallery, memory = DbGallery(sessions, actor="enrol-station"), MemoryGallery()
    assert isinstance(gallery, GalleryStore)
    assert gallery.people() == [] and gallery.dim is None and gallery.count("XW-01") == 0
    rows, ids = gallery.embeddings()
    assert rows.shape == (0, 0) and rows.dtype == np.float32 and ids == []

    for store in (gallery, memory):
        assert store.add("XW-01", _vectors(1, 3), image_refs=["XW-01/a.png", "XW-01/b.png", "XW-01/c.png"]) == 3
        assert store.add("s12", _vectors(2, 1)[0]) == 1  # one (D,) vector
        assert store.add("XW-01", _vectors(3, 2)) == 2  # extends the person
    rows, ids = gallery.embeddings()
    assert rows.dtype == np.float32 and rows.shape == (6, DIM)
    assert ids == ["XW-01"] * 3 + ["s12"] + ["XW-01"] * 2  # enrolment order
    expected = np.concatenate([prepare_embeddings(_vectors(s, k), dim=DIM) for s, k in ((1, 3), (2, 1), (3, 2))])
    assert np.array_equal(rows, expected)  # bit for bit: float32 in, float32 out
    np.testing.assert_allclose(np.linalg.norm(rows, axis=1), 1.0, rtol=1e-6)
    assert gallery.people() == memory.people() == ["XW-01", "s12"]
    assert gallery.count("XW-01") == 5 and gallery.count("s12") == 1 and gallery.dim == DIM
    assert gallery.image_refs("XW-01") == memory.image_refs("XW-01") == ["XW-01/a.png", "XW-01/b.png", "XW-01/c.png"]
    assert gallery.image_refs("nobody") == []

    enrolled = _audit(sessions, "face.enrolled")
    assert [(e.actor, e.subject, e.payload["embeddings"], e.payload["total"]) for e in enrolled] == [
        ("enrol-station", "asset:XW-01", 3, 3),
        ("enrol-station", "asset:s12", 1, 1),
        ("enrol-station", "asset:XW-01", 2, 5),
    ]


def test_refuses_what_the_ml_core_refuses_and_stores_nothing(sessions: sessionmaker[Session]) -> None:
    gallery = DbGallery(sessions)
    gallery.enrol("XW-01", _vectors(1, 2), actor="mgr")
    bad = [
        ("XW-02", _vectors(2, 1, dim=DIM + 1), {}, "embedding dimension 17 does not match the gallery's 16"),
        ("XW-02", np.full((1, DIM), np.nan), {}, "NaN or infinity"),
        ("XW-02", np.zeros((1, DIM)), {}, "all zeros"),
        ("XW-02", np.zeros((0, DIM)), {}, "must be \\(k, D\\)"),
        ("bad id", _vectors(2, 1), {}, "person id 'bad id' is not valid"),
        ("../XW-01", _vectors(2, 1), {}, "is not valid"),
        ("x" * 65, _vectors(2, 1), {}, "at most 64"),
        ("XW-02", _vectors(2, 2), {"image_refs": ["one.png"]}, "1 image refs for 2 embeddings"),
        ("XW-02", _vectors(2, 1), {"image_refs": ["x" * 301]}, "1 to 300 characters"),
    ]
    for person_id, vectors, kwargs, message in bad:
        with pytest.raises(ValueError, match=message):
            gallery.enrol(person_id, vectors, actor="mgr", **kwargs)
    assert gallery.people() == ["XW-01"] and gallery.count("XW-01") == 2
    assert len(_audit(sessions, "face.enrolled")) == 1


def test_a_failed_audit_append_rolls_the_enrolment_back(sessions: sessionmaker[Session], monkeypatch) -> None:
    def broken_append(*args, **kwargs):
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr("mineguard.services.identity.store.audit.append", broken_append)
    with pytest.raises(RuntimeError, match="audit log unavailable"):
        DbGallery(sessions).enrol("XW-01", _vectors(1, 2), actor="mgr")
    assert DbGallery(sessions).count("XW-01") == 0


def test_erase_removes_rows_and_images_of_that_person_only(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    root, outside = tmp_path / "faces", tmp_path / "camera-roll" / "xw01.png"
    for path in (root / "XW-01" / "a.png", root / "XW-01" / "2026" / "b.png", root / "XW-02" / "a.png", outside):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\x89PNG")
    gallery = DbGallery(sessions, image_root=root)
    gallery.enrol("XW-01", _vectors(1, 3), actor="mgr", image_refs=["XW-01/a.png", "XW-01/2026/b.png", str(outside)])
    gallery.enrol("XW-02", _vectors(2, 2), actor="mgr", image_refs=["XW-02/a.png", "XW-01/../XW-02/a.png"])

    assert gallery.erase("XW-01", actor="admin") == 3
    assert gallery.people() == ["XW-02"] and gallery.count("XW-01") == 0 and gallery.image_refs("XW-01") == []
    rows, ids = gallery.embeddings()
    assert ids == ["XW-02", "XW-02"] and np.array_equal(rows, prepare_embeddings(_vectors(2, 2), dim=DIM))
    assert not (root / "XW-01").exists()
    assert (root / "XW-02" / "a.png").is_file() and outside.is_file()  # others' images and outside refs stay

    erased = _audit(sessions, "face.erased")
    assert [(e.actor, e.subject, e.payload) for e in erased] == [
        ("admin", "asset:XW-01", {"embeddings": 3, "image_files": 2, "image_refs_outside": 1, **NO_EVIDENCE})
    ]
    assert gallery.erase("XW-01", actor="admin") == 0  # nothing left: no new audit entry
    assert gallery.erase("../XW-02", actor="admin") == 0 and gallery.erase("..", actor="admin") == 0
    assert (root / "XW-02" / "a.png").is_file() and len(_audit(sessions, "face.erased")) == 1

    assert gallery.remove("XW-02") == 2  # the GalleryStore method: audited under the gallery's actor
    assert gallery.people() == [] and not (root / "XW-02").exists() and root.is_dir()
    assert _audit(sessions, "face.erased")[-1].actor == "system"
    with sessions() as session:
        assert verify(session).ok


def test_erase_deletes_images_of_a_person_with_no_embeddings_left(sessions: sessionmaker[Session], tmp_path) -> None:
    (tmp_path / "XW-09").mkdir()
    (tmp_path / "XW-09" / "left-over.png").write_bytes(b"\x89PNG")
    assert DbGallery(sessions, image_root=tmp_path).erase("XW-09", actor="admin") == 0
    assert not (tmp_path / "XW-09").exists()
    assert _audit(sessions, "face.erased")[0].payload == {
        "embeddings": 0,
        "image_files": 1,
        "image_refs_outside": 0,
        **NO_EVIDENCE,
    }


def test_the_identifier_identifies_on_the_database_gallery(sessions: sessionmaker[Session]) -> None:
    gallery, memory = DbGallery(sessions), MemoryGallery()
    people = [f"miner-{i:03d}" for i in range(1, 6)]
    for i, person in enumerate(people):
        for store in (gallery, memory):
            store.add(person, _vectors(100 + i, 3, dim=64))
    identifier = Identifier(gallery, threshold=0.5)
    probe = _vectors(102, 3, dim=64)[1] + np.random.default_rng(7).normal(size=64) * 0.3  # miner-003, a new photo
    found = identifier.identify(probe)
    assert found.person_id == "miner-003" and found.score > 0.9
    assert identifier.identify(_vectors(999, 1, dim=64)[0]).person_id is None  # a visitor stays unknown
    ours, theirs = identifier.person_scores(probe[None]), Identifier(memory, threshold=0.5).person_scores(probe[None])
    assert ours[1] == theirs[1] == people
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-6)

    gallery.erase("miner-003", actor="admin")  # erasure applies at once: the identifier reads on every call
    assert identifier.identify(probe).person_id is None
    assert Identifier(DbGallery(sessions), threshold=0.5).identify(probe).nearest_id != "miner-003"
