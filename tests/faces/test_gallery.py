"""Face gallery stores: enrolment, listing, erasure (GDPR-style: nothing of the person remains)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from mineguard.faces.errors import FaceImageError
from mineguard.faces.gallery import GalleryStore, MemoryGallery, NpzGallery, check_not_duplicate, l2_normalise

D = 8


def _unit(rng: np.random.Generator, k: int) -> np.ndarray:
    x = rng.normal(size=(k, D))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture(params=["memory", "npz"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], GalleryStore]:
    if request.param == "memory":
        store = MemoryGallery()
        return lambda: store
    return lambda: NpzGallery(tmp_path / "gallery")


def test_add_list_and_embeddings(make_store: Callable[[], GalleryStore]) -> None:
    rng = np.random.default_rng(0)
    store = make_store()
    assert isinstance(store, GalleryStore)
    a, b = _unit(rng, 3), _unit(rng, 2)
    assert store.add("XW-01", a, image_refs=["a1.png", "a2.png", "a3.png"]) == 3
    assert store.add("XW-02", b) == 2
    store = make_store()  # the npz store is reopened from disk
    rows, ids = store.embeddings()
    assert rows.dtype == np.float32 and rows.shape == (5, D)
    assert ids == ["XW-01"] * 3 + ["XW-02"] * 2
    np.testing.assert_allclose(rows, np.concatenate([a, b]), atol=1e-6)
    assert store.people() == ["XW-01", "XW-02"]
    assert store.count("XW-01") == 3 and store.count("nobody") == 0
    assert store.image_refs("XW-01") == ["a1.png", "a2.png", "a3.png"] and store.image_refs("nobody") == []


def test_raw_embeddings_are_normalised_and_appended(make_store: Callable[[], GalleryStore]) -> None:
    store = make_store()
    store.add("s1", np.array([3.0, 4.0] + [0.0] * (D - 2)))  # (D,) accepted, norm 5
    store.add("s1", np.full((1, D), 2.0))
    rows, ids = make_store().embeddings()
    assert ids == ["s1", "s1"]
    np.testing.assert_allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(rows[0, :2], [0.6, 0.8], atol=1e-6)


def test_remove_erases_person_and_keeps_others(make_store: Callable[[], GalleryStore]) -> None:
    rng = np.random.default_rng(1)
    store = make_store()
    store.add("XW-01", _unit(rng, 3), image_refs=["x.png"])
    keep = _unit(rng, 2)
    store.add("XW-02", keep)
    assert store.remove("XW-01") == 3
    assert store.remove("XW-01") == 0  # unknown person: 0, no error
    store = make_store()
    rows, ids = store.embeddings()
    assert store.people() == ["XW-02"] and ids == ["XW-02", "XW-02"]
    np.testing.assert_allclose(rows, keep, atol=1e-6)
    assert store.count("XW-01") == 0 and store.image_refs("XW-01") == []


def test_empty_gallery(make_store: Callable[[], GalleryStore]) -> None:
    rows, ids = make_store().embeddings()
    assert rows.shape[0] == 0 and ids == []


@pytest.mark.parametrize(
    ("person_id", "embeddings", "message"),
    [
        ("", np.ones((1, D)), "person id"),
        ("../etc", np.ones((1, D)), "person id"),
        ("s1", np.ones((1, D + 1)), "dimension"),
        ("s1", np.full((1, D), np.nan), "NaN"),
        ("s1", np.zeros((1, D)), "all zeros"),
        ("s1", np.ones((0, D)), r"\(k, D\)"),
    ],
)
def test_bad_input_is_rejected(
    make_store: Callable[[], GalleryStore], person_id: str, embeddings: np.ndarray, message: str
) -> None:
    store = make_store()
    store.add("s0", np.ones((1, D)))
    with pytest.raises(ValueError, match=message):
        store.add(person_id, embeddings)
    assert make_store().people() == ["s0"]


def test_npz_erasure_deletes_image_copies_and_old_files(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    sources = []
    for name in ("front.png", "left.png"):
        sources.append(tmp_path / name)
        sources[-1].write_bytes(b"fake image " + name.encode())
    folder = tmp_path / "gallery"
    store = NpzGallery(folder)
    store.add("XW-01", _unit(rng, 2), images=sources)
    store.add("XW-02", _unit(rng, 1), images=sources[:1])
    refs = store.image_refs("XW-01")
    assert refs == ["images/XW-01/0000_front.png", "images/XW-01/0001_left.png"]
    assert (folder / refs[1]).read_bytes() == b"fake image left.png"

    assert NpzGallery(folder).remove("XW-01") == 2
    assert not (folder / "images" / "XW-01").exists()
    assert (folder / "images" / "XW-02" / "0000_front.png").is_file()
    assert all(s.is_file() for s in sources)  # originals outside the gallery are not the gallery's
    npz_files = sorted(folder.glob("*.npz"))
    assert len(npz_files) == 1  # the old generation holding XW-01 is gone
    with np.load(npz_files[0]) as data:
        assert data["person_ids"].tolist() == ["XW-02"]
    assert "XW-01" not in (folder / "index.json").read_text()
    assert not list(folder.rglob("*.tmp"))
    assert NpzGallery(folder).people() == ["XW-02"]


def test_npz_sweeps_leftovers_of_a_crash(tmp_path: Path) -> None:
    folder = tmp_path / "gallery"
    NpzGallery(folder).add("s1", np.ones((1, D)))
    (folder / "embeddings-000000.npz").write_bytes(b"old generation")
    (folder / "index.json.abc.tmp").write_bytes(b"half written")
    (folder / "images" / "s9").mkdir(parents=True)  # image copies of a person never committed
    (folder / "images" / "s9" / "0000_a.png").write_bytes(b"x")
    assert NpzGallery(folder).people() == ["s1"]
    assert sorted(f.name for f in folder.iterdir()) == ["embeddings-000001.npz", "images", "index.json"]
    assert list((folder / "images").iterdir()) == []


def test_npz_missing_image_fails_before_any_change(tmp_path: Path) -> None:
    store = NpzGallery(tmp_path / "gallery")
    with pytest.raises(FileNotFoundError, match=r"nope\.png"):
        store.add("s1", np.ones((1, D)), images=[tmp_path / "nope.png"])
    assert store.people() == [] and not (tmp_path / "gallery").exists()


def test_npz_rejects_a_file_path(tmp_path: Path) -> None:
    (tmp_path / "g.npz").write_bytes(b"")
    with pytest.raises(ValueError, match="give a folder"):
        NpzGallery(tmp_path / "g.npz")


def test_check_not_duplicate_known_answers() -> None:
    gallery = MemoryGallery()
    gallery.add("XW-01", np.eye(D, dtype=np.float32)[:2])  # rows e0, e1
    rows = gallery.embeddings()
    tilted = l2_normalise(np.array([[1.0, 0.2] + [0.0] * (D - 2)]))  # cosine 0.981 to e0
    check_not_duplicate(rows, "XW-02", np.eye(D, dtype=np.float32)[2:4], threshold=0.9)  # new faces: fine
    check_not_duplicate(rows, "XW-02", tilted, threshold=None)  # no threshold: only the same photo counts
    check_not_duplicate(rows, "XW-01", tilted, threshold=0.9)  # the same person, a new photo: fine
    with pytest.raises(FaceImageError, match=r"b\.png: this face is already enrolled as 'XW-01' \(score 0\.98") as err:
        check_not_duplicate(rows, "XW-02", np.vstack([np.eye(D)[3:4], tilted]), threshold=0.9, names=["a.png", "b.png"])
    assert err.value.reason == "duplicate_identity"
    with pytest.raises(FaceImageError, match=r"embeddings\[0\]: this photo is already enrolled for 'XW-01'") as err:
        check_not_duplicate(rows, "XW-01", np.eye(D, dtype=np.float32)[1:2], threshold=0.9)
    assert err.value.reason == "already_enrolled"
    with pytest.raises(FaceImageError, match=r"embeddings\[2\] is the same photo as embeddings\[0\]"):
        check_not_duplicate(rows, "XW-02", np.eye(D, dtype=np.float32)[[4, 5, 4]], threshold=0.9)
    check_not_duplicate((np.zeros((0, D), np.float32), []), "XW-01", np.eye(D, dtype=np.float32)[:1], threshold=0.5)
