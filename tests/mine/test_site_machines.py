"""Site file: sensors mounted on machines (``devices[].asset``), machine positions, the proximity section."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from mineguard.mine.site import ProximityConfig, SiteConfigError, load_site, parse_site

SITE: dict[str, Any] = {
    "id": "test-mine",
    "name": "Test mine",
    "zones": [
        {
            "id": "road",
            "name": "Road",
            "kind": "roadway",
            "path": [[0, 0, -100], [300, 0, -100]],
            "cross_section_m2": 16,
        }
    ],
    "assets": [
        {"id": "pump-1", "name": "Pump 1", "kind": "machine", "zone": "road"},
        {"id": "p1", "name": "P One", "kind": "person"},
    ],
    "devices": [
        {
            "id": "pump-1-run",
            "kind": "sensor",
            "sensor_kind": "running",
            "unit": "state",
            "zone": "road",
            "asset": "pump-1",
        }
    ],
}


def _site(*, device: dict | None = None, asset: dict | None = None, **top: Any) -> dict[str, Any]:
    data = copy.deepcopy(SITE)
    if device is not None:
        data["devices"][0].update(device)
    if asset is not None:
        data["assets"][0].update(asset)
    data.update(top)
    return data


def test_sample_site_mounts_the_machine_sensors() -> None:
    site = load_site()
    mounted = {d.id: (d.asset, d.sensor_kind) for d in site.devices if d.asset}
    assert mounted == {
        "vib-belt-drive": ("belt-b1", "vibration"),
        "fan-f2-run": ("fan-f2", "running"),
        "belt-b1-run": ("belt-b1", "running"),
        "belt-b1-bearing": ("belt-b1", "bearing_temp"),
        "shearer-1101-run": ("shearer-1101", "running"),
        "shearer-1101-vib": ("shearer-1101", "vibration"),
    }
    machines = {a.id: a for a in site.assets if a.kind == "machine"}
    assert all(
        machines[asset].zone == next(d.zone for d in site.devices if d.asset == asset) for asset, _ in mounted.values()
    )
    assert site.proximity == ProximityConfig(max_range_m=300, max_fix_age_s=30, min_fix_interval_s=2)


def test_a_valid_mounting_parses_and_proximity_has_defaults() -> None:
    site = parse_site(_site())
    assert site.devices[0].asset == "pump-1"
    assert site.proximity.max_range_m == 300.0 and site.proximity.min_fix_interval_s == 2.0
    assert parse_site(_site(asset={"position": [10, 0, -100]})).assets[0].position == [10, 0, -100]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(
            _site(device={"asset": "pump-9"}),
            r"devices\[0\]\.asset 'pump-9' is not an asset id — known assets: p1, pump-1",
            id="unknown-asset",
        ),
        pytest.param(
            _site(device={"kind": "camera", "sensor_kind": None, "unit": None}),
            r"devices\[0\]: only a sensor is mounted on an asset, this is a camera — remove 'asset'",
            id="asset-on-a-camera",
        ),
        pytest.param(
            _site(asset={"kind": "person", "position": [0, 0, -100]}),
            r"assets\[0\]: only a machine has a fixed 'position', this is a person — remove it",
            id="position-on-a-person",
        ),
        pytest.param(
            _site(proximity={"max_range_m": -5}),
            r"proximity\.max_range_m: Input should be greater than 0 — fix the value",
            id="negative-range",
        ),
        pytest.param(
            _site(proximity={"max_range": 50}),
            r"proximity\.max_range: Extra inputs are not permitted — remove it or check the spelling",
            id="misspelt-proximity-key",
        ),
    ],
)
def test_bad_mounting_or_proximity_names_the_key_and_the_fix(data: dict, expected: str) -> None:
    with pytest.raises(SiteConfigError, match=expected):
        parse_site(data, "site.yaml")
