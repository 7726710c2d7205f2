"""How the disturbed (open-pit) area changes from one dated map to the next, and what is worth an alert.

:func:`disturbed_history` is the area per date; :func:`change_between` compares two maps of the
same grid over the pixels valid in both (``gained``: disturbed after, not before; ``lost``: the
reverse, e.g. reclaimed land). :func:`find_changes` turns a change into :class:`Finding` s with the
site's thresholds (:class:`ChangeRules`, from the site file's ``open_pit:`` section):

- ``growth_beyond_permit`` — the gained pixels outside the permit polygon that belong to the pit
  (a disturbed patch of the later map reaching into the polygon), together, when they reach
  ``growth_beyond_permit_min_ha``; a scene also covers the neighbours' quarries, whose growth is
  no breach of this permit;
- ``new_disturbed_patch`` — each 8-connected patch of gained pixels of at least ``new_patch_min_ha``.

A finding carries its hectares, its centroid in the scene's CRS and the two dates.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

import numpy as np

from mineguard.mine.open_pit import OpenPitConfig
from mineguard.terrain.mapping import ProbabilityMap, area_ha, disturbed
from mineguard.terrain.raster import BandConfig, TerrainDataError

FindingKind = Literal["growth_beyond_permit", "new_disturbed_patch"]
Transform = tuple[float, float, float, float, float, float]


@dataclass(frozen=True)
class ChangeRules:
    """The thresholds and the permit polygon ((x, y) in ``crs``) a change is judged by."""

    probability: float = 0.8
    new_patch_min_ha: float = 0.5
    growth_beyond_permit_min_ha: float = 0.1
    permit: tuple[tuple[float, float], ...] = ()
    crs: str | None = None

    @classmethod
    def from_site(cls, config: OpenPitConfig) -> ChangeRules:
        t = config.thresholds
        polygon = tuple((float(x), float(y)) for x, y in config.permit.polygon)
        return cls(t.probability, t.new_patch_min_ha, t.growth_beyond_permit_min_ha, polygon, config.crs)

    def check_crs(self, pmap: ProbabilityMap, source: str = "open_pit.crs") -> None:
        """The permit polygon must be in the map's CRS: an error naming the site field otherwise."""
        if self.crs is None or not self.permit:
            return
        pmap.require_georeference()
        if pmap.crs is not None and pmap.crs.upper() != self.crs.upper():
            raise TerrainDataError(
                f"{source} is {self.crs} but {pmap.path} is in {pmap.crs} — give the permit polygon in the "
                "scene's CRS (or reproject the scene)"
            )


def band_config(config: OpenPitConfig) -> BandConfig:
    """How the site's scenes are read (the reader's defaults for what the site leaves out)."""
    bands, default = config.bands, BandConfig()
    return BandConfig(
        tuple(bands.names) if bands.names else default.bands,
        bands.scale if bands.scale is not None else default.scale,
        bands.nodata if "nodata" in bands.model_fields_set else default.nodata,
    )


@dataclass(frozen=True)
class Change:
    """``gained`` / ``lost`` (H, W) bool between ``before`` and ``after``, and their hectares."""

    before: date | None
    after: date | None
    gained: np.ndarray
    lost: np.ndarray
    gained_ha: float
    lost_ha: float


@dataclass(frozen=True)
class Finding:
    kind: FindingKind
    hectares: float
    centroid: tuple[float, float]  # (x, y) in ``crs`` (pixel (col, row) centres when not georeferenced)
    crs: str | None
    before: date | None
    after: date | None

    def to_json(self) -> dict:
        return {
            "kind": self.kind,
            "hectares": round(self.hectares, 4),
            "centroid": [round(v, 2) for v in self.centroid],
            "crs": self.crs,
            "before": self.before.isoformat() if self.before else None,
            "after": self.after.isoformat() if self.after else None,
        }


def disturbed_history(maps: Sequence[ProbabilityMap], threshold: float) -> list[tuple[date | None, float]]:
    """(date, disturbed hectares) per map, in date order."""
    return [(m.taken, area_ha(disturbed(m.probs, threshold), m)) for m in by_date(maps)]


def by_date(maps: Sequence[ProbabilityMap]) -> list[ProbabilityMap]:
    """The maps in date order; every map needs its date (from the file name or tags)."""
    undated = [str(m.path) for m in maps if m.taken is None]
    if undated:
        raise TerrainDataError(f"{', '.join(undated)}: no date — name the file …_YYYYMMDD_… so its date is known")
    return sorted(maps, key=lambda m: m.taken)


def change_between(before: ProbabilityMap, after: ProbabilityMap, threshold: float) -> Change:
    """What became disturbed and what stopped being so, over the pixels valid on both dates."""
    if before.shape != after.shape or before.transform != after.transform:
        raise TerrainDataError(
            f"{before.path} and {after.path} are not the same grid ({before.shape} {before.transform} vs "
            f"{after.shape} {after.transform}) — map the same scene footprint"
        )
    both = before.valid & after.valid
    was, now = disturbed(before.probs, threshold) & both, disturbed(after.probs, threshold) & both
    gained, lost = now & ~was, was & ~now
    return Change(before.taken, after.taken, gained, lost, area_ha(gained, after), area_ha(lost, after))


def permit_mask(polygon: Sequence[tuple[float, float]], transform: Transform, shape: tuple[int, int]) -> np.ndarray:
    """(H, W) bool: pixels whose centre lies inside ``polygon`` ((x, y) in the transform's CRS)."""
    from affine import Affine
    from rasterio import features

    ring = [list(map(float, p)) for p in polygon]
    shape_json = {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}
    return features.rasterize([(shape_json, 1)], out_shape=shape, transform=Affine(*transform), dtype="uint8") > 0


def to_pixels(polygon: Sequence[tuple[float, float]], transform: Transform) -> np.ndarray:
    """(K, 2) continuous pixel (col, row) of CRS points (the top-left corner of pixel (0, 0) is (0, 0))."""
    a, b, c, d, e, f = transform
    det = a * e - b * d
    points = np.asarray(polygon, np.float64).reshape(-1, 2) - (c, f)
    return np.stack([(e * points[:, 0] - b * points[:, 1]) / det, (a * points[:, 1] - d * points[:, 0]) / det], 1)


def centroid(mask: np.ndarray, transform: Transform | None) -> tuple[float, float]:
    """The centre of the True pixels as (x, y) in the CRS (pixel (col, row) when no transform)."""
    rows, cols = np.nonzero(mask)
    col, row = float(cols.mean()) + 0.5, float(rows.mean()) + 0.5
    if transform is None:
        return col - 0.5, row - 0.5
    a, b, c, d, e, f = transform
    return a * col + b * row + c, d * col + e * row + f


def find_changes(
    before: ProbabilityMap, after: ProbabilityMap, rules: ChangeRules, *, source: str = "open_pit.crs"
) -> list[Finding]:
    """The findings of one change: growth beyond the permit (when a permit is given: newly disturbed
    pixels outside the polygon that belong to the pit, i.e. to a disturbed patch reaching into it),
    then new patches;
    ``source`` names the permit's CRS field in errors (e.g. ``site.yaml: open_pit.crs``)."""
    from scipy import ndimage

    rules.check_crs(before, source)
    rules.check_crs(after, source)
    change = change_between(before, after, rules.probability)
    findings: list[Finding] = []

    def finding(kind: FindingKind, mask: np.ndarray) -> Finding:
        hectares = area_ha(mask, after)
        return Finding(kind, hectares, centroid(mask, after.transform), after.crs, change.before, change.after)

    eight = np.ones((3, 3), bool)
    if rules.permit:
        after.require_georeference()
        inside = permit_mask(rules.permit, after.transform, after.shape)
        outside = change.gained & ~inside & _the_pit(after, inside, rules.probability, eight)
        if outside.any() and area_ha(outside, after) >= rules.growth_beyond_permit_min_ha:
            findings.append(finding("growth_beyond_permit", outside))
    labels, _ = ndimage.label(change.gained, structure=eight)
    pixel_ha = area_ha(np.ones(1, bool), after)
    sizes = np.bincount(labels.ravel())
    for index in np.flatnonzero(sizes * pixel_ha >= rules.new_patch_min_ha):
        if index > 0:  # 0: not gained
            findings.append(finding("new_disturbed_patch", labels == index))
    return findings


def _the_pit(after: ProbabilityMap, inside: np.ndarray, threshold: float, structure: np.ndarray) -> np.ndarray:
    """The disturbed area of the permitted pit: the 8-connected disturbed patches that reach into the
    permit. A scene covers the neighbours' quarries too; their growth is a new patch, not this pit's."""
    from scipy import ndimage

    layer = disturbed(after.probs, threshold)
    labels, _ = ndimage.label(layer, structure=structure)
    touching = np.unique(labels[inside & layer])
    return np.isin(labels, touching[touching > 0])


def findings_over_time(maps: Sequence[ProbabilityMap], rules: ChangeRules) -> list[Finding]:
    """The findings of each consecutive pair of dated maps, oldest first."""
    ordered = by_date(maps)
    if len(ordered) < 2:
        raise TerrainDataError("a change needs two or more dated maps or scenes")
    return [f for before, after in itertools.pairwise(ordered) for f in find_changes(before, after, rules)]
