"""The ``open_pit:`` section of a site file: the Strzegom quarry example loads with its permit and
rules; a polygon of fewer than 3 points, a flat polygon, a CRS that is no EPSG code, an unknown zone
or a threshold out of range is refused naming the field."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources

import pytest
import yaml

from mineguard.mine.open_pit import polygon_area
from mineguard.mine.rules.site_rules import build_rules
from mineguard.mine.site import SiteConfigError, load_site, parse_site

SITE = resources.files("mineguard.mine").joinpath("sites").joinpath("strzegom_quarry.yaml")


@pytest.fixture
def data() -> dict:
    return yaml.safe_load(SITE.read_text(encoding="utf-8"))


def test_the_strzegom_quarry_loads_with_its_permit_and_terrain_rules() -> None:
    site = load_site(str(SITE))
    assert site.open_pit is not None and site.open_pit.zone == "pit" and site.open_pit.crs == "EPSG:32633"
    assert polygon_area(site.open_pit.permit.polygon) / 1e4 == pytest.approx(17.6, abs=0.5)  # hectares
    ids = {rule.id for rule in build_rules(site.rules, site.facts()).rules}
    assert {"pit-growth-beyond-permit", "pit-new-disturbed-patch"} <= ids


def _set(path: str, value: object) -> Callable[[dict], None]:
    def change(data: dict) -> None:
        *parents, last = path.split(".")
        node = data
        for key in parents:
            node = node[key]
        node[last] = value

    return change


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            _set("open_pit.permit.polygon", [[0, 0], [10, 0], [0, 0]]),
            r"open_pit\.permit\.polygon: a permit polygon needs at least 3 distinct \(x, y\) points",
        ),
        (_set("open_pit.permit.polygon", [[0, 0], [10, 0], [20, 0]]), r"open_pit\.permit\.polygon: .*has no area"),
        (_set("open_pit.crs", "UTM33N"), r"open_pit\.crs: 'UTM33N' is not a CRS code — write it as EPSG:<code>"),
        (_set("open_pit.zone", "bench_9"), r"open_pit\.zone 'bench_9' is not a zone id"),
        (_set("open_pit.thresholds.probability", 1.5), r"open_pit\.thresholds\.probability: .*less than 1"),
        (_set("open_pit.thresholds.new_patch_min_ha", -1), r"open_pit\.thresholds\.new_patch_min_ha"),
        (_set("open_pit.permit.area", 3), r"open_pit\.permit\.area: Extra inputs are not permitted"),
    ],
)
def test_a_bad_open_pit_section_names_the_field(data: dict, change: Callable[[dict], None], expected: str) -> None:
    change(data)
    with pytest.raises(SiteConfigError, match=expected):
        parse_site(data, "quarry.yaml")


def test_a_closed_ring_and_a_lower_case_code_are_accepted(data: dict) -> None:
    ring = [[0, 0], [100, 0], [100, 100], [0, 0]]
    _set("open_pit.permit.polygon", ring)(data)
    _set("open_pit.crs", "epsg:32633")(data)
    open_pit = parse_site(data).open_pit
    assert open_pit.permit.polygon == [(0, 0), (100, 0), (100, 100)] and open_pit.crs == "EPSG:32633"


def test_a_site_without_open_pit_is_unchanged() -> None:
    assert load_site().open_pit is None
