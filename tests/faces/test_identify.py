"""Open-set identification and verification on synthetic embedding clusters."""

from __future__ import annotations

import numpy as np
import pytest

from mineguard.evaluation.faces import open_set_prf
from mineguard.faces.gallery import MemoryGallery, l2_normalise
from mineguard.faces.identify import (
    Identifier,
    choose_open_set_threshold,
    choose_threshold,
)

D = 16
PEOPLE = ["XW-01", "XW-02", "XW-03"]


@pytest.fixture
def clusters() -> tuple[MemoryGallery, np.ndarray]:
    """Three people, each 4 embeddings near an orthogonal centre (basis vectors 0, 1, 2)."""
    rng = np.random.default_rng(0)
    centres = np.eye(D)[: len(PEOPLE)]
    gallery = MemoryGallery()
    for person, centre in zip(PEOPLE, centres, strict=True):
        gallery.add(person, centre + 0.05 * rng.normal(size=(4, D)))
    return gallery, centres


def test_l2_normalise() -> None:
    np.testing.assert_allclose(l2_normalise(np.array([[3.0, 4.0], [0.0, 0.0]])), [[0.6, 0.8], [0.0, 0.0]])


@pytest.mark.parametrize("aggregate", ["max", "mean-template"])
def test_known_probe_is_identified(clusters: tuple[MemoryGallery, np.ndarray], aggregate: str) -> None:
    gallery, centres = clusters
    result = Identifier(gallery, threshold=0.7, aggregate=aggregate).identify(2.0 * centres[1])  # unnormalised
    assert result.person_id == "XW-02" and result.is_known and result.nearest_id == "XW-02"
    assert 0.9 < result.score <= 1.0
    assert result.runner_up in {"XW-01", "XW-03"}
    assert result.margin == pytest.approx(result.score - result.runner_up_score)
    assert result.margin > 0.8


@pytest.mark.parametrize("aggregate", ["max", "mean-template"])
def test_unknown_probe_is_not_forced_onto_nearest(clusters: tuple[MemoryGallery, np.ndarray], aggregate: str) -> None:
    gallery, _ = clusters
    stranger = np.eye(D)[10] + 0.1 * np.eye(D)[0]  # slightly closer to XW-01 than to anyone else
    result = Identifier(gallery, threshold=0.7, aggregate=aggregate).identify(stranger)
    assert result.person_id is None and not result.is_known
    assert result.nearest_id == "XW-01" and result.score < 0.7


def test_identify_many_and_max_vs_mean_template() -> None:
    gallery = MemoryGallery()
    gallery.add("a", np.array([[1.0, 0.0], [0.0, 1.0]]))  # mean template (1, 1)/sqrt 2
    gallery.add("b", np.array([[0.6, 0.8]]))
    probe = np.array([[1.0, 0.0], [0.0, 1.0]])
    max_scores, people = Identifier(gallery, threshold=0.5).person_scores(probe)
    mean_scores, _ = Identifier(gallery, threshold=0.5, aggregate="mean-template").person_scores(probe)
    assert people == ["a", "b"]
    np.testing.assert_allclose(max_scores, [[1.0, 0.6], [1.0, 0.8]], atol=1e-6)
    np.testing.assert_allclose(mean_scores, [[0.5**0.5, 0.6], [0.5**0.5, 0.8]], atol=1e-6)
    results = Identifier(gallery, threshold=0.75, aggregate="mean-template").identify_many(probe)
    assert [r.person_id for r in results] == [None, "b"]


def test_single_person_and_empty_gallery() -> None:
    gallery = MemoryGallery()
    empty = Identifier(gallery, threshold=0.5).identify(np.ones(4))
    assert empty.person_id is None and empty.nearest_id is None and empty.score == float("-inf")
    gallery.add("a", np.ones((1, 4)))
    only = Identifier(gallery, threshold=0.5).identify(np.ones(4))
    assert only.person_id == "a" and only.runner_up is None and only.margin is None


def test_bad_probes_and_settings(clusters: tuple[MemoryGallery, np.ndarray]) -> None:
    gallery, _ = clusters
    identifier = Identifier(gallery, threshold=0.5)
    with pytest.raises(ValueError, match="identify_many"):
        identifier.identify(np.ones((2, D)))
    with pytest.raises(ValueError, match=r"\(N, 16\)"):
        identifier.identify(np.ones(D + 1))
    with pytest.raises(ValueError, match="NaN"):
        identifier.identify(np.full(D, np.nan))
    with pytest.raises(ValueError, match="aggregate"):
        Identifier(gallery, threshold=0.5, aggregate="median")  # type: ignore[arg-type]


def test_verify(clusters: tuple[MemoryGallery, np.ndarray]) -> None:
    gallery, centres = clusters
    identifier = Identifier(gallery, threshold=0.7)
    yes = identifier.verify(centres[0], "XW-01")
    no = identifier.verify(centres[0], "XW-02")
    assert yes.accepted and yes.score > 0.9
    assert not no.accepted and no.score < 0.3
    with pytest.raises(ValueError, match="not enrolled"):
        identifier.verify(centres[0], "nobody")


def test_threshold_at_one_percent_far_known_answer() -> None:
    impostor = np.arange(100) / 100  # 0.00 .. 0.99
    genuine = [0.5, 0.985, 0.99, 1.0]
    threshold = choose_threshold(genuine, impostor, far=0.01)
    assert 0.98 < threshold <= np.nextafter(0.98, 1.0)  # the smallest threshold rejecting 0.98
    assert (impostor >= threshold).sum() == 1  # FAR = 1 %, exactly the target


def test_threshold_ties_reject_the_whole_tie() -> None:
    impostor = [0.1] * 97 + [0.9, 0.9, 0.9]  # 1 % allowed = 1 impostor, but three tie at 0.9
    threshold = choose_threshold([0.95], impostor, far=0.01)
    assert 0.9 < threshold < 0.9 + 1e-12
    assert choose_threshold([0.95], impostor, far=0.03) == pytest.approx(0.1, abs=1e-12)  # 3 % lets the tie in


def test_open_set_threshold_f1_known_answer() -> None:
    known = [0.9, 0.8, 0.7, 0.4]
    unknown = [0.75, 0.3, 0.2]
    # t=0.7: 3 correct of 4 accepted -> P 0.75, R 0.75; t=0.8: P 1, R 0.5 -> F1 0.667; t=0.4: P 4/5, R 1 -> 0.889
    assert choose_open_set_threshold(known, unknown) == pytest.approx(0.4)
    assert choose_open_set_threshold(known, unknown, known_correct=[True, True, True, False]) == pytest.approx(0.7)
    assert choose_open_set_threshold(known, unknown, criterion="far", far=0.0) == pytest.approx(0.75, abs=1e-12)


def test_open_set_threshold_agrees_with_open_set_prf() -> None:
    rng = np.random.default_rng(3)
    known, unknown = rng.uniform(0.3, 1.0, 40), rng.uniform(0.0, 0.7, 30)
    correct = rng.uniform(size=40) > 0.1
    truths = [("k" if c else "z") for c in correct] + [None] * 30

    def f1(t: float) -> float:
        preds = ["k" if s >= t else None for s in np.concatenate([known, unknown])]
        return open_set_prf(preds, truths).f1

    best = choose_open_set_threshold(known, unknown, known_correct=correct)
    assert f1(best) == pytest.approx(max(f1(t) for t in np.concatenate([known, unknown])))
