"""A gate camera in the site file (``view.role: gate``): a good one loads, bad ones name the field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mineguard.mine.site import SAMPLE_SITE, load_site

SITE = Path(__file__).resolve().parents[2] / "src" / "mineguard" / "mine" / "sites" / SAMPLE_SITE
GATE = {"line": [[0, 200], [320, 200]], "underground_side": [160, 390]}


def site_with(tmp_path: Path, view: dict) -> Path:
    site = yaml.safe_load(SITE.read_text())
    for device in site["devices"]:
        if device["id"] == "cam-surface-gate":
            device["view"] = view
    out = tmp_path / "site.yaml"
    out.write_text(yaml.safe_dump(site))
    return out


def test_a_gate_camera_loads(tmp_path: Path) -> None:
    site = load_site(site_with(tmp_path, {"source": "gate.mp4", "role": "gate", "gate": {**GATE, "best_crops": 3}}))
    [camera] = [d for d in site.devices if d.id == "cam-surface-gate"]
    assert camera.view.role == "gate" and camera.view.gate.best_crops == 3
    assert camera.view.gate.line == ((0.0, 200.0), (320.0, 200.0)) and camera.view.gate.hysteresis_px == 12.0


@pytest.mark.parametrize(
    ("view", "message"),
    [
        ({"role": "gate"}, "role: gate needs 'gate: {line:"),
        ({"gate": GATE}, "'gate' is only for a gate camera — add 'role: gate'"),
        ({"role": "gate", "gate": {**GATE, "line": [[5, 5], [5, 5]]}}, "gate.line [[5.0, 5.0], [5.0, 5.0]] has two"),
        ({"role": "gate", "gate": {**GATE, "underground_side": [10, 205]}}, "gate.underground_side [10.0, 205.0] lies"),
        ({"role": "gate", "gate": {**GATE, "line": [[0, 200]]}}, "line"),
        ({"role": "gate", "gate": {**GATE, "best_crops": 0}}, "best_crops"),
        ({"role": "gate", "gate": {**GATE, "max_dust": 2}}, "max_dust"),
        ({"role": "gate", "gate": {**GATE, "colour": "red"}}, "colour"),
        ({"role": "turnstile"}, "role"),
        (
            {"role": "gate", "gate": GATE, "events": [{"detector_class": "a", "label": "a"}]},
            "its 'regions' and 'events' would never run",
        ),
    ],
)
def test_bad_gate_views_name_the_field(tmp_path: Path, view: dict, message: str) -> None:
    with pytest.raises(ValueError, match="devices") as caught:
        load_site(site_with(tmp_path, view))
    assert message in str(caught.value)
