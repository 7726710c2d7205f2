"""Change between dated maps: known gained / lost hectares, new patches as 8-connected components,
growth beyond the permit polygon, the site's thresholds and CRS, findings as terrain events."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import numpy as np
import pytest

from mineguard.mine.site import load_site
from mineguard.terrain.change import (
    ChangeRules,
    band_config,
    change_between,
    disturbed_history,
    find_changes,
    findings_over_time,
    permit_mask,
    to_pixels,
)
from mineguard.terrain.events import finding_event
from mineguard.terrain.raster import TerrainDataError
from terrain_scenes import TRANSFORM, probability

X0, Y0 = TRANSFORM[2], TRANSFORM[5]
# a permit around rows 10..29 and columns 10..29 (pixel edges), in CRS metres
PERMIT = ((X0 + 100, Y0 - 100), (X0 + 300, Y0 - 100), (X0 + 300, Y0 - 300), (X0 + 100, Y0 - 300))
RULES = ChangeRules(0.8, 0.3, 0.1, PERMIT, "EPSG:32633")


def maps() -> tuple:
    before = np.zeros((50, 50), np.float32)
    before[12:28, 12:28] = 0.9  # the pit, inside the permit
    before[40:45, 40:45] = 0.9  # a patch that is gone later (reclaimed)
    after = before.copy()
    after[40:45, 40:45] = 0.1
    after[12:28, 28:34] = 0.95  # the pit grows east: columns 28, 29 inside, 30..33 outside the permit
    after[10, 10:14] = 0.85  # a small new patch inside the permit (4 px = 0.04 ha), under the patch size
    return probability(before, date(2021, 6, 19)), probability(after, date(2023, 2, 9))


def test_gained_and_lost_hectares_are_known() -> None:
    before, after = maps()
    change = change_between(before, after, 0.8)
    assert change.gained.sum() == 16 * 6 + 4 and change.lost.sum() == 25
    assert (change.gained_ha, change.lost_ha) == pytest.approx((1.0, 0.25))
    history = disturbed_history([after, before], 0.8)
    assert history == [(date(2021, 6, 19), pytest.approx(2.81)), (date(2023, 2, 9), pytest.approx(3.56))]


def test_the_permit_polygon_is_rasterised_on_pixel_centres() -> None:
    mask = permit_mask(PERMIT, TRANSFORM, (50, 50))
    assert mask.sum() == 400 and mask[10:30, 10:30].all()
    np.testing.assert_allclose(to_pixels(PERMIT, TRANSFORM)[0], [10, 10])


def test_growth_beyond_the_permit_and_new_patches_are_found() -> None:
    before, after = maps()
    findings = find_changes(before, after, RULES)
    assert [f.kind for f in findings] == ["growth_beyond_permit", "new_disturbed_patch"]
    growth, patch = findings
    assert growth.hectares == pytest.approx(0.64)  # 16 rows x 4 columns outside
    assert growth.centroid == pytest.approx((X0 + 320, Y0 - 200))  # columns 30..33, rows 12..27
    assert patch.hectares == pytest.approx(0.96) and (growth.before, growth.after) == (before.taken, after.taken)
    stricter = replace(RULES, growth_beyond_permit_min_ha=1.0, new_patch_min_ha=0.01)
    assert [f.hectares for f in find_changes(before, after, stricter)] == pytest.approx([0.04, 0.96])


def test_a_neighbours_quarry_growing_outside_the_permit_is_a_new_patch_not_a_breach() -> None:
    """Only disturbance connected to the permitted pit counts as its growth beyond the permit."""
    before, _ = maps()
    probs = before.probs.copy()
    probs[40:46, 2:8] = 0.9  # 36 px (0.36 ha) of a separate quarry, far from the permit
    after = probability(probs, date(2023, 2, 9))
    findings = find_changes(before, after, RULES)
    assert [(f.kind, f.hectares) for f in findings] == [("new_disturbed_patch", pytest.approx(0.36))]


def test_diagonal_pixels_are_one_patch() -> None:
    before = probability(np.zeros((10, 10), np.float32), date(2022, 1, 1))
    probs = np.zeros((10, 10), np.float32)
    probs[np.arange(6), np.arange(6)] = 0.9
    after = probability(probs, date(2022, 2, 1))
    [patch] = find_changes(before, after, ChangeRules(new_patch_min_ha=0.05))
    assert patch.hectares == pytest.approx(0.06)


def test_a_permit_in_another_crs_or_an_undated_map_is_refused() -> None:
    before, after = maps()
    with pytest.raises(TerrainDataError, match=r"site.yaml: open_pit.crs is EPSG:2180 but map.tif is in EPSG:32633"):
        find_changes(before, after, replace(RULES, crs="EPSG:2180"), source="site.yaml: open_pit.crs")
    with pytest.raises(TerrainDataError, match="no date"):
        findings_over_time([before, replace(after, taken=None)], RULES)
    with pytest.raises(TerrainDataError, match="not the same grid"):
        change_between(before, probability(np.zeros((5, 5)), date(2024, 1, 1)), 0.8)


def test_the_strzegom_site_gives_the_rules_and_bands() -> None:
    open_pit = load_site("src/mineguard/mine/sites/strzegom_quarry.yaml").open_pit
    rules = ChangeRules.from_site(open_pit)
    assert (rules.probability, rules.crs, len(rules.permit)) == (0.8, "EPSG:32633", 10)
    assert band_config(open_pit).bands[:3] == ("B02", "B03", "B04") and band_config(open_pit).nodata == 0


def test_a_finding_is_a_terrain_event_of_the_pit_zone() -> None:
    before, after = maps()
    growth = find_changes(before, after, RULES)[0]
    event = finding_event(growth, zone_id="pit", site_id="strzegom-quarry", t=datetime(2023, 2, 10, tzinfo=UTC))
    assert (event["source"], event["label"], event["zone_id"], event["value"]) == (
        "terrain",
        "growth_beyond_permit",
        "pit",
        0.64,
    )
    assert event["event_id"] == "strzegom-quarry:20210619-20230209:growth_beyond_permit:585740,5652050"
    assert event["attributes"]["before"] == "2021-06-19" and event["attributes"]["crs"] == "EPSG:32633"
