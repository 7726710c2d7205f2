"""The gate pipeline on real faces: att_orl faces pasted moving across a frame of the underground clip
(tests/support/gate_sequences.py). One decision per person passing and the direction from the line.
Skips without ../shared."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
import torch

from gate_sequences import LINE_Y, WIDTH, background, down, orl_faces, walk
from mineguard.faces.embed import FaceEmbedder
from mineguard.faces.gallery import MemoryGallery
from mineguard.faces.gate import GateSettings, GateWatch
from mineguard.faces.identify import Identifier
from mineguard.models import get_model
from mineguard.runtime.scene.gate_line import GateLine
from mineguard.runtime.video import Frame

pytestmark = pytest.mark.usefixtures("one_torch_thread")
T0 = datetime(2026, 12, 5, 6, 0, tzinfo=UTC)


class StillReader:
    """The frames are handed to ``judge_frame`` here; ``close`` only stops the reader."""

    def stop(self, error: str | None = None) -> None:
        self.error = error


@pytest.fixture(scope="module")
def scene(shared_data: Path) -> np.ndarray:
    return background(shared_data)


@pytest.fixture(scope="module")
def embedder() -> FaceEmbedder:
    torch.manual_seed(0)  # an untrained width-0.125 DSR-Inception: these tests judge tracks, not identities
    return FaceEmbedder(get_model("dsr-inception", num_classes=3, in_channels=1, width=0.125), img_size=64)


def run(frames: list[np.ndarray], embedder: FaceEmbedder) -> list:
    gallery = MemoryGallery()
    gallery.add("miner-001", np.ones(embedder.dim, np.float32))
    line = GateLine((0.0, LINE_Y), (float(WIDTH), LINE_Y), (WIDTH / 2, 390.0))
    watch = GateWatch(
        "cam-surface-gate",
        "surface_gate",
        StillReader(),
        GateSettings(line),
        embedder,
        Identifier(gallery, threshold=0.99),
    )
    decisions = []
    for i, rgb in enumerate(frames):
        frame = Frame("cam-surface-gate", i, T0 + timedelta(seconds=i / 10), rgb)
        decisions += watch.judge_frame(frame, watch.detector.predict(rgb), 0.0, 0.0).events
    return decisions + watch.close()


def test_one_decision_per_person_walking_in(shared_data: Path, scene: np.ndarray, embedder: FaceEmbedder) -> None:
    decisions = run(walk(scene, orl_faces(shared_data, "s1", [6, 7, 8, 9, 10]), down(16)), embedder)
    assert len(decisions) == 1
    [d] = decisions
    assert d.direction == "in" and d.outcome in ("identified", "unknown") and d.crops_used >= 1
    assert d.best_crop is not None and d.best_crop.shape == (112, 112) and d.crops_seen >= d.crops_used


def test_walking_up_is_out(shared_data: Path, scene: np.ndarray, embedder: FaceEmbedder) -> None:
    decisions = run(walk(scene, orl_faces(shared_data, "s1", [6, 7, 8, 9, 10]), down(16, 260.0, 40.0)), embedder)
    assert [d.direction for d in decisions] == ["out"]
