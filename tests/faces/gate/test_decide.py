"""One decision per track: the best crops fused against the open-set threshold; known answers."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import numpy as np
import pytest

from mineguard.faces.detect import FaceBox
from mineguard.faces.gallery import MemoryGallery
from mineguard.faces.gate import GateCrop, GateDecision, decide_track, why_undecided
from mineguard.faces.identify import Identifier
from mineguard.faces.quality import QualityGates, QualityReport

T = datetime(2026, 12, 5, 6, 0, tzinfo=UTC)
GATES = QualityGates(min_frontal=0.5, max_dust=0.25)


class PixelEmbedder:
    """Reads a crop's embedding from its first row (a known answer instead of a network)."""

    def embed(self, faces: list[np.ndarray]) -> np.ndarray:
        return np.array([f[0, :3].astype(np.float32) for f in faces])


def crop(vector: tuple[int, int, int], *, blur: float = 200.0, reasons: tuple[str, ...] = ()) -> GateCrop:
    image = np.zeros((112, 112), np.uint8)
    image[0, :3] = vector
    report = QualityReport(112, 112, 100.0, 40.0, blur, reasons, not reasons, GATES, None, 1.0, 0.0)
    return GateCrop(T, image, FaceBox(10, 10, 90, 90, 1.0), report)


@pytest.fixture
def identifier() -> Identifier:
    gallery = MemoryGallery()
    gallery.add("miner-001", np.array([[1.0, 0.0, 0.0]]))
    gallery.add("miner-002", np.array([[0.0, 1.0, 0.0]]))
    return Identifier(gallery, threshold=0.9)


def test_fused_crops_identify_the_enrolled_person(identifier: Identifier) -> None:
    crops = [crop((200, 30, 0)), crop((200, 0, 30)), crop((200, 10, 10)), crop((0, 200, 0), reasons=("blurry",))]
    verdict = decide_track(crops, embedder=PixelEmbedder(), identifier=identifier, best_crops=5)
    assert verdict.outcome == "identified" and verdict.identification.person_id == "miner-001"
    assert len(verdict.used) == 3 and verdict.reasons == {"blurry": 1}  # the failed crop is not fused


def test_only_the_best_k_crops_are_fused(identifier: Identifier) -> None:
    sharp = [crop((200, 20, 0), blur=300.0) for _ in range(2)]
    soft = [crop((0, 0, 200), blur=41.0) for _ in range(3)]  # pass, but barely sharp: ranked last
    verdict = decide_track(sharp + soft, embedder=PixelEmbedder(), identifier=identifier, best_crops=2)
    assert verdict.outcome == "identified" and all(c.quality.blur == 300.0 for c in verdict.used)


def test_a_stranger_is_unknown_never_the_nearest_miner(identifier: Identifier) -> None:
    crops = [crop((150, 150, 120)) for _ in range(4)]  # cosine 0.62 with both miners, below 0.9
    verdict = decide_track(crops, embedder=PixelEmbedder(), identifier=identifier)
    assert verdict.outcome == "unknown" and verdict.identification.person_id is None


def test_no_usable_crop_says_why(identifier: Identifier) -> None:
    crops = [crop((200, 0, 0), blur=5.0, reasons=("blurry",)) for _ in range(7)]
    verdict = decide_track(crops, embedder=PixelEmbedder(), identifier=identifier)
    assert verdict.outcome == "undecided" and verdict.why == "all 7 crops too blurry"
    assert (
        why_undecided(Counter({"blurry": 4, "not_frontal": 3}), 7) == "all 7 crops failed: 4 too blurry, 3 turned away"
    )
    assert why_undecided(Counter(), 0) == "no face crop"


def test_decisions_go_out_as_platform_events() -> None:
    common = dict(camera="cam-surface-gate", zone="surface_gate", track_id=3, t=T, first_seen=T, crops_seen=7)
    known = GateDecision(
        **common,
        outcome="identified",
        person_id="miner-001",
        confidence=0.93,
        score=0.93,
        nearest_id="miner-001",
        direction="in",
        crops_used=5,
        box=FaceBox(1, 2, 30, 30),
    )
    wire = known.wire()
    assert (wire["source"], wire["label"], wire["asset_id"], wire["zone_id"]) == (
        "face",
        "identified",
        "miner-001",
        "surface_gate",
    )
    assert wire["attributes"]["direction"] == "in" and wire["attributes"]["crops_used"] == 5
    assert wire["event_id"] == known.event_id
    stranger = GateDecision(
        **common,
        outcome="unknown",
        person_id=None,
        confidence=0.6,
        score=0.6,
        nearest_id="miner-002",
        direction="in",
        crops_used=5,
    ).wire()
    assert stranger["label"] == "unknown_face" and "asset_id" not in stranger
    blurry = GateDecision(
        **common,
        outcome="undecided",
        person_id=None,
        confidence=0.0,
        score=None,
        nearest_id=None,
        direction="in",
        crops_used=0,
        reasons={"blurry": 7},
        why="all 7 crops too blurry",
    ).wire()
    assert blurry["label"] == "undecided_face" and blurry["attributes"]["why"] == "all 7 crops too blurry"
