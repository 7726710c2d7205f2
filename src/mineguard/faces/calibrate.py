"""An open-set threshold calibrated on the enrolled people's own photos (issue #16).

A threshold chosen on the people a network was trained on does not carry over to new people:
the network has pulled its training people apart, so strangers score higher against a new
gallery than they did in training. The gallery itself holds the evidence needed: ``k >= 2``
enrolment embeddings per person. Leave one out:

* **genuine** score of an enrolment photo = its best cosine with the *other* photos of its own
  person (what a probe of that person would score, ``Identifier`` "max" aggregate);
* **impostor** score = its best cosine with any *other* enrolled person (what a stranger who
  looks like that person would score).

The threshold maximises open-set F1 when these genuine scores play the known probes and the
impostor scores play the strangers (:func:`~mineguard.faces.identify.choose_open_set_threshold`,
a genuine probe counting as correct when its own person is also its nearest), plus an ``offset``
— the one number of the rule chosen on calibration people, never on the people it is used for.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mineguard.faces.gallery import GalleryStore
from mineguard.faces.identify import choose_open_set_threshold


@dataclass(frozen=True)
class GalleryCalibration:
    """The calibrated threshold and the evidence behind it."""

    threshold: float
    base: float  # F1-best threshold of the leave-one-out scores, before the offset
    offset: float
    n_genuine: int
    n_impostor: int


def leave_one_out_scores(rows: np.ndarray, row_ids: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Genuine, impostor best scores and "own person is nearest" flags of rows (N, D) unit vectors.

    Only rows whose person has another row give a genuine score; every row gives an impostor score
    when there is another person.
    """
    ids = np.asarray(row_ids)
    sim = rows.astype(np.float64) @ rows.astype(np.float64).T
    np.fill_diagonal(sim, -np.inf)
    same = ids[:, None] == ids[None, :]
    own = np.where(same, sim, -np.inf).max(axis=1)
    other = np.where(~same, sim, -np.inf).max(axis=1)
    has_own = np.isfinite(own)
    has_other = np.isfinite(other)
    return own[has_own], other[has_other], (own > other)[has_own]


def calibrate_gallery_threshold(gallery: GalleryStore, *, offset: float = 0.0) -> GalleryCalibration:
    """The threshold of the module docstring for the people enrolled in ``gallery`` now.

    Raises:
        ValueError: fewer than two people, or nobody with two enrolment photos — say what to enrol.
    """
    rows, row_ids = gallery.embeddings()
    people = set(row_ids)
    if len(people) < 2:
        raise ValueError(
            f"a gallery threshold needs at least 2 enrolled people, got {len(people)} — enrol more people "
            "or set the threshold by hand"
        )
    genuine, impostor, correct = leave_one_out_scores(np.asarray(rows), list(row_ids))
    if genuine.size == 0:
        raise ValueError("a gallery threshold needs people enrolled with at least 2 photos each — enrol 2 or more")
    base = choose_open_set_threshold(genuine, impostor, known_correct=correct)
    return GalleryCalibration(float(base + offset), float(base), float(offset), int(genuine.size), int(impostor.size))
