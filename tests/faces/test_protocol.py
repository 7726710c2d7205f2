"""The att_orl open-set protocol: split sizes, no leakage, determinism, JSON round trip."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mineguard.faces.protocol import FaceProtocol, load_att_orl, make_protocol


@pytest.fixture(scope="module")
def att_orl(shared_data: Path) -> Path:
    """The real ORL faces (skipped, via ``shared_data``, when ``../shared/data`` is absent)."""
    return shared_data / "faces" / "att_orl"


def _fake_orl(root: Path, people: int = 40, images: int = 10) -> Path:
    for p in range(1, people + 1):
        (root / f"s{p}").mkdir(parents=True)
        for i in range(1, images + 1):
            (root / f"s{p}" / f"{i}.pgm").write_bytes(b"P5 92 112 255\n")
    (root / "README").write_text("not a person")
    return root


def _check_protocol(protocol: FaceProtocol) -> None:
    assert len(protocol.known_ids) == 32 and len(protocol.unknown_ids) == 8
    assert len(protocol.val_unknown_ids) == 4 and len(protocol.test_unknown_ids) == 4
    assert not set(protocol.known_ids) & set(protocol.unknown_ids)
    assert not set(protocol.val_unknown_ids) & set(protocol.test_unknown_ids)
    assert (len(protocol.enrol), len(protocol.val_known), len(protocol.test_known)) == (160, 32, 128)
    assert (len(protocol.val_unknown), len(protocol.test_unknown)) == (40, 40)
    splits = [protocol.enrol, protocol.val_known, protocol.test_known, protocol.val_unknown, protocol.test_unknown]
    paths = [rel for split in splits for rel, _ in split]
    assert len(paths) == len(set(paths)) == 400  # every image in exactly one split
    assert {pid for _, pid in protocol.val_unknown} == set(protocol.val_unknown_ids)
    assert {pid for _, pid in protocol.test_unknown} == set(protocol.test_unknown_ids)
    for split in (protocol.enrol, protocol.val_known, protocol.test_known):
        assert {pid for _, pid in split} == set(protocol.known_ids)
    train = protocol.train_items
    assert protocol.train_ids == protocol.known_ids
    assert {pid for _, pid in train} == set(protocol.known_ids)  # no unknown person is trained on
    assert {p.relative_to(protocol.root).as_posix() for p, _ in train} == {rel for rel, _ in protocol.enrol}


def test_protocol_on_a_generated_tree(tmp_path: Path) -> None:
    root = _fake_orl(tmp_path / "orl")
    items = load_att_orl(root)
    assert len(items) == 400 and items[0] == (root / "s1" / "1.pgm", "s1") and items[10][1] == "s2"
    assert items[9][0].name == "10.pgm"  # natural order
    protocol = make_protocol(items, seed=0)
    _check_protocol(protocol)
    assert Path(protocol.root) == root
    assert all(p.is_file() for p, _ in protocol.items("test_unknown"))


def test_same_seed_same_split_other_seed_other_split(tmp_path: Path) -> None:
    items = load_att_orl(_fake_orl(tmp_path / "orl"))
    first, again, other = make_protocol(items, seed=7), make_protocol(items, seed=7), make_protocol(items, seed=8)
    assert first == again
    assert first.unknown_ids != other.unknown_ids and first.enrol != other.enrol


def test_json_round_trip_and_rebase(tmp_path: Path) -> None:
    protocol = make_protocol(load_att_orl(_fake_orl(tmp_path / "orl")), seed=3)
    assert FaceProtocol.from_json(protocol.to_json()) == protocol
    moved = FaceProtocol.from_json(protocol.to_json(), root=tmp_path / "elsewhere")
    assert moved.items("enrol")[0][0] == tmp_path / "elsewhere" / protocol.enrol[0][0]
    with pytest.raises(ValueError, match="unexpected"):
        FaceProtocol.from_json(protocol.to_json().replace('"seed"', '"sede"'))
    with pytest.raises(ValueError, match="not a face protocol"):
        FaceProtocol.from_json("{}")


def test_load_att_orl_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=re.escape(str(tmp_path / "missing"))):
        load_att_orl(tmp_path / "missing")
    (tmp_path / "empty" / "s1").mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match="no face images"):
        load_att_orl(tmp_path / "empty")


def test_make_protocol_bad_sizes(tmp_path: Path) -> None:
    items = load_att_orl(_fake_orl(tmp_path / "orl", people=10, images=6))
    with pytest.raises(ValueError, match="n_unknown"):
        make_protocol(items, n_unknown=10)
    with pytest.raises(ValueError, match="has 6 images"):
        make_protocol(items, n_unknown=4, n_val_unknown=2, n_enrol=5, n_val_known=1)
    small = make_protocol(items, n_unknown=4, n_val_unknown=2, n_enrol=3, n_val_known=1)
    assert (len(small.enrol), len(small.val_known), len(small.test_known)) == (18, 6, 12)


def test_protocol_on_real_att_orl(att_orl: Path) -> None:
    items = load_att_orl(att_orl)
    assert len(items) == 400 and len({pid for _, pid in items}) == 40
    protocol = make_protocol(items, seed=0)
    _check_protocol(protocol)
    assert all(p.is_file() for p, _ in protocol.items("enrol"))
