"""Open-set identification (1:N) and verification (1:1) of miners against a face gallery.

Scores are cosine similarities of L2-normalised embeddings, in [-1, 1]. A probe is given the
name of its best-matching enrolled person only when that score is >= the threshold; otherwise it
is *unknown* (``person_id=None``) — a visitor or an unenrolled worker is never forced onto the
nearest miner. Thresholds are chosen on validation data with :func:`choose_threshold` (1:1) or
:func:`choose_open_set_threshold` (1:N), never on the test probes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from mineguard.evaluation.faces import threshold_at_far
from mineguard.faces.gallery import GalleryStore, l2_normalise

Aggregate = Literal["max", "mean-template"]


@dataclass(frozen=True)
class Identification:
    """Result of one 1:N query.

    ``person_id`` is the accepted identity or ``None`` (unknown). ``nearest_id`` and ``score`` are
    the best match even when it was rejected (``None`` / ``-inf`` for an empty gallery);
    ``runner_up`` is the second-best *person* and ``margin`` = score - runner-up score (both
    ``None`` with fewer than two people enrolled).
    """

    person_id: str | None
    score: float
    nearest_id: str | None
    runner_up: str | None = None
    runner_up_score: float | None = None
    margin: float | None = None

    @property
    def is_known(self) -> bool:
        return self.person_id is not None


@dataclass(frozen=True)
class Verification:
    """Result of one 1:1 query: is the probe ``person_id``?"""

    person_id: str
    accepted: bool
    score: float


class Identifier:
    """Identify probes against a :class:`~mineguard.faces.gallery.GalleryStore`.

    Args:
        gallery: enrolled embeddings; read on every call, so enrolment and erasure apply at once.
        threshold: cosine similarity a best match must reach to be accepted.
        aggregate: how a person's several embeddings become one score — ``"max"`` (best single
            enrolment image; robust to one bad photo of the probe's pose) or ``"mean-template"``
            (cosine with the re-normalised mean of the person's embeddings; less sensitive to
            one lucky impostor match).
    """

    def __init__(self, gallery: GalleryStore, *, threshold: float, aggregate: Aggregate = "max") -> None:
        if aggregate not in ("max", "mean-template"):
            raise ValueError(f"aggregate must be 'max' or 'mean-template', got {aggregate!r}")
        if not math.isfinite(threshold):
            raise ValueError(f"threshold must be a finite cosine similarity, got {threshold}")
        self.gallery = gallery
        self.threshold = float(threshold)
        self.aggregate: Aggregate = aggregate

    def person_scores(self, probes: np.ndarray) -> tuple[np.ndarray, list[str]]:
        """Similarity of each probe to each enrolled person: (N, D) -> ((N, P) float32, P ids)."""
        rows, row_ids = self.gallery.embeddings()
        people = list(dict.fromkeys(row_ids))
        q = _probes(probes, dim=rows.shape[1] if len(rows) else None)
        if not people:
            return np.zeros((len(q), 0), dtype=np.float32), []
        position = {p: i for i, p in enumerate(people)}
        column = np.array([position[p] for p in row_ids])
        if self.aggregate == "max":
            grouped = np.argsort(column, kind="stable")  # rows of person 0, then person 1, ...
            starts = np.searchsorted(column[grouped], np.arange(len(people)))
            return np.maximum.reduceat(q @ rows[grouped].T, starts, axis=1), people
        templates = np.zeros((len(people), rows.shape[1]), dtype=np.float64)
        np.add.at(templates, column, rows)
        return q @ l2_normalise(templates).T, people

    def identify(self, embedding: np.ndarray) -> Identification:
        """Identify one probe embedding (D,) (normalised here)."""
        x = np.asarray(embedding)
        if x.ndim != 1:
            raise ValueError(f"identify takes one (D,) embedding, got shape {x.shape} — use identify_many")
        return self.identify_many(x[None, :])[0]

    def identify_many(self, embeddings: np.ndarray) -> list[Identification]:
        """Identify a batch of probes (N, D); one :class:`Identification` per row."""
        scores, people = self.person_scores(embeddings)
        if not people:
            return [Identification(None, float("-inf"), None) for _ in range(len(scores))]
        order = np.argsort(-scores, axis=1, kind="stable")
        results = []
        for row, rank in zip(scores, order, strict=True):
            best, score = people[rank[0]], float(row[rank[0]])
            second = (people[rank[1]], float(row[rank[1]])) if len(people) > 1 else (None, None)
            results.append(
                Identification(
                    person_id=best if score >= self.threshold else None,
                    score=score,
                    nearest_id=best,
                    runner_up=second[0],
                    runner_up_score=second[1],
                    margin=None if second[1] is None else score - second[1],
                )
            )
        return results

    def verify(self, embedding: np.ndarray, person_id: str) -> Verification:
        """1:1: is the probe (D,) the enrolled ``person_id``? Same score and threshold as 1:N."""
        scores, people = self.person_scores(np.asarray(embedding).reshape(1, -1))
        if person_id not in people:
            raise ValueError(f"person {person_id!r} is not enrolled — enrol them before verifying")
        score = float(scores[0, people.index(person_id)])
        return Verification(person_id=person_id, accepted=score >= self.threshold, score=score)


def choose_threshold(
    genuine_scores: Sequence[float] | np.ndarray, impostor_scores: Sequence[float] | np.ndarray, *, far: float = 0.01
) -> float:
    """Verification threshold from VALIDATION scores: the smallest one with false-accept rate <= ``far``.

    See :func:`mineguard.evaluation.faces.threshold_at_far` (ties: tied impostors are rejected
    together, so the achieved FAR may be below ``far``; the threshold is the next float above the
    highest rejected impostor score).
    """
    return threshold_at_far(genuine_scores, impostor_scores, far)


def choose_open_set_threshold(
    known_best_scores: Sequence[float] | np.ndarray,
    unknown_best_scores: Sequence[float] | np.ndarray,
    *,
    known_correct: Sequence[bool] | np.ndarray | None = None,
    criterion: Literal["f1", "far"] = "f1",
    far: float = 0.01,
) -> float:
    """Open-set threshold from VALIDATION probes' best-match scores.

    Args:
        known_best_scores: best score of each validation probe of an enrolled person.
        unknown_best_scores: best score of each validation probe of a person not enrolled.
        known_correct: whether each known probe's nearest person is the right one (default: all).
        criterion: ``"f1"`` (default) maximises open-set F1 (:func:`~mineguard.evaluation.faces.open_set_prf`)
            (precision = correct / accepted, recall = correct / known probes) over every observed
            score as threshold, taking the highest threshold among equal F1;
            ``"far"`` takes the smallest threshold accepting at most ``far`` of the unknown probes.

    F1 is the default because it is what seed 002 reports and it uses every validation probe:
    with a few unknown people (the att_orl protocol has 40 unknown validation probes) a 1 % FAR
    is below the resolution of the data (one probe is 2.5 %). Prefer ``"far"`` once a site has
    hundreds of unknown-person probes and a false-accept budget to meet.
    """
    known = np.asarray(known_best_scores, dtype=np.float64)
    unknown = np.asarray(unknown_best_scores, dtype=np.float64)
    if criterion == "far":
        return threshold_at_far(known, unknown, far)
    if criterion != "f1":
        raise ValueError(f"criterion must be 'f1' or 'far', got {criterion!r}")
    correct = np.ones(known.shape, bool) if known_correct is None else np.asarray(known_correct, dtype=bool)
    if known.size == 0 or correct.shape != known.shape:
        raise ValueError("need at least one known validation probe and one known_correct flag per probe")
    # Every observed score is a candidate threshold; a probe is accepted when its score >= t. A known
    # probe with the wrong nearest person is a false identification when accepted (hurts precision).
    candidates = np.unique(np.concatenate([known, unknown]))[::-1]  # descending
    accepted_sorted = np.sort(np.concatenate([known, unknown]))
    right_sorted = np.sort(known[correct])
    n_identified = accepted_sorted.size - np.searchsorted(accepted_sorted, candidates, side="left")
    n_correct = right_sorted.size - np.searchsorted(right_sorted, candidates, side="left")
    precision, recall = n_correct / n_identified, n_correct / known.size
    with np.errstate(invalid="ignore"):
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    return float(candidates[int(np.argmax(f1))])  # first maximum = highest threshold among ties


def _probes(probes: np.ndarray, *, dim: int | None) -> np.ndarray:
    q = np.asarray(probes, dtype=np.float64)
    if q.ndim != 2 or (dim is not None and q.shape[1] != dim):
        raise ValueError(f"probes must be (N, {dim or 'D'}) embeddings, got shape {q.shape}")
    if not np.isfinite(q).all():
        raise ValueError("probe embeddings contain NaN or infinity — check the network output")
    return l2_normalise(q)
