"""The ``open_pit:`` section of a site file: the permit boundary and the change thresholds of a
surface mine watched from satellite scenes (seed 004 §5.2; issue #20).

::

    open_pit:
      zone: pit                       # the zone whose rules see the findings (terrain.<label> signals)
      crs: EPSG:32633                 # the CRS of the site's scenes; the polygon is in its units (metres)
      permit:
        name: Strzegom granite quarry, licence 12/2019
        polygon: [[587570, 5649000], [588250, 5649000], [588250, 5648560], [587570, 5648560]]
      thresholds:
        probability: 0.8              # a pixel is disturbed at or above this open-pit probability
        new_patch_min_ha: 0.5         # a new disturbed patch is reported from this size up
        growth_beyond_permit_min_ha: 0.1
      bands: {names: [B02, B03, B04, B05, B06, B07, B08, B8A, B11, B12], scale: 0.0001, nodata: 0}

The domain only checks the shape of the data (a polygon of three or more distinct points with an
area, a CRS written ``EPSG:<code>``, thresholds in range); whether a scene is in the same CRS is
checked when the scene is read (``mineguard.terrain.change.ChangeRules.for_scene``).
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

CRS_PATTERN = re.compile(r"^EPSG:\d{4,6}$")
Identifier = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
XY = tuple[float, float]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def polygon_area(points: list[XY] | tuple[XY, ...]) -> float:
    """Unsigned shoelace area of a closed ring (the first point is not repeated), in CRS units²."""
    twice = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(points, [*points[1:], points[0]], strict=True))
    return abs(twice) / 2.0


class PermitBoundary(_Strict):
    """The area the mining permit allows, as a polygon of (x, y) in the ``open_pit.crs`` coordinates."""

    name: str | None = None
    polygon: list[XY]

    @field_validator("polygon")
    @classmethod
    def _a_ring(cls, points: list[XY]) -> list[XY]:
        if len(points) >= 2 and points[0] == points[-1]:
            points = points[:-1]  # a closed ring as GIS tools write it
        if len({tuple(p) for p in points}) < 3:
            raise ValueError(
                f"a permit polygon needs at least 3 distinct (x, y) points, got {len(points)} — "
                "list the corners of the permitted area in the scene's CRS"
            )
        if polygon_area(points) <= 0:
            raise ValueError("the permit polygon has no area (its points lie on a line) — check the corners")
        return points


class OpenPitThresholds(_Strict):
    """When the maps say something changed: probability → disturbed, and the sizes worth an alert."""

    probability: float = Field(0.8, gt=0, lt=1, description="a pixel is disturbed at or above this (seed 004: 0.8)")
    new_patch_min_ha: float = Field(0.5, ge=0, description="report a new disturbed patch from this size up")
    growth_beyond_permit_min_ha: float = Field(0.1, ge=0, description="report growth outside the permit from this")


class SceneBands(_Strict):
    """How the site's scenes are read: band names in the model's order, scale to reflectance, nodata.
    Left out, the reader's defaults hold (Sentinel-2's ten 10/20 m bands, 1/10000, nodata 0)."""

    names: list[str] | None = Field(None, min_length=1)
    scale: float | None = Field(None, gt=0)
    nodata: float | None = None


class OpenPitConfig(_Strict):
    zone: Identifier
    crs: str
    permit: PermitBoundary
    thresholds: OpenPitThresholds = OpenPitThresholds()
    bands: SceneBands = SceneBands()

    @field_validator("crs")
    @classmethod
    def _epsg(cls, crs: str) -> str:
        if not CRS_PATTERN.match(crs.upper()):
            raise ValueError(f"{crs!r} is not a CRS code — write it as EPSG:<code>, e.g. EPSG:32633 (UTM 33N)")
        return crs.upper()
