"""What a camera watches, as site data: its source, the regions drawn on its picture, and which
detector classes are events (the ``view`` of a camera device in the site file).

Example::

    devices:
      - id: cam-face-gate-1101
        kind: camera
        zone: face_gate_1101
        view:
          source: env:CAM_FACE_GATE_URL     # rtsp://user:pass@10.2.0.17/stream1 kept out of the file
          regions:
            - {name: belt_reach, kind: danger, polygon: [[400, 260], [640, 260], [640, 480], [400, 480]]}
          events:
            - {detector_class: no_helmet, label: no_helmet, min_confidence: 0.4}

``tiles: {cols: 2, rows: 2}`` has the detector look at overlapping parts of the picture too
(people far from a wide-angle camera are a few pixels at the model's input size), at the cost of
``cols * rows + 1`` inferences a frame.

A **gate camera** (``role: gate``) identifies the faces of the people passing a check-in gate
instead (``mineguard.faces.gate``): one identity decision per person, with the direction from the
track crossing ``gate.line`` (pixels) towards or away from ``gate.underground_side`` (any point of
the picture on the underground side)::

        view:
          source: env:CAM_LAMP_ROOM
          role: gate
          gate:
            line: [[0, 300], [640, 300]]
            underground_side: [320, 470]   # below the line is the way down
            hysteresis_px: 12              # jitter this close to the line changes nothing
            best_crops: 5                  # the K best-quality crops of a track are fused

Its events go to the camera's zone, which the site's ``headcount.gates`` should list.

``source`` is a stream URL, a video file, a folder of frames or a webcam index; ``env:NAME``
reads it from the environment when the camera starts, so passwords in camera URLs stay out of
the site file. Region polygons are pixels of the camera's picture; whether they fit inside it is
checked when the first frame arrives (the size is not known before).
"""

from __future__ import annotations

import os
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mineguard.mine.events import LABEL_PATTERN
from mineguard.mine.names import named_twice

Identifier = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
Seconds = Annotated[float, Field(ge=0, le=86_400, allow_inf_nan=False)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RegionConfig(_Strict):
    name: Identifier
    kind: Literal["restricted", "watch", "danger"]
    polygon: list[tuple[Annotated[float, Field(allow_inf_nan=False)], Annotated[float, Field(allow_inf_nan=False)]]] = (
        Field(min_length=3)
    )
    zone: Identifier | None = None  # the zone this part of the picture shows, when not the camera's


class ClassEventConfig(_Strict):
    detector_class: str = Field(min_length=1, max_length=64)
    label: str = Field(pattern=LABEL_PATTERN)
    min_confidence: float = Field(default=0.25, ge=0, le=1)


class TilesConfig(_Strict):
    """Sliced inference (``runtime/tiles.py``): the detector also sees ``cols`` x ``rows``
    overlapping tiles of the picture, for people too small in a wide view to find whole."""

    cols: int = Field(ge=1, le=8)
    rows: int = Field(ge=1, le=8)
    overlap: float = Field(default=0.2, ge=0, lt=0.9)


class TrackerConfig(_Strict):
    """Score thresholds of the camera's ByteTrack (``runtime/tracking``); the defaults are the
    paper's, for a strong person detector. A weaker detector (a PPE model on a far, dim view)
    needs lower ones, or its tracks never start."""

    track_thresh: float = Field(default=0.5, gt=0, le=1)
    low_thresh: float = Field(default=0.1, ge=0, le=1)
    new_track_thresh: float = Field(default=0.6, gt=0, le=1)

    @model_validator(mode="after")
    def _ordered(self) -> TrackerConfig:
        if not self.low_thresh <= self.track_thresh <= self.new_track_thresh:
            raise ValueError(
                f"tracker: need low_thresh <= track_thresh <= new_track_thresh, got "
                f"{self.low_thresh}, {self.track_thresh}, {self.new_track_thresh}"
            )
        return self


Pixel = Annotated[float, Field(ge=-100_000, le=100_000, allow_inf_nan=False)]


class GateConfig(_Strict):
    """The check-in line of a gate camera and how a track's identity is decided (``faces/gate``)."""

    line: tuple[tuple[Pixel, Pixel], tuple[Pixel, Pixel]]
    underground_side: tuple[Pixel, Pixel]
    hysteresis_px: float = Field(default=12.0, ge=0, le=1000)
    best_crops: int = Field(default=5, ge=1, le=50)
    min_face_px: int = Field(default=48, ge=16, le=1000)
    min_blur: float = Field(default=40.0, ge=0)
    min_frontal: float = Field(default=0.5, ge=0, le=1)
    max_dust: float = Field(default=0.25, ge=0, le=1)

    @model_validator(mode="after")
    def _line_and_side(self) -> GateConfig:
        (x1, y1), (x2, y2) = self.line
        length = ((x2 - x1) ** 2 + (y2 - y1) ** 2) ** 0.5
        if length < 1.0:
            raise ValueError(f"gate.line {[list(p) for p in self.line]} has two equal ends — draw it across the gate")
        px, py = self.underground_side
        distance = abs((x2 - x1) * (py - y1) - (y2 - y1) * (px - x1)) / length
        if distance <= self.hysteresis_px:
            raise ValueError(
                f"gate.underground_side {[px, py]} lies on the line (within hysteresis_px {self.hysteresis_px:g}) — "
                "give a point of the picture clearly on the underground side"
            )
        return self


class CameraView(_Strict):
    source: str | None = Field(default=None, min_length=1, max_length=2000)
    rtsp_transport: Literal["tcp", "udp"] = "tcp"
    fps: float = Field(default=10.0, gt=0, le=240)  # pace of a folder of frames
    regions: list[RegionConfig] = Field(default_factory=list)
    events: list[ClassEventConfig] = Field(default_factory=list)
    person_classes: list[str] = Field(default_factory=lambda: ["person", "helmet", "no_helmet", "head"])
    raise_s: Seconds = 1.0
    clear_s: Seconds = 3.0
    loiter_s: Seconds = 60.0
    clip_s: Seconds = 5.0
    tiles: TilesConfig | None = None
    tracker: TrackerConfig = Field(default_factory=TrackerConfig)
    role: Literal["scene", "gate"] = "scene"
    gate: GateConfig | None = None

    @field_validator("regions")
    @classmethod
    def _unique_names(cls, regions: list[RegionConfig]) -> list[RegionConfig]:
        twice = named_twice(r.name for r in regions)
        if twice:
            raise ValueError(f"region name(s) {', '.join(twice)} used twice — give each region its own name")
        return regions

    @model_validator(mode="after")
    def _gate_needs_a_line(self) -> CameraView:
        if self.role == "gate" and self.gate is None:
            raise ValueError(
                "role: gate needs 'gate: {line: [[x1, y1], [x2, y2]], underground_side: [x, y]}' — the check-in "
                "line in picture pixels and a point on its underground side"
            )
        if self.role != "gate" and self.gate is not None:
            raise ValueError("'gate' is only for a gate camera — add 'role: gate' or remove 'gate'")
        if self.role == "gate" and (self.regions or self.events):
            raise ValueError("a gate camera identifies faces; its 'regions' and 'events' would never run — remove them")
        return self

    @model_validator(mode="after")
    def _env_source_is_a_name(self) -> CameraView:
        if self.source and self.source.startswith("env:") and not self.source[4:].isidentifier():
            raise ValueError(f"source {self.source!r}: after 'env:' give an environment variable name")
        return self

    def resolved_source(self, camera: str) -> str:
        """The source to open: ``env:NAME`` read from the environment now (a clear error when unset)."""
        if not self.source:
            raise ValueError(
                f"camera {camera!r}: no view.source in the site file — add one or pass --camera {camera}=SOURCE"
            )
        if not self.source.startswith("env:"):
            return self.source
        value = os.environ.get(self.source[4:])
        if not value:
            raise ValueError(f"camera {camera!r}: view.source names ${self.source[4:]}, which is not set")
        return value
