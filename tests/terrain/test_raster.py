"""Scenes and masks: the real Strzegom GeoTIFFs read by band name, NumPy / PNG stacks, each bad input."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mineguard.terrain.raster import S2_BANDS, BandConfig, TerrainDataError, date_from_name, read_mask, read_scene

STRZEGOM = Path("satellite/s2_quarry_strzegom")


def _write_tif(path: Path, data: np.ndarray, *, names: tuple[str, ...] | None = None, crs: str | None = None) -> Path:
    import rasterio
    from rasterio.transform import from_origin

    profile = {
        "driver": "GTiff",
        "height": data.shape[1],
        "width": data.shape[2],
        "count": data.shape[0],
        "dtype": data.dtype.name,
    }
    if crs:
        profile.update(crs=crs, transform=from_origin(500000.0, 5600000.0, 10.0, 10.0))
    with rasterio.open(path, "w", **profile) as dataset:
        dataset.write(data)
        if names:
            dataset.descriptions = names
    return path


def test_real_scene_read_by_band_name(shared_data: Path) -> None:
    import rasterio

    path = shared_data / STRZEGOM / "img_train" / "strzegom_20220719_33u.tif"
    scene = read_scene(path, BandConfig(bands=("B08", "B04")))
    with rasterio.open(path) as dataset:
        raw = dataset.read()
    assert scene.bands.shape == (2, 401, 401) and scene.bands.dtype == np.float32
    assert scene.taken == date(2022, 7, 19)
    assert scene.crs == "EPSG:32633" and scene.pixel_area_m2 == pytest.approx(100.0)
    scene.require_georeference()
    inside = scene.valid
    np.testing.assert_allclose(scene.bands[0][inside], raw[S2_BANDS.index("B08")][inside] * 1e-4, rtol=1e-6)
    np.testing.assert_allclose(scene.bands[1][inside], raw[S2_BANDS.index("B04")][inside] * 1e-4, rtol=1e-6)
    assert np.all(scene.bands[:, ~inside] == 0.0)  # nodata pixels are zero and flagged invalid
    assert 0 < (~inside).sum() < 0.05 * inside.size

    mask = read_mask(shared_data / STRZEGOM / "training_masks" / path.name, shape=scene.shape)
    assert mask.dtype == np.int16 and set(np.unique(mask)) <= set(range(11))
    assert (mask == 10).sum() > 1000


def test_npy_stack(tmp_path: Path) -> None:
    raw = np.full((3, 5, 4), 2000, dtype=np.uint16)
    raw[1, 2, 3] = 0  # nodata in one band makes the pixel invalid
    np.save(tmp_path / "site_20220101.npy", raw)
    scene = read_scene(tmp_path / "site_20220101.npy", BandConfig(bands=("B02", "B03", "B04")))
    assert scene.shape == (5, 4) and scene.taken == date(2022, 1, 1)
    assert scene.valid.sum() == 19 and not scene.valid[2, 3]
    assert scene.bands[0, 0, 0] == pytest.approx(0.2)
    assert scene.crs is None and scene.pixel_area_m2 is None
    with pytest.raises(TerrainDataError, match="no CRS"):
        scene.require_georeference()


def test_png_stacks(tmp_path: Path) -> None:
    rgb = np.full((6, 7, 3), 100, dtype=np.uint8)
    Image.fromarray(rgb).save(tmp_path / "rgb.png")
    scene = read_scene(tmp_path / "rgb.png", BandConfig(bands=("B04", "B03", "B02"), scale=1 / 255))
    assert scene.bands.shape == (3, 6, 7) and scene.bands[2, 0, 0] == pytest.approx(100 / 255)
    assert scene.taken is None

    Image.fromarray(np.full((6, 7), 50, dtype=np.uint8)).save(tmp_path / "gray.png")
    gray = read_scene(tmp_path / "gray.png", BandConfig(bands=("B08",), scale=1.0))
    assert gray.bands.shape == (1, 6, 7) and gray.bands.max() == 50.0


def test_wrong_band_count(tmp_path: Path) -> None:
    np.save(tmp_path / "two.npy", np.ones((2, 4, 4), dtype=np.float32))
    with pytest.raises(TerrainDataError, match=r"two\.npy: has 2 unnamed band\(s\), expected 3"):
        read_scene(tmp_path / "two.npy", BandConfig(bands=("B02", "B03", "B04")))


def test_missing_band_name(tmp_path: Path) -> None:
    path = _write_tif(tmp_path / "named.tif", np.ones((2, 4, 4), np.uint16), names=("B02", "B03"))
    assert read_scene(path, BandConfig(bands=("B03",))).bands.shape == (1, 4, 4)
    with pytest.raises(TerrainDataError, match=r"named\.tif: has bands \['B02', 'B03'\], not \['B08'\]"):
        read_scene(path, BandConfig(bands=("B03", "B08")))


def test_all_nodata(tmp_path: Path) -> None:
    np.save(tmp_path / "empty.npy", np.zeros((1, 4, 4), dtype=np.uint16))
    with pytest.raises(TerrainDataError, match=r"empty\.npy: every pixel is nodata"):
        read_scene(tmp_path / "empty.npy", BandConfig(bands=("B08",)))


def test_unknown_format_and_missing_file(tmp_path: Path) -> None:
    (tmp_path / "scene.jp2").write_bytes(b"\x00")
    with pytest.raises(TerrainDataError, match=r"unknown scene format '\.jp2'"):
        read_scene(tmp_path / "scene.jp2")
    with pytest.raises(TerrainDataError, match="unknown mask format"):
        read_mask(tmp_path / "scene.jp2")
    with pytest.raises(TerrainDataError, match="no such scene file"):
        read_scene(tmp_path / "absent.tif")
    (tmp_path / "broken.tif").write_bytes(b"not a tiff")
    with pytest.raises(TerrainDataError, match="cannot be read as a GeoTIFF"):
        read_scene(tmp_path / "broken.tif")


def test_bad_band_config() -> None:
    with pytest.raises(TerrainDataError, match="distinct"):
        BandConfig(bands=("B02", "B02"))
    with pytest.raises(TerrainDataError, match="scale"):
        BandConfig(scale=0.0)
    with pytest.raises(TerrainDataError, match="'B99' is not among"):
        BandConfig().index("B99")
    assert BandConfig().index("B08") == 6


def test_masks(tmp_path: Path) -> None:
    good = np.zeros((4, 5), dtype=np.float32)
    good[1, 1], good[2, 3] = 10.0, np.nan  # NaN reads as not labelled
    np.save(tmp_path / "good.npy", good)
    mask = read_mask(tmp_path / "good.npy", shape=(4, 5))
    assert mask.dtype == np.int16 and mask[1, 1] == 10 and mask[2, 3] == 0

    with pytest.raises(TerrainDataError, match=r"good\.npy: mask is 4x5 px, its scene 5x5"):
        read_mask(tmp_path / "good.npy", shape=(5, 5))
    np.save(tmp_path / "fraction.npy", np.full((4, 5), 2.5, dtype=np.float32))
    with pytest.raises(TerrainDataError, match="whole class ids"):
        read_mask(tmp_path / "fraction.npy")
    np.save(tmp_path / "negative.npy", np.full((4, 5), -1, dtype=np.int32))
    with pytest.raises(TerrainDataError, match="whole class ids"):
        read_mask(tmp_path / "negative.npy")
    np.save(tmp_path / "two_bands.npy", np.zeros((2, 4, 5), dtype=np.uint8))
    with pytest.raises(TerrainDataError, match="one band of class ids, this file has 2"):
        read_mask(tmp_path / "two_bands.npy")
    tif = _write_tif(tmp_path / "mask.tif", np.full((1, 4, 5), 3, np.uint8), crs="EPSG:32633")
    assert read_mask(tif).tolist() == np.full((4, 5), 3).tolist()


def test_date_from_name() -> None:
    assert date_from_name(Path("strzegom_20210619_33u.tif")) == date(2021, 6, 19)
    assert date_from_name(Path("tile_20221399_x_20230209.tif")) == date(2023, 2, 9)  # month 13 skipped
    assert date_from_name(Path("scene.tif")) is None
    assert date_from_name(Path("id_120210619.tif")) is None  # nine digits are not a date


def test_pixel_area_only_in_linear_units(tmp_path: Path) -> None:
    data = np.full((1, 3, 3), 500, np.uint16)
    assert (
        read_scene(_write_tif(tmp_path / "utm.tif", data, crs="EPSG:32633"), BandConfig(bands=("B08",))).pixel_area_m2
        == 100.0
    )
    feet = read_scene(_write_tif(tmp_path / "ft.tif", data, crs="EPSG:2263"), BandConfig(bands=("B08",)))
    assert feet.pixel_area_m2 == pytest.approx(100.0 * 0.3048006096**2)
    degrees = read_scene(_write_tif(tmp_path / "deg.tif", data, crs="EPSG:4326"), BandConfig(bands=("B08",)))
    assert degrees.crs == "EPSG:4326" and degrees.pixel_area_m2 is None  # 10 x 10 degrees is no area in m2


def test_mask_file_nodata_is_not_labelled(tmp_path: Path) -> None:
    import rasterio

    path = _write_tif(tmp_path / "mask255.tif", np.array([[[10, 255], [3, 255]]], np.uint8), crs="EPSG:32633")
    with rasterio.open(path, "r+") as dataset:
        dataset.nodata = 255
    assert read_mask(path).tolist() == [[10, 0], [3, 0]]
