"""``mineguard terrain map`` and ``terrain change`` as a user runs them: a scene and an ONNX classifier
give the GeoTIFF maps, the PNG and the hectares at 0.7 / 0.8 / 0.9; dated maps and the Strzegom site
give findings, and with ``--url`` those findings raise the site's alert, with the maps as evidence,
in a running service. The real Strzegom scene goes through the map and writers (skips without ../shared)."""

from __future__ import annotations

import json
from datetime import date
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mineguard.cli import main
from mineguard.mine.site import load_site
from mineguard.terrain.change import band_config, permit_mask
from mineguard.terrain.writers import read_probability_map, write_probability_tif
from terrain_scenes import TRANSFORM, mean_logits_onnx, probability, write_scene

SITE = Path(str(resources.files("mineguard.mine").joinpath("sites").joinpath("strzegom_quarry.yaml")))
GROWTH = (slice(330, 345), slice(274, 289))  # 15 x 15 px = 2.25 ha east of the permit, joined to the pit


def lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def dated_maps(folder: Path) -> list[Path]:
    """The pit inside the permit in 2021; in 2023 it has grown 2.25 ha east, beyond the permit."""
    inside = permit_mask(load_site(SITE).open_pit.permit.polygon, TRANSFORM, (401, 401))
    before = np.where(inside, 0.95, 0.02).astype(np.float32)
    after = before.copy()
    after[GROWTH] = 0.95
    return [
        write_probability_tif(folder / "strzegom_20210619_prob.tif", probability(before, date(2021, 6, 19))),
        write_probability_tif(folder / "strzegom_20230209_prob.tif", probability(after, date(2023, 2, 9))),
    ]


def test_map_writes_geotiffs_a_png_and_the_hectares(tmp_path: Path, capsys) -> None:
    dn = np.full((10, 40, 40), 1000, np.uint16)
    dn[0, 10:30, 10:30] = 9000  # bright B02: the classifier's "open pit"
    scene = write_scene(tmp_path / "quarry_20220619.tif", dn)
    weights = mean_logits_onnx(tmp_path / "c.onnx", channels=10, size=6)
    args = ["terrain", "map", str(scene), "--weights", str(weights), "--stride", "2"]
    assert main([*args, "--out", str(tmp_path / "o")]) == 0
    [report] = lines(capsys.readouterr().out)
    assert report["slice_size"] == 6 and report["date"] == "2022-06-19"
    assert set(report["hectares"]) == {"0.7", "0.8", "0.9"} and 2.5 < report["hectares"]["0.8"] < 5.5  # square: 4 ha
    pmap = read_probability_map(tmp_path / "o" / "quarry_20220619_prob.tif")
    assert pmap.probs[20, 20] > 0.99 and pmap.probs[0, 0] < 0.1 and pmap.transform == TRANSFORM
    assert (tmp_path / "o" / "quarry_20220619_disturbed.tif").is_file()
    with Image.open(tmp_path / "o" / "quarry_20220619.png") as picture:
        assert picture.size[0] == 40 * 15


def test_change_prints_history_and_findings(tmp_path: Path, capsys) -> None:
    maps = dated_maps(tmp_path)
    assert main(["terrain", "change", *map(str, maps), "--site", str(SITE), "--out", str(tmp_path / "o")]) == 0
    out = lines(capsys.readouterr().out)
    history = [line for line in out if "date" in line]
    assert [h["date"] for h in history] == ["2021-06-19", "2023-02-09"]
    assert history[1]["disturbed_ha"] - history[0]["disturbed_ha"] == pytest.approx(2.25)
    findings = {line["finding"]["kind"]: line["finding"] for line in out if "finding" in line}
    assert findings["growth_beyond_permit"]["hectares"] == pytest.approx(2.25)
    assert findings["new_disturbed_patch"]["centroid"] == pytest.approx([585420 + 2815, 5652250 - 3375])
    assert (tmp_path / "o" / "change_2021-06-19_2023-02-09_after.png").is_file()


def test_change_needs_a_site_with_an_open_pit_and_weights_for_scenes(tmp_path: Path, capsys) -> None:
    maps = dated_maps(tmp_path)
    assert main(["terrain", "change", *map(str, maps), "--site", str(tmp_path / "none.yaml")]) == 2
    assert "none.yaml: no such site file" in capsys.readouterr().err
    assert main(["terrain", "change", *map(str, maps), "--site", "src/mineguard/mine/sites/pillar_ridge.yaml"]) == 2
    assert "has no open_pit section" in capsys.readouterr().err
    scene = write_scene(tmp_path / "s_20220101.tif", np.full((10, 8, 8), 500, np.uint16))
    assert main(["terrain", "change", str(maps[0]), str(scene), "--site", str(SITE)]) == 2
    assert "s_20220101.tif: is a scene, not a probability map" in capsys.readouterr().err


def test_a_change_finding_raises_the_site_alert_with_the_maps_in_a_running_service(tmp_path: Path) -> None:
    """End to end: the findings go through the gateway client to ``POST /api/v1/evidence`` and
    ``POST /api/v1/events`` of the service running the Strzegom site; its rules raise the alerts."""
    from local_service import local_service
    from polling import wait_for

    maps = dated_maps(tmp_path)
    with local_service(tmp_path, site_file=SITE) as service, service.client() as client:
        client.login()
        secret_file = tmp_path / "gw.secret"
        secret_file.write_text(client.register_gateway("gw-quarry-office"))
        args = ["terrain", "change", *map(str, maps), "--site", str(SITE), "--out", str(tmp_path / "o")]
        code = main([*args, "--url", service.url, "--gateway", "gw-quarry-office", "--secret-file", str(secret_file)])
        assert code == 0
        rules = {"pit-growth-beyond-permit", "pit-new-disturbed-patch"}
        alerts = wait_for(lambda: [a for a in client.alerts() if a["rule_id"] in rules])
        assert {a["rule_id"] for a in alerts} == rules, [a["rule_id"] for a in client.alerts()]
        growth = next(a for a in alerts if a["rule_id"] == "pit-growth-beyond-permit")
        assert growth["severity"] == "critical" and growth["zone_id"] == "pit"
        [media] = growth["evidence"]["media"]
        assert media["before"].startswith("/api/v1/evidence/") and media["after"] != media["before"]
        events = client.get("/events", source="terrain")
        assert {e["label"] for e in events} == {"growth_beyond_permit", "new_disturbed_patch"}
        window = {"start": "2021-01-01T00:00:00Z", "end": "2024-01-01T00:00:00Z"}
        history = client.get("/events", source="terrain", label="disturbed_area", **window)
        assert [(e["t"][:10], e["value"]) for e in reversed(history)] == [
            ("2021-06-19", pytest.approx(17.61, abs=0.5)),
            ("2023-02-09", pytest.approx(17.61 + 2.25, abs=0.5)),
        ]  # the twin's area history: one event per date, the pit plus the 2.25 ha grown beyond the permit


def test_the_real_strzegom_scene_is_mapped_and_written(tmp_path: Path, shared_data: Path) -> None:
    """A model-free spectral rule (low NDVI, bright SWIR: bare rock) as the classifier: the quarry
    pixels of the 2021 mask score higher than the forest pixels, and the maps are written in place."""
    from mineguard.terrain.mapping import probability_map, threshold_areas
    from mineguard.terrain.raster import read_mask, read_scene
    from mineguard.terrain.writers import overlay, true_colour, write_png

    folder = shared_data / "satellite" / "s2_quarry_strzegom"
    config = band_config(load_site(SITE).open_pit)
    scene = read_scene(folder / "img_train" / "strzegom_20210619_33u.tif", config)
    red, nir, swir = (config.index(b) for b in ("B04", "B08", "B11"))

    def bare_rock(slices: np.ndarray) -> np.ndarray:
        ndvi = (slices[:, nir] - slices[:, red]) / (slices[:, nir] + slices[:, red] + 1e-6)
        score = 12 * (0.35 - ndvi.mean(axis=(1, 2))) + 8 * (slices[:, swir].mean(axis=(1, 2)) - 0.2)
        return 1 / (1 + np.exp(-score))

    pmap = probability_map(scene, bare_rock, 18, 9)
    mask = read_mask(folder / "training_masks" / "strzegom_20210619_33u.tif", shape=scene.shape)
    assert pmap.probs.shape == (401, 401) and np.isfinite(pmap.probs[scene.valid]).all()
    assert np.nanmean(pmap.probs[mask == 10]) > np.nanmean(pmap.probs[np.isin(mask, (1, 2))]) + 0.2
    assert [a.threshold for a in threshold_areas(pmap)] == [0.7, 0.8, 0.9]
    back = read_probability_map(write_probability_tif(tmp_path / "p.tif", pmap))
    assert back.crs == "EPSG:32633" and back.transform == scene.transform and back.taken == date(2021, 6, 19)
    np.testing.assert_array_equal(back.probs, pmap.probs)
    layer = pmap.probs >= 0.8
    png = write_png(tmp_path / "p.png", overlay(true_colour(scene), layer, ["2021-06-19"]))
    with Image.open(png) as picture:
        assert picture.size == (401 * 2, 401 * 2 + 30)
