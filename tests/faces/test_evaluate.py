"""The face evaluation harness: metric ranges, a perfect embedder's known answers, bad levels and real ORL faces."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from pathlib import Path

import cv2
import numpy as np
import pytest

from mineguard.faces.evaluate import FaceEvaluation, evaluate_faces
from mineguard.faces.pipeline import FacePreparer
from mineguard.faces.protocol import FaceProtocol, load_att_orl, make_protocol

DrawFace = Callable[..., np.ndarray]  # the ``draw_face`` fixture of tests/faces/conftest.py
EmbedFn = Callable[[Sequence[np.ndarray]], np.ndarray]
N_PEOPLE, N_IMAGES = 12, 10
METRICS = ("rank1", "precision", "recall", "f1", "false_accept_rate", "tar_at_far1")


def _person_face(draw_face: DrawFace, person: int, shot: int) -> np.ndarray:
    """A 96 px drawn face: skin tone, a mole and a hair band per person; noise and brightness per shot."""
    face = draw_face(96, seed=1000 * person + shot, skin=110 + 10 * person)
    rng = np.random.default_rng(person)
    cv2.circle(face, (int(rng.integers(30, 66)), int(rng.integers(55, 80))), 4 + person % 3, 30, -1)
    cv2.line(face, (20, 14 + person), (76, 14 + person), int(rng.integers(20, 250)), 3)
    return np.clip(face.astype(np.int16) + 2 * (shot - 5), 0, 255).astype(np.uint8)


def pixel_embed(faces: Sequence[np.ndarray]) -> np.ndarray:
    """A deterministic baseline: 16x16 thumbnails, mean removed, L2-normalised; (N, 256)."""
    x = np.stack([cv2.resize(f, (16, 16), interpolation=cv2.INTER_AREA).ravel() for f in faces]).astype(np.float64)
    x -= x.mean(axis=1, keepdims=True)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _crop_key(crop: np.ndarray) -> str:
    return hashlib.sha1(np.ascontiguousarray(crop).tobytes()).hexdigest()


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory, draw_face: DrawFace) -> Path:
    """m0..m11, 10 PNG faces each, in an ORL-style folder tree."""
    root = tmp_path_factory.mktemp("faces") / "miners"
    for person in range(N_PEOPLE):
        (root / f"m{person}").mkdir(parents=True)
        for shot in range(N_IMAGES):
            cv2.imwrite(str(root / f"m{person}" / f"{shot}.png"), _person_face(draw_face, person, shot))
    return root


@pytest.fixture(scope="module")
def protocol(generated: Path) -> FaceProtocol:
    """8 known people (5 enrol, 1 val, 4 test images), 2 + 2 unknown people."""
    return make_protocol(load_att_orl(generated), n_unknown=4, n_val_unknown=2, seed=0)


@pytest.fixture(scope="module")
def perfect_embed(generated: Path) -> EmbedFn:
    """One-hot of the true person, found by the hash of the prepared crop; unknown people get their own axis."""
    preparer = FacePreparer()
    person_of = {_crop_key(preparer.load(path).image): int(pid[1:]) for path, pid in load_att_orl(generated)}

    def embed(faces: Sequence[np.ndarray]) -> np.ndarray:
        return np.eye(N_PEOPLE, dtype=np.float32)[[person_of[_crop_key(f)] for f in faces]]

    return embed


def _check_ranges(result: FaceEvaluation, protocol: FaceProtocol) -> None:
    for name in METRICS:
        assert 0.0 <= getattr(result, name) <= 1.0, name
    assert math.isfinite(result.threshold)
    assert set(result.per_person) <= set(protocol.known_ids)
    for precision, miss in result.per_person.values():
        assert math.isnan(precision) or 0.0 <= precision <= 1.0  # nan: a person nobody was named as
        assert 0.0 <= miss <= 1.0


@pytest.mark.parametrize("level", ["none", "heavy"])
def test_metrics_are_rates(protocol: FaceProtocol, level: str) -> None:
    result = evaluate_faces(protocol, pixel_embed, level=level)
    assert isinstance(result, FaceEvaluation) and result.level == level
    _check_ranges(result, protocol)
    assert result.to_dict()["rank1"] == result.rank1
    if level == "none":
        assert result.rank1 >= 0.8  # each generated person has a skin tone, a mole and a hair band of their own


def test_same_seed_same_result(protocol: FaceProtocol) -> None:
    assert evaluate_faces(protocol, pixel_embed, level="light", seed=3) == evaluate_faces(
        protocol, pixel_embed, level="light", seed=3
    )


def test_perfect_embedder_scores_one(protocol: FaceProtocol, perfect_embed: EmbedFn) -> None:
    result = evaluate_faces(protocol, perfect_embed)
    assert result.rank1 == result.precision == result.recall == result.f1 == 1.0
    assert result.false_accept_rate == 0.0 and result.tar_at_far1 == 1.0
    assert 0.0 < result.threshold <= 1.0  # between the unknowns (0) and the genuine matches (1)
    assert result.per_person == {pid: (1.0, 0.0) for pid in protocol.known_ids}


def test_root_rebases_the_protocol(
    tmp_path: Path, protocol: FaceProtocol, generated: Path, perfect_embed: EmbedFn
) -> None:
    elsewhere = FaceProtocol.from_json(protocol.to_json(), root=tmp_path / "not-here")
    result = evaluate_faces(elsewhere, perfect_embed, root=generated)
    assert result.rank1 == result.f1 == result.tar_at_far1 == 1.0


def test_invalid_level(protocol: FaceProtocol) -> None:
    def never(faces: Sequence[np.ndarray]) -> np.ndarray:
        raise AssertionError("nothing should be embedded for a bad level")

    with pytest.raises(ValueError, match="dust level must be one of none, light, heavy, got 'medium'"):
        evaluate_faces(protocol, never, level="medium")


# --- real data ----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def orl_protocol(shared_data: Path) -> FaceProtocol:
    """The default open-set split of the real ORL faces (skipped, via ``shared_data``, without ``../shared``)."""
    return make_protocol(load_att_orl(shared_data / "faces" / "att_orl"), seed=0)


@pytest.fixture(scope="module")
def orl_clean(orl_protocol: FaceProtocol) -> FaceEvaluation:
    return evaluate_faces(orl_protocol, pixel_embed, level="none")


@pytest.mark.slow
def test_pixel_baseline_on_att_orl(orl_protocol: FaceProtocol, orl_clean: FaceEvaluation) -> None:
    _check_ranges(orl_clean, orl_protocol)
    assert orl_clean.rank1 > 0.7  # nearest neighbour on thumbnails: 0.89 with seed 0


@pytest.mark.slow
def test_heavy_dust_does_not_help_on_att_orl(orl_protocol: FaceProtocol, orl_clean: FaceEvaluation) -> None:
    heavy = evaluate_faces(orl_protocol, pixel_embed, level="heavy")
    _check_ranges(heavy, orl_protocol)
    assert heavy.tar_at_far1 <= orl_clean.tar_at_far1  # 0.51 vs 0.78 with seed 0
