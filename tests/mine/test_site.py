"""The site file: the bundled sample mine, and errors that name the key path and the fix."""

from __future__ import annotations

import copy
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from mineguard.mine.early_warning import GENERIC_ACTION, EarlyWarningConfig
from mineguard.mine.site import SiteConfig, SiteConfigError, ZoneConfig, load_site, parse_site

MINIMAL: dict[str, Any] = {
    "id": "test-mine",
    "name": "Test mine",
    "zones": [
        {"id": "shaft", "name": "Shaft", "kind": "shaft", "path": [[0, 0, 0], [0, 0, -100]], "cross_section_m2": 25},
        {
            "id": "road",
            "name": "Road",
            "kind": "roadway",
            "path": [[0, 0, -100], [300, 0, -100]],
            "cross_section_m2": 16,
        },
    ],
    "links": [["shaft", "road"]],
    "devices": [{"id": "ch4-1", "kind": "sensor", "sensor_kind": "methane", "unit": "%", "zone": "road"}],
}


def _write(tmp_path: Path, data: object, name: str = "site.yaml") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _site(**edits: Any) -> dict[str, Any]:
    data = copy.deepcopy(MINIMAL)
    data.update(edits)
    return data


def test_sample_site_has_the_zones_devices_and_assets_asked_for() -> None:
    site = load_site()
    assert isinstance(site, SiteConfig)
    assert site.id == "sample-coal-mine"
    zones = {zone.id: zone for zone in site.zones}
    kinds = Counter(zone.kind for zone in site.zones)
    assert zones["main_shaft"].kind == "shaft"
    assert zones["main_roadway"].kind == "roadway"
    assert zones["belt_roadway"].kind == "roadway"
    assert zones["return_airway"].kind == "airway"
    assert zones["refuge_1"].kind == "refuge"
    assert kinds["working_face"] == 2 and {"face_1101", "face_1102"} <= zones.keys()
    assert kinds["gate"] >= 2
    assert zones["face_1101"].danger and zones["face_1101"].staff_limit == 12
    for zone in site.zones:
        assert zone.location_name and zone.operating_procedure_id, zone.id
    # every link names known zones, and the graph is one piece reachable from the surface
    linked = {end for link in site.links for end in link}
    assert linked == set(zones)
    devices = Counter(device.kind for device in site.devices)
    assert devices["gateway"] == 3 and devices["camera"] == 3 and devices["tag"] == 6 and devices["sensor"] == 21
    assert {d.sensor_kind for d in site.devices if d.kind == "sensor"} >= {"methane", "co", "o2", "temperature"}
    assert all(d.zone in zones for d in site.devices)
    seismic = {d.id: d.longwall for d in site.devices if d.longwall}  # geophones and seismometers per longwall
    assert set(seismic.values()) == {"face_1101", "face_1102"} and len(seismic) == 6
    assert all(d.barcode for d in site.devices if d.kind == "tag")
    people = [a for a in site.assets if a.kind == "person"]
    assert Counter(a.crew for a in people) == {"crew-a": 3, "crew-b": 3}
    assert {a.kind for a in site.assets} == {"person", "machine", "material"}
    assert site.sensitivity.freefall_g == 0.5 and site.sensitivity.faint_still_s == 60.0


def test_sample_site_loads_from_a_copied_file_identically(tmp_path: Path) -> None:
    bundled = load_site()
    copied = load_site(_write(tmp_path, bundled.model_dump(mode="json")))
    assert copied == bundled


def test_early_warning_actions_are_site_data() -> None:
    sample = load_site().early_warning
    assert sample.risk_action("methane", "Longwall face 1101") == (
        "increase ventilation at Longwall face 1101 and find the source"
    )
    assert (
        sample.risk_action("co", "Belt roadway")
        == "look for heating or fire near Belt roadway; have self-rescuers ready"
    )
    assert sample.seismic("Longwall face 1102") == (
        "check the destress measures and keep people out of the longwall's danger area"
    )
    assert (
        sample.hazard_action("ppe", "Face 1101 gate")
        == "check that everyone in Face 1101 gate wears a helmet and cap lamp"
    )
    own = parse_site(_site(early_warning={"actions": {"dust": "wet down {zone} ({{sprays}})"}})).early_warning
    assert own == EarlyWarningConfig(actions={"dust": "wet down {zone} ({{sprays}})"})
    assert own.risk_action("dust", "Road") == "wet down Road ({sprays})"


def test_without_early_warning_the_actions_are_generic() -> None:
    texts = parse_site(copy.deepcopy(MINIMAL)).early_warning
    assert texts == EarlyWarningConfig() and GENERIC_ACTION == "check {zone}"
    assert texts.risk_action("methane", "Road") == "check Road"
    assert texts.seismic("Longwall 7") == "check Longwall 7"
    assert texts.hazard_action("gas", "Road") == "check Road"
    partial = EarlyWarningConfig(actions={"co": "look for fire in {zone}"})
    assert partial.risk_action("methane", "Road") == "check Road"  # a kind without a text


def test_zone_length_and_radius() -> None:
    zone = ZoneConfig(
        id="z", name="Z", kind="roadway", path=[[0, 0, 0], [30, 40, 0], [30, 40, -10]], cross_section_m2=16
    )
    assert zone.length == pytest.approx(60.0)
    assert zone.radius_m == pytest.approx(3.0)  # half of a 4 m square section, plus 1 m
    stated = zone.model_copy(update={"length_m": 75.0})
    assert stated.length == 75.0


def _zone(**edits: Any) -> dict[str, Any]:
    return {**copy.deepcopy(MINIMAL["zones"][0]), **edits}


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(
            _site(zones=[_zone(colour="red"), MINIMAL["zones"][1]]),
            r"zones\[0\]\.colour: Extra inputs are not permitted — remove it or check the spelling",
            id="unknown-key",
        ),
        pytest.param(
            _site(timezon="UTC"),
            r"timezon: Extra inputs are not permitted — remove it or check the spelling",
            id="unknown-top-level-key",
        ),
        pytest.param(
            _site(zones=[MINIMAL["zones"][0], {**MINIMAL["zones"][1], "kind": "tunnel"}]),
            r"zones\[1\]\.kind: Input should be 'roadway', 'working_face', 'shaft', 'gate', 'refuge', 'airway' or "
            r"'station' — \w",  # the allowed kinds, then a hint
            id="bad-zone-kind",
        ),
        pytest.param(
            _site(devices=[{"id": "cam-1", "kind": "camera", "zone": "nowhere"}]),
            r"devices\[0\]\.zone 'nowhere' is not a zone id — known zones: road, shaft",
            id="device-unknown-zone",
        ),
        pytest.param(
            _site(links=[["shaft", "stope"]]),
            r"links\[0\] names unknown zone 'stope' — known zones: road, shaft",
            id="link-unknown-zone",
        ),
        pytest.param(
            _site(zones=[MINIMAL["zones"][0], MINIMAL["zones"][0]], links=[]),
            r"zones: id 'shaft' is used twice — give each entry its own id",
            id="duplicate-zone-id",
        ),
        pytest.param(
            _site(devices=[{"id": "ch4-1", "kind": "sensor", "zone": "road"}]),
            r"devices\[0\]: a sensor needs 'sensor_kind' \(e\.g\. methane, co, temperature\)",
            id="sensor-without-kind",
        ),
        pytest.param(
            _site(zones=[{k: v for k, v in _zone().items() if k != "cross_section_m2"}, MINIMAL["zones"][1]]),
            r"zones\[0\]\.cross_section_m2: Field required — add it",
            id="missing-field",
        ),
        pytest.param(
            _site(zones=[_zone(path=[[0, 0]]), MINIMAL["zones"][1]]),
            r"zones\[0\]\.path\[0\]: List should have at least 3 items .* — fix the value",
            id="2d-point",
        ),
        pytest.param(
            _site(
                devices=[{"id": "cam-1", "kind": "camera", "zone": "road", "view": {"tiles": {"cols": 0, "rows": 2}}}]
            ),
            r"devices\[0\]\.view\.tiles\.cols: Input should be greater than or equal to 1",
            id="camera-tiles",
        ),
        pytest.param(
            _site(
                devices=[
                    {"id": "cam-1", "kind": "camera", "zone": "road", "view": {"tracker": {"new_track_thresh": 0.2}}}
                ]
            ),
            r"devices\[0\]\.view\.tracker: .*need low_thresh <= track_thresh <= new_track_thresh, got 0\.1, 0\.5, 0\.2",
            id="camera-tracker-order",
        ),
        pytest.param(
            _site(
                devices=[
                    {"id": "g1", "kind": "sensor", "sensor_kind": "geophone_energy", "zone": "road", "longwall": "lw-9"}
                ]
            ),
            r"devices\[0\]\.longwall 'lw-9' is not a zone id",
            id="geophone-unknown-longwall",
        ),
        pytest.param(
            _site(
                devices=[{"id": "m1", "kind": "sensor", "sensor_kind": "methane", "zone": "road", "longwall": "road"}]
            ),
            r"devices\[0\]: .*only a seismic sensor .* belongs to a 'longwall', this is a methane",
            id="longwall-on-a-methane-sensor",
        ),
        pytest.param(
            _site(early_warning={"actions": {"metane": "check {zone}"}}),
            r"early_warning\.actions\.metane: 'metane' is not a sensor kind — use one of: methane, co, .* — fix",
            id="early-warning-unknown-kind",
        ),
        pytest.param(
            _site(early_warning={"actions": {"methane": "ventilate {zone} near {machine}"}}),
            r"early_warning\.actions\.methane: unknown placeholder\(s\) \['machine'\] — only \{zone\} is filled in",
            id="early-warning-unknown-placeholder",
        ),
        pytest.param(
            _site(early_warning={"seismic_action": "destress {zone"}),
            r"early_warning\.seismic_action: .*in 'destress \{zone' — write \{zone\}, or \{\{ and \}\} for a brace",
            id="early-warning-open-brace",
        ),
        pytest.param(
            _site(early_warning={"actions": {"methane": 1.0}}),
            r"early_warning\.actions\.methane: Input should be a valid string — write it as text",
            id="early-warning-not-a-string",
        ),
        pytest.param(
            _site(early_warning={"seismic_action": {"zone": None}}),  # YAML reads `seismic_action: {zone}` as a mapping
            r"early_warning\.seismic_action: Input should be a valid string — write it as text \(quote it if it starts",
            id="early-warning-unquoted-brace",
        ),
        pytest.param(
            _site(early_warning={"hazard_actions": {"none": "relax in {zone}"}}),
            r"early_warning\.hazard_actions\.none: 'none' is not a hazard class — use one of: gas, fire, belt, roof",
            id="early-warning-unknown-hazard",
        ),
        pytest.param(
            _site(early_warning={"action": {"methane": "check {zone}"}}),
            r"early_warning\.action: Extra inputs are not permitted — remove it or check the spelling",
            id="early-warning-unknown-key",
        ),
        pytest.param(
            _site(zones=[_zone(id="bad id!"), MINIMAL["zones"][1]], links=[]),
            r"zones\[0\]\.id: String should match pattern",
            id="bad-identifier",
        ),
    ],
)
def test_bad_site_file_names_key_path_and_fix(tmp_path: Path, data: dict, expected: str) -> None:
    path = _write(tmp_path, data)
    with pytest.raises(SiteConfigError, match=expected) as caught:
        load_site(path)
    assert str(caught.value).startswith(f"{path}: 1 problem(s)\n  ")


def test_every_problem_is_listed(tmp_path: Path) -> None:
    data = _site(zones=[_zone(colour="red", kind="tunnel"), MINIMAL["zones"][1]])
    with pytest.raises(SiteConfigError) as caught:
        load_site(_write(tmp_path, data))
    lines = str(caught.value).splitlines()
    assert lines[0].endswith(": 2 problem(s)")
    assert {line.split(":")[0].strip() for line in lines[1:]} == {"zones[0].kind", "zones[0].colour"}


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "id: test-mine\nname: Test\nzones:\n  - {id: a, name: [unclosed\n")
    with pytest.raises(SiteConfigError, match=r"line \d+, column \d+ is not valid YAML") as caught:
        load_site(path)
    assert str(caught.value).startswith(str(path))


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(SiteConfigError, match=r"nope\.yaml: no such site file — pass the path of a YAML site file"):
        load_site(missing)
    with pytest.raises(SiteConfigError, match="no such site file"):
        load_site(tmp_path)  # a folder is not a site file


@pytest.mark.parametrize(
    ("text", "got"),
    [("- a\n- b\n", "list"), ("just a string\n", "str"), ("", "NoneType")],
    ids=["list", "str", "empty"],
)
def test_top_level_must_be_a_mapping(tmp_path: Path, text: str, got: str) -> None:
    with pytest.raises(SiteConfigError, match=f"expected a mapping with 'id', 'name' and 'zones', got {got}$"):
        load_site(_write(tmp_path, text))


def test_parse_site_uses_the_source_name() -> None:
    with pytest.raises(SiteConfigError, match=r"^api-upload: 1 problem\(s\)"):
        parse_site(_site(zones=[]), "api-upload")
    assert parse_site(copy.deepcopy(MINIMAL)).zones[1].id == "road"
