"""The scenario file: its schema errors name the file and key path; every id is checked against the site."""

from __future__ import annotations

import copy
from importlib import resources
from pathlib import Path

import pytest
import yaml

from mineguard.mine.site import load_site
from mineguard.sim.script import ScriptError, load_script, load_sim, parse_script, scenarios_file

SITES = resources.files("mineguard.mine").joinpath("sites")


@pytest.fixture(scope="module")
def sample() -> dict:
    return yaml.safe_load(scenarios_file(None).read_text(encoding="utf-8"))


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "mine.scenarios.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_the_bundled_sample_loads_with_its_five_scenarios() -> None:
    sim = load_sim()
    assert [s.id for s in sim.script.scenarios] == ["gas", "helmet", "belt", "roof", "headcount"]
    assert sim.source.endswith("sample_coal_mine.scenarios.yaml") and sim.script.site == sim.site.id
    gas = sim.script.scenarios[0]
    assert (gas.machines[0].from_s, gas.machines[0].to_s, gas.machines[0].running) == (8, 83, False)


def test_every_bundled_site_with_a_scenario_file_loads() -> None:
    found = [p.name for p in SITES.iterdir() if p.name.endswith(".scenarios.yaml")]
    assert found
    for name in found:
        site_path = Path(str(SITES.joinpath(name.replace(".scenarios.yaml", ".yaml"))))
        assert load_sim(site_path).script.scenarios


def test_site_file_and_scenario_file_sit_side_by_side(tmp_path: Path) -> None:
    assert scenarios_file(tmp_path / "quarry.yaml") == tmp_path / "quarry.scenarios.yaml"
    with pytest.raises(ScriptError, match=r"quarry.scenarios.yaml: no scenario file"):
        load_script(tmp_path / "quarry.scenarios.yaml", load_site())


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d.update(speed=3), r"speed: Extra inputs are not permitted — remove it or check the spelling"),
        (
            lambda d: d["scenarios"][2]["ramps"][0].update(full_s=90),
            r"scenarios\[2\]\.ramps\[0\]: need from_s < full_s",
        ),
        (lambda d: d["scenarios"][0]["machines"][0].update(to_s=4), r"scenarios\[0\]\.machines\[0\]: to_s \(4\)"),
        (
            lambda d: d["scenarios"][1]["hazard"][0].pop("of"),
            r"scenarios\[1\]\.hazard\[0\]: got keys \['person', 'within_m'\]",
        ),
        (
            lambda d: d["people"][0]["start"].update(at=1.5),
            r"people\[0\]\.start\.at: Input should be less than or equal to 1",
        ),
        (lambda d: d["scenarios"][0].pop("detected_by"), r"scenarios\[0\]\.detected_by: Field required — add it"),
    ],
)
def test_schema_errors_name_the_file_and_the_key_path(tmp_path, sample, change, expected) -> None:
    data = copy.deepcopy(sample)
    change(data)
    with pytest.raises(ScriptError, match=expected) as err:
        load_script(_write(tmp_path, data), load_site())
    assert str(err.value).startswith(f"{tmp_path / 'mine.scenarios.yaml'}: ")


def test_ids_are_checked_against_the_site(tmp_path, sample) -> None:
    data = copy.deepcopy(sample)
    data["scenarios"][2]["ramps"][1]["device"] = "belt-b9-bearing"
    data["scenarios"][0]["machines"][0]["asset"] = "miner-001"  # a person, not a machine
    data["world"]["ventilation"][0]["zones"] = ["face_9999"]
    with pytest.raises(ScriptError) as err:
        load_script(_write(tmp_path, data), load_site())
    text = str(err.value)
    assert "3 problem(s)" in text
    assert "scenarios[2].ramps[1].device: 'belt-b9-bearing' is not a sensor of site 'sample-coal-mine'" in text
    assert "scenarios[0].machines[0].asset: 'miner-001' is not a machine" in text
    assert "world.ventilation[0].zones[0]: 'face_9999' is not a zone" in text


def test_the_script_must_belong_to_the_site(tmp_path, sample) -> None:
    data = copy.deepcopy(sample) | {"site": "another-mine"}
    with pytest.raises(ScriptError, match=r"site: 'another-mine' but the site file's id is 'sample-coal-mine'"):
        load_script(_write(tmp_path, data), load_site())


def test_bad_yaml_names_the_line(tmp_path) -> None:
    path = tmp_path / "mine.scenarios.yaml"
    path.write_text("site: x\nscenarios: [\n  - {id: a\n", encoding="utf-8")
    with pytest.raises(ScriptError, match=r"mine.scenarios.yaml: line \d+, column \d+ is not valid YAML"):
        load_script(path, load_site())


def test_alerts_are_attributed_to_their_scenario(sample) -> None:
    script = parse_script(sample)
    assert script.scenario_of("gas-rising-fan-stopped", "face_1101") == "gas"
    assert script.scenario_of("methane.working_face", "face_1101") == "gas"
    assert script.scenario_of("methane.working_face", "face_1102") is None
    assert script.scenario_of("vibration.working_face", "face_1101") == "roof"
