"""One identity decision per person passing a gate camera, from the best crops of their track.

A track collects :class:`GateCrop` s (aligned face, quality report). :func:`decide_track` keeps
the crops that passed every quality gate, takes the ``best_crops`` best of them
(:attr:`GateCrop.rank`: sharpness, frontal-ness and freedom from dust), fuses their embeddings —
the mean of the L2-normalised embeddings, normalised again (template fusion, as
``Identifier(aggregate="mean-template")`` does for a gallery) — and asks the
:class:`~mineguard.faces.identify.Identifier` once, with its open-set threshold. Below it the
person is *unknown*, never the nearest miner. A track with no crop that passed is not decided and
says why (``all 7 crops too blurry``).

:class:`GateDecision` is the typed result; ``wire()`` is its ``POST /api/v1/events`` body
(``faces/events.py`` for identified and unknown faces; ``undecided_face`` otherwise).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

import numpy as np

from mineguard.faces.detect import FaceBox
from mineguard.faces.events import face_event
from mineguard.faces.gallery import l2_normalise
from mineguard.faces.identify import Identification, Identifier
from mineguard.faces.illumination import normalise_illumination
from mineguard.faces.quality import QualityReport
from mineguard.mine.headcount import Direction

Outcome = Literal["identified", "unknown", "undecided"]
#: How a failed quality gate reads in "all 7 crops too blurry".
REASON_WORDS = {
    "too_small": "too small",
    "too_dark": "too dark",
    "too_bright": "too bright",
    "flat": "without detail",
    "blurry": "too blurry",
    "not_frontal": "turned away",
    "dusty": "covered in dust",
}


class Embedder(Protocol):
    """``faces.embed.FaceEmbedder`` or any embedder of aligned crops: (N,) crops -> (N, D) float32."""

    def embed(self, faces: Sequence[np.ndarray]) -> np.ndarray: ...


@dataclass(frozen=True)
class GateCrop:
    """One face of a track in one frame. ``image``: (S, S) uint8 grey, eye line level; ``box``:
    where it was in the frame (px); ``quality``: its gates (pose and dust on)."""

    t: datetime
    image: np.ndarray
    box: FaceBox
    quality: QualityReport

    @property
    def rank(self) -> float:
        """Larger is better: sharpness (saturating at 4x the blur gate) x frontal-ness x dust-free share."""
        q = self.quality
        sharp = min(1.0, q.blur / max(4.0 * q.gates.min_blur, 1e-6))
        return sharp * (q.frontal if q.frontal is not None else 1.0) * (1.0 - (q.dust or 0.0))


@dataclass(frozen=True)
class GateDecision:
    """What a gate camera concluded about one track.

    Attributes:
        outcome: ``identified`` (``person_id`` set), ``unknown`` (nobody enrolled reached the
            threshold) or ``undecided`` (no usable crop; ``why`` says what was wrong).
        confidence: the fused cosine score clipped to [0, 1] (0 when undecided).
        score, nearest_id: the fused score and the best-matching person even when rejected.
        direction: "in" (towards the underground side), "out", or None when the track did not pass the line.
        t: when it was decided; ``first_seen``: the track's first frame.
        crops_seen / crops_used: faces of the track measured / fused.
        reasons: how many crops failed each quality gate.
        best_crop: the best aligned crop (evidence), None when the track had none.
    """

    camera: str
    zone: str
    track_id: int
    outcome: Outcome
    person_id: str | None
    confidence: float
    score: float | None
    nearest_id: str | None
    direction: Direction | None
    t: datetime
    first_seen: datetime
    crops_seen: int
    crops_used: int
    reasons: dict[str, int] = field(default_factory=dict)
    why: str | None = None
    best_crop: np.ndarray | None = None
    box: FaceBox | None = None

    @property
    def event_id(self) -> str:
        return f"{self.camera}:gate:{self.track_id}:{int(self.first_seen.timestamp() * 1000)}"

    def wire(self) -> dict[str, Any]:
        """The ``POST /api/v1/events`` body: ``face.identified`` / ``face.unknown_face`` (an unknown
        person at the gate) / ``face.undecided_face``, with direction, gate and crop counts."""
        extra = {
            "gate": self.camera,
            "track": self.track_id,
            "crops_seen": self.crops_seen,
            "crops_used": self.crops_used,
            "quality_reasons": self.reasons,
            "first_seen": self.first_seen.astimezone(UTC).isoformat(),
        }
        if self.outcome == "undecided":
            event: dict[str, Any] = {
                "source": "face",
                "label": "undecided_face",
                "t": self.t.astimezone(UTC).isoformat(),
                "device_id": self.camera,
                "zone_id": self.zone,
                "event_id": self.event_id,
                "attributes": {"why": self.why, **extra},
            }
            if self.direction is not None:
                event["attributes"]["direction"] = self.direction
            return event
        result = Identification(self.person_id, float(self.score or 0.0), self.nearest_id)
        event = face_event(
            result,
            t=self.t,
            device_id=self.camera,
            zone_id=self.zone,
            box=self.box,
            event_id=self.event_id,
            direction=self.direction,
        )
        event["attributes"].update(extra)
        return event


@dataclass(frozen=True)
class TrackVerdict:
    """:func:`decide_track`'s answer before it is dressed as a :class:`GateDecision`."""

    outcome: Outcome
    identification: Identification | None
    used: tuple[GateCrop, ...]
    reasons: dict[str, int]
    why: str | None


def why_undecided(first_reasons: Counter[str], crops: int) -> str:
    """``all 7 crops too blurry`` / ``all 7 crops failed: 4 too blurry, 3 turned away`` / ``no face crop``,
    from the first failed gate of each of ``crops`` crops."""
    if not crops:
        return "no face crop"
    if len(first_reasons) == 1:
        (reason,) = first_reasons
        return f"all {crops} crops {REASON_WORDS.get(reason, reason)}"
    parts = ", ".join(f"{n} {REASON_WORDS.get(r, r)}" for r, n in first_reasons.most_common())
    return f"all {crops} crops failed: {parts}"


def decide_track(
    crops: Sequence[GateCrop], *, embedder: Embedder, identifier: Identifier, best_crops: int = 5
) -> TrackVerdict:
    """Fuse the ``best_crops`` best crops that passed their gates and identify once (module docstring)."""
    if best_crops < 1:
        raise ValueError(f"best_crops must be >= 1, got {best_crops}")
    reasons = dict(Counter(r for c in crops for r in c.quality.reasons))
    usable = sorted((c for c in crops if c.quality.passed), key=lambda c: -c.rank)[:best_crops]
    if not usable:
        first = Counter(c.quality.reasons[0] for c in crops if c.quality.reasons)
        return TrackVerdict("undecided", None, (), reasons, why_undecided(first, len(crops)))
    light = getattr(embedder, "illumination", "none")  # the normalisation the network was trained with
    images = [c.image if light == "none" else normalise_illumination(c.image, light) for c in usable]
    embeddings = embedder.embed(images)
    fused = l2_normalise(l2_normalise(embeddings).mean(axis=0))
    identification = identifier.identify(fused)
    outcome: Outcome = "identified" if identification.is_known else "unknown"
    return TrackVerdict(outcome, identification, tuple(usable), reasons, None)
