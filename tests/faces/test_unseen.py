"""The unseen-people protocol: groups are disjoint, sized as asked, seeded, and complete."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from mineguard.faces.unseen import make_unseen_protocol, make_unseen_protocols


def _items(people: int = 40, photos: int = 10) -> list[tuple[Path, str]]:
    return [(Path(f"/data/orl/s{p}/{i}.pgm"), f"s{p}") for p in range(1, people + 1) for i in range(1, photos + 1)]


def test_groups_are_disjoint_and_cover_everyone() -> None:
    for proto in make_unseen_protocols(_items(), seeds=range(5)):
        groups = [
            proto.train_ids,
            proto.calib_gallery_ids,
            proto.calib_unknown_ids,
            proto.test_gallery_ids,
            proto.test_unknown_ids,
        ]
        assert [len(g) for g in groups] == [20, 5, 3, 8, 4]
        everyone = [pid for g in groups for pid in g]
        assert len(everyone) == len(set(everyone)) == 40
        train = {pid for _, pid in proto.train_items()}
        assert train == set(proto.train_ids) and len(proto.train_items()) == 200
        for group in ("calib", "test"):
            probes = proto.probe_items(group, 4)
            assert not {pid for _, pid in probes if pid} & train
            enrol = proto.enrol_items(group, 4)
            assert not {p for p, _ in enrol} & {p for p, _ in probes}  # no photo both enrolled and probed
            assert len(enrol) == 4 * len(proto.gallery_ids(group))
            assert len(probes) == 6 * len(proto.gallery_ids(group)) + 10 * len(proto.unknown_ids(group))


def test_seeded() -> None:
    a, b, c = (make_unseen_protocol(_items(), seed=s) for s in (3, 3, 4))
    assert a == b and a.to_json() == b.to_json()
    assert a.test_ids != c.test_ids


def test_a_person_on_two_sides_is_refused() -> None:
    proto = make_unseen_protocol(_items(), seed=0)
    with pytest.raises(ValueError, match="two groups"):
        replace(proto, test_unknown_ids=(*proto.test_unknown_ids, proto.train_ids[0]))


def test_too_few_people() -> None:
    with pytest.raises(ValueError, match="at least one enrolled test person"):
        make_unseen_protocol(_items(people=32), seed=0)
