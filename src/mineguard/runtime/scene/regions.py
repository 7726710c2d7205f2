"""Regions drawn on a camera's picture: where entry is forbidden, where dwelling is watched, where a
machine can reach a person.

A region is a polygon in the camera's pixel coordinates, as written in the site file under the
camera's ``view``. A person is *in* a region when the bottom centre of their box (where the feet
are) is inside it or on its edge.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

RegionKind = Literal["restricted", "watch", "danger"]
REGION_KINDS: tuple[RegionKind, ...] = ("restricted", "watch", "danger")


class SceneError(ValueError):
    """A camera's view or rules that cannot be used; the message names the camera and the field."""


@dataclass(frozen=True)
class Region:
    """``restricted``: entering raises ``restricted_entry``; ``watch``: staying raises ``loitering``;
    ``danger``: a person inside raises ``person_in_danger_area`` (a site rule joins it with the
    machine's running state). ``zone`` is the twin zone the region shows, when not the camera's."""

    name: str
    kind: RegionKind
    polygon: tuple[tuple[float, float], ...]
    zone: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in REGION_KINDS:
            raise SceneError(f"region {self.name!r}: kind must be one of {', '.join(REGION_KINDS)}, got {self.kind!r}")
        points = np.asarray(self.polygon, dtype=np.float64)
        if points.ndim != 2 or points.shape[1] != 2 or len(points) < 3:
            raise SceneError(f"region {self.name!r}: polygon needs at least 3 [x, y] points, got {self.polygon!r}")
        if not np.isfinite(points).all():
            raise SceneError(f"region {self.name!r}: polygon has a point that is not a finite number")
        if abs(cv2.contourArea(points.astype(np.float32))) < 1.0:
            raise SceneError(f"region {self.name!r}: polygon has no area (are the points on one line?)")

    def contains(self, x: float, y: float) -> bool:
        contour = np.asarray(self.polygon, dtype=np.float32).reshape(-1, 1, 2)
        return cv2.pointPolygonTest(contour, (float(x), float(y)), False) >= 0

    def check_frame(self, camera: str, width: int, height: int) -> None:
        """A :class:`SceneError` when a vertex lies outside a ``width`` x ``height`` picture."""
        for i, (x, y) in enumerate(self.polygon):
            if not (0 <= x <= width and 0 <= y <= height):
                raise SceneError(
                    f"camera {camera!r}: view.regions[{self.name}].polygon[{i}] = [{x}, {y}] is outside the "
                    f"{width}x{height} picture — draw the region inside the frame"
                )


def foot_point(xyxy: np.ndarray) -> tuple[float, float]:
    """Bottom centre of an (x1, y1, x2, y2) box: where a standing person touches the floor."""
    x1, _, x2, y2 = (float(v) for v in xyxy)
    return (x1 + x2) / 2.0, y2
