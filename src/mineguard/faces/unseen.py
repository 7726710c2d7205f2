"""The unseen-people protocol: faces of people the embedder never saw and the method never tuned on.

Issue #16: a threshold chosen on the people a network was trained on does not carry over to new
people. This protocol splits PEOPLE (whole identities, never single photos) into three disjoint
groups, per seed:

* ``train_ids`` — the only people whose photos the embedder is trained on;
* ``calib_ids`` — people used to choose the method (threshold rule, its offset, normalisation,
  model), split into an enrolled gallery (``calib_gallery_ids``) and strangers
  (``calib_unknown_ids``);
* ``test_ids`` — people used for nothing but the reported figures, split the same way into
  ``test_gallery_ids`` (enrolled from ``n_enrol`` photos each, the rest are probes) and
  ``test_unknown_ids`` (every photo is a stranger's probe).

Within a gallery group the first ``n_enrol`` photos in a seeded order are enrolment photos and the
others probes. :func:`make_unseen_protocols` repeats the split over several seeds so results can
be given as mean and spread. The split is a pure function of the items and the seed; no person
is ever in two groups (checked in ``__post_init__``).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from mineguard.faces.protocol import Item, _natural_key

Group = Literal["calib", "test"]
_FORMAT = "mineguard-unseen-face-protocol"


@dataclass(frozen=True)
class UnseenProtocol:
    """One seeded person split; item paths are relative to ``root``."""

    seed: int
    root: str
    train_ids: tuple[str, ...]
    calib_gallery_ids: tuple[str, ...]
    calib_unknown_ids: tuple[str, ...]
    test_gallery_ids: tuple[str, ...]
    test_unknown_ids: tuple[str, ...]
    photos: tuple[tuple[str, tuple[str, ...]], ...]  # person -> photos in this seed's order

    def __post_init__(self) -> None:
        groups = (
            self.train_ids,
            self.calib_gallery_ids,
            self.calib_unknown_ids,
            self.test_gallery_ids,
            self.test_unknown_ids,
        )
        seen: dict[str, int] = {}
        for g, ids in enumerate(groups):
            for pid in ids:
                if pid in seen:
                    raise ValueError(f"person {pid} is in two groups of the unseen protocol ({seen[pid]} and {g})")
                seen[pid] = g

    @property
    def calib_ids(self) -> tuple[str, ...]:
        return self.calib_gallery_ids + self.calib_unknown_ids

    @property
    def test_ids(self) -> tuple[str, ...]:
        return self.test_gallery_ids + self.test_unknown_ids

    def person_photos(self, pid: str) -> list[Path]:
        """Absolute paths of one person's photos, in this seed's order."""
        return [Path(self.root) / rel for rel in dict(self.photos)[pid]]

    def train_items(self) -> list[tuple[Path, str]]:
        """Every photo of the training people (and nobody else's)."""
        return [(p, pid) for pid in self.train_ids for p in self.person_photos(pid)]

    def gallery_ids(self, group: Group) -> tuple[str, ...]:
        return self.calib_gallery_ids if group == "calib" else self.test_gallery_ids

    def unknown_ids(self, group: Group) -> tuple[str, ...]:
        return self.calib_unknown_ids if group == "calib" else self.test_unknown_ids

    def enrol_items(self, group: Group, n_enrol: int) -> list[tuple[Path, str]]:
        """The first ``n_enrol`` photos of each gallery person of ``group``."""
        return [(p, pid) for pid in self.gallery_ids(group) for p in self.person_photos(pid)[:n_enrol]]

    def probe_items(self, group: Group, n_enrol: int) -> list[tuple[Path, str | None]]:
        """Known probes (the gallery people's other photos) then strangers (truth ``None``)."""
        known = [(p, pid) for pid in self.gallery_ids(group) for p in self.person_photos(pid)[n_enrol:]]
        unknown = [(p, None) for pid in self.unknown_ids(group) for p in self.person_photos(pid)]
        return known + unknown

    def to_json(self) -> str:
        return json.dumps({"format": _FORMAT, **asdict(self)}, indent=1)


def make_unseen_protocol(
    items: list[tuple[Path, str]],
    *,
    n_train: int = 20,
    n_calib_gallery: int = 5,
    n_calib_unknown: int = 3,
    n_test_unknown: int = 4,
    seed: int = 0,
) -> UnseenProtocol:
    """Split ``(path, person id)`` items (e.g. ``load_att_orl``) by person; the rest of the people
    after train and calibration are test people, of whom ``n_test_unknown`` are strangers.
    """
    by_person: dict[str, list[Path]] = {}
    for path, pid in items:
        by_person.setdefault(pid, []).append(Path(path))
    people = sorted(by_person, key=_natural_key)
    n_test_gallery = len(people) - n_train - n_calib_gallery - n_calib_unknown - n_test_unknown
    counts = (n_train, n_calib_gallery, n_calib_unknown, n_test_unknown)
    if min(counts) < 1 or n_test_gallery < 1:
        raise ValueError(
            f"{len(people)} people cannot give {n_train} train, {n_calib_gallery}+{n_calib_unknown} calibration "
            f"and {n_test_unknown} unknown test people with at least one enrolled test person; every group needs >= 1"
        )
    rng = np.random.default_rng(seed)
    order = [people[i] for i in rng.permutation(len(people))]
    cuts = np.cumsum([n_train, n_calib_gallery, n_calib_unknown, n_test_gallery])
    groups = [sorted(g, key=_natural_key) for g in np.split(np.array(order, dtype=object), cuts)]
    root = Path(os.path.commonpath([p.parent for paths in by_person.values() for p in paths]))
    photos = []
    for pid in people:
        paths = sorted(by_person[pid], key=lambda p: _natural_key(p.name))
        photos.append((pid, tuple(paths[i].relative_to(root).as_posix() for i in rng.permutation(len(paths)))))
    return UnseenProtocol(
        seed=seed,
        root=str(root),
        train_ids=tuple(groups[0]),
        calib_gallery_ids=tuple(groups[1]),
        calib_unknown_ids=tuple(groups[2]),
        test_gallery_ids=tuple(groups[3]),
        test_unknown_ids=tuple(groups[4]),
        photos=tuple(photos),
    )


def make_unseen_protocols(
    items: list[tuple[Path, str]], *, seeds: range | list[int], **kw: int
) -> list[UnseenProtocol]:
    """One :func:`make_unseen_protocol` per seed."""
    return [make_unseen_protocol(items, seed=s, **kw) for s in seeds]


def items_of(protocol: UnseenProtocol) -> list[Item]:
    """Every ``(relative path, person)`` of the protocol, for a results file."""
    return [(rel, pid) for pid, rels in protocol.photos for rel in rels]
