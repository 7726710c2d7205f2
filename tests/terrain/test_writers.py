"""Maps written as GeoTIFF come back with the same CRS, transform and values; the PNG overlay for
people has the scene's size (enlarged) plus a legend strip; write errors name the path."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mineguard.terrain.mapping import disturbed
from mineguard.terrain.raster import TerrainDataError
from mineguard.terrain.writers import (
    LEGEND_LINE,
    is_probability_map,
    overlay,
    read_probability_map,
    true_colour,
    write_disturbed_tif,
    write_png,
    write_probability_tif,
)
from terrain_scenes import CRS, TRANSFORM, probability, scene


@pytest.fixture
def pmap():
    probs = np.linspace(0, 1, 30 * 40, dtype=np.float32).reshape(30, 40)
    probs[0, 0] = np.nan
    return probability(probs, date(2022, 6, 19))


def test_the_probability_map_round_trips_through_geotiff(tmp_path: Path, pmap) -> None:
    import rasterio

    path = write_probability_tif(tmp_path / "out" / "p.tif", pmap)
    back = read_probability_map(path)
    assert (back.crs, back.transform, back.taken, back.slice_size, back.stride) == (
        CRS,
        TRANSFORM,
        date(2022, 6, 19),
        18,
        6,
    )
    np.testing.assert_array_equal(back.probs, pmap.probs)  # NaN where NaN
    with rasterio.open(path) as dataset:
        assert dataset.dtypes[0] == "float32" and np.isnan(dataset.nodata) and dataset.compression is not None
    assert is_probability_map(path) and not is_probability_map(tmp_path / "missing.tif")


def test_the_binary_layer_has_nodata_255(tmp_path: Path, pmap) -> None:
    import rasterio

    path = write_disturbed_tif(tmp_path / "d.tif", pmap, disturbed(pmap.probs, 0.8), 0.8)
    with rasterio.open(path) as dataset:
        data = dataset.read(1)
        assert dataset.crs.to_string() == CRS and tuple(dataset.transform)[:6] == TRANSFORM
        assert dataset.nodata == 255 and dataset.tags()["THRESHOLD"] == "0.8"
    assert data[0, 0] == 255 and set(np.unique(data)) == {0, 1, 255}
    assert (data == 1).sum() == disturbed(pmap.probs, 0.8).sum()
    with pytest.raises(TerrainDataError, match="not a probability map"):
        read_probability_map(path)


def test_a_map_without_georeference_is_refused_for_geotiff(tmp_path: Path, pmap) -> None:
    from dataclasses import replace

    with pytest.raises(TerrainDataError, match="has no CRS"):
        write_probability_tif(tmp_path / "p.tif", replace(pmap, crs=None))


def test_the_overlay_png_is_the_scene_enlarged_with_a_legend(tmp_path: Path) -> None:
    bands = np.random.default_rng(0).uniform(0.02, 0.3, (10, 30, 40)).astype(np.float32)
    layer = np.zeros((30, 40), bool)
    layer[10:20, 10:25] = True
    picture = overlay(true_colour(scene(bands)), layer, ["2022-06-19  p >= 0.8: 1.50 ha", "permit"])
    path = write_png(tmp_path / "map.png", picture)
    with Image.open(path) as image:
        assert image.size == (40 * 15, 30 * 15 + 2 * LEGEND_LINE + 8)  # 15: the smallest scale to 600 px
        pixels = np.asarray(image)
    assert tuple(pixels[15 * 15, 17 * 15]) != tuple(pixels[2, 2])  # the tint shows inside the area


def test_a_png_that_cannot_be_written_names_its_path(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(TerrainDataError, match=r"file/map.png: cannot write the PNG"):
        write_png(tmp_path / "file" / "map.png", np.zeros((4, 4, 3), np.uint8))


def test_true_colour_needs_the_visible_bands() -> None:
    with pytest.raises(TerrainDataError, match=r"needs bands \['B04', 'B03', 'B02'\]"):
        true_colour(scene(np.ones((2, 4, 4))))
