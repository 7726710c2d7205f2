"""The open-set evaluation protocol on ORL / AT&T faces (``../shared/data/faces/att_orl``).

40 people x 10 images. With the defaults of :func:`make_protocol` and a seed:

* 8 whole identities are held out as **unknown** people, split 4 / 4 into
  ``val_unknown`` (used only to choose the open-set threshold) and ``test_unknown``;
* each of the 32 **known** people has 5 ``enrol`` images (gallery, and the only images the
  network may train on: ``train_items``), 1 ``val_known`` image (threshold choice) and 4
  ``test_known`` images.

So the threshold is chosen on validation probes — known people's held-back images and unknown
identities that never appear in the test — and the test reports open-set P/R/F1 on people and
images the threshold never saw. Every image is in exactly one split; no unknown person is ever
in ``train_items``. The split is a pure function of the items and the seed, and
:meth:`FaceProtocol.to_json` records it so a results file names the exact images used.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Literal

import numpy as np

Split = Literal["train", "enrol", "val_known", "val_unknown", "test_known", "test_unknown"]
Item = tuple[str, str]  # (image path relative to FaceProtocol.root, person id)

_IMAGE_SUFFIXES = {".pgm", ".png", ".jpg", ".jpeg", ".bmp"}
_FORMAT = "mineguard-face-protocol"


def _natural_key(text: str) -> list[int | str]:
    """'s2' < 's10' and '2.pgm' < '10.pgm'."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def load_att_orl(root: str | Path) -> list[tuple[Path, str]]:
    """List ``(image path, person id)`` of an ORL-style folder: one subfolder per person.

    Person id = subfolder name (``s1`` .. ``s40``); people and images in natural order. Images are
    not opened. Raises FileNotFoundError naming the folder when it is missing or has no images.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(
            f"ORL faces folder not found: {root} — expected s1..s40 subfolders of .pgm images "
            "(see ../shared/data/README.md)"
        )
    items = [
        (image, person.name)
        for person in sorted((p for p in root.iterdir() if p.is_dir()), key=lambda p: _natural_key(p.name))
        for image in sorted(person.iterdir(), key=lambda p: _natural_key(p.name))
        if image.suffix.lower() in _IMAGE_SUFFIXES
    ]
    if not items:
        raise FileNotFoundError(f"no face images in the person subfolders of {root} (expected s1/1.pgm, ...)")
    return items


@dataclass(frozen=True)
class FaceProtocol:
    """One seeded open-set split; see the module docstring. Item paths are relative to ``root``."""

    seed: int
    root: str
    known_ids: tuple[str, ...]
    val_unknown_ids: tuple[str, ...]
    test_unknown_ids: tuple[str, ...]
    enrol: tuple[Item, ...]
    val_known: tuple[Item, ...]
    val_unknown: tuple[Item, ...]
    test_known: tuple[Item, ...]
    test_unknown: tuple[Item, ...]

    @property
    def unknown_ids(self) -> tuple[str, ...]:
        return self.val_unknown_ids + self.test_unknown_ids

    @property
    def train_ids(self) -> tuple[str, ...]:
        """Classes for training the network: the known people; class index = position here."""
        return self.known_ids

    @property
    def train_items(self) -> list[tuple[Path, str]]:
        """Training images: the known people's enrolment images only (never test or unknown)."""
        return self.items("train")

    def items(self, split: Split) -> list[tuple[Path, str]]:
        """``(absolute path, person id)`` of one split; ``"train"`` is ``"enrol"``."""
        chosen = self.enrol if split == "train" else getattr(self, split)
        return [(Path(self.root) / rel, pid) for rel, pid in chosen]

    def to_json(self) -> str:
        """The exact split as JSON (paths relative to ``root``)."""
        return json.dumps({"format": _FORMAT, **asdict(self)}, indent=1)

    @classmethod
    def from_json(cls, text: str, *, root: str | Path | None = None) -> FaceProtocol:
        """Read :meth:`to_json` output; ``root`` re-bases the images (another machine). Unknown keys are errors."""
        data = json.loads(text)
        if data.pop("format", None) != _FORMAT:
            raise ValueError(f"not a face protocol: 'format' must be {_FORMAT!r}")
        names = {f.name for f in fields(cls)}
        if set(data) != names:
            raise ValueError(f"face protocol keys differ: unexpected {set(data) - names}, missing {names - set(data)}")
        if root is not None:
            data["root"] = str(root)
        return cls(**{k: _tuples(v) for k, v in data.items()})


def _tuples(value: object) -> object:
    """JSON lists back to the tuples of a frozen protocol."""
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def make_protocol(
    items: list[tuple[Path, str]],
    *,
    n_unknown: int = 8,
    n_val_unknown: int = 4,
    n_enrol: int = 5,
    n_val_known: int = 1,
    seed: int = 0,
) -> FaceProtocol:
    """Split ``(path, person id)`` items into the open-set protocol of the module docstring.

    Args:
        items: e.g. :func:`load_att_orl` output.
        n_unknown: whole identities held out as unknown people.
        n_val_unknown: of those, how many are used for threshold choice (the rest are test).
        n_enrol: enrolment (= training) images per known person.
        n_val_known: validation images per known person; the remaining images are test.
        seed: ``numpy.random.default_rng`` seed; same items + seed -> same protocol.
    """
    by_person: dict[str, list[Path]] = {}
    for path, pid in items:
        by_person.setdefault(pid, []).append(Path(path))
    people = sorted(by_person, key=_natural_key)
    if not 0 < n_val_unknown < n_unknown < len(people):
        raise ValueError(
            f"need 0 < n_val_unknown ({n_val_unknown}) < n_unknown ({n_unknown}) < people ({len(people)}) "
            "so that validation and test each get unknown people and someone is enrolled"
        )
    if n_enrol < 1 or n_val_known < 1:
        raise ValueError(f"n_enrol ({n_enrol}) and n_val_known ({n_val_known}) must be at least 1")
    rng = np.random.default_rng(seed)
    shuffled = [people[i] for i in rng.permutation(len(people))]
    unknown = shuffled[:n_unknown]
    known = sorted(shuffled[n_unknown:], key=_natural_key)
    val_unknown_ids = sorted(unknown[:n_val_unknown], key=_natural_key)
    test_unknown_ids = sorted(unknown[n_val_unknown:], key=_natural_key)

    root = Path(os.path.commonpath([p.parent for paths in by_person.values() for p in paths]))

    def rel(pid: str, paths: list[Path]) -> tuple[Item, ...]:
        return tuple((p.relative_to(root).as_posix(), pid) for p in paths)

    def in_order(pid: str) -> list[Path]:
        return sorted(by_person[pid], key=lambda p: _natural_key(p.name))

    splits: dict[str, list[Item]] = {"enrol": [], "val_known": [], "test_known": []}
    for pid in known:
        paths = in_order(pid)
        if len(paths) <= n_enrol + n_val_known:
            raise ValueError(
                f"person {pid} has {len(paths)} images; need more than n_enrol + n_val_known = "
                f"{n_enrol + n_val_known} so that at least one is left for testing"
            )
        paths = [paths[i] for i in rng.permutation(len(paths))]
        splits["enrol"] += rel(pid, paths[:n_enrol])
        splits["val_known"] += rel(pid, paths[n_enrol : n_enrol + n_val_known])
        splits["test_known"] += rel(pid, paths[n_enrol + n_val_known :])

    def whole(ids: list[str]) -> tuple[Item, ...]:
        return tuple(item for pid in ids for item in rel(pid, in_order(pid)))

    return FaceProtocol(
        seed=seed,
        root=str(root),
        known_ids=tuple(known),
        val_unknown_ids=tuple(val_unknown_ids),
        test_unknown_ids=tuple(test_unknown_ids),
        enrol=tuple(splits["enrol"]),
        val_known=tuple(splits["val_known"]),
        val_unknown=whole(val_unknown_ids),
        test_known=tuple(splits["test_known"]),
        test_unknown=whole(test_unknown_ids),
    )
