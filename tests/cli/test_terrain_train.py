"""``mineguard terrain train`` and ``terrain eval`` as a user runs them, on a folder laid out like the
Strzegom set (``img_train/`` + ``training_masks/`` GeoTIFFs, five dates, six quarries): the run writes
best.pt, prints the hold-out scores, and eval scores the same held-out slices at the paper's
thresholds; a wrong folder or foreign weights are an error naming what to pass (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mineguard.cli import main
from mineguard.models.checkpoint import save_checkpoint
from terrain_scenes import CRS, TRANSFORM, make_site, write_scene

TINY = '{"width": 8, "growth": 4, "dense_layers": 2}'


def site_folder(root: Path) -> Path:
    import rasterio
    from affine import Affine

    (root / "img_train").mkdir(parents=True)
    (root / "training_masks").mkdir()
    rng = np.random.default_rng(0)
    for scene, mask in make_site():
        name = f"synthetic_{scene.taken:%Y%m%d}.tif"
        noisy = scene.bands + rng.normal(0, 0.02, scene.bands.shape)
        write_scene(root / "img_train" / name, np.clip(noisy * 10_000, 1, 60_000))
        profile = {"driver": "GTiff", "height": 100, "width": 100, "count": 1, "dtype": "float32"}
        with rasterio.open(root / "training_masks" / name, "w", crs=CRS, transform=Affine(*TRANSFORM), **profile) as f:
            f.write(mask.astype(np.float32)[None])
    return root


def json_lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def test_train_then_eval_scores_the_held_out_blocks_and_dates(tmp_path: Path, capsys) -> None:
    data = site_folder(tmp_path / "site")
    split = ["--block-size", "25", "--buffer", "2", "--slice", "6", "--stride", "3"]
    args = ["terrain", "train", "--data", str(data), "--out", str(tmp_path / "run"), *split]
    assert main([*args, "--model-kwargs", TINY, "--epochs", "3", "--optimizer", "adam"]) == 0
    [trained] = json_lines(capsys.readouterr().out)
    assert Path(trained["weights"]).is_file() and trained["epochs"] >= 1
    assert trained["split"]["test_dates"] == ["2022-10-12", "2023-02-09"] and trained["split"]["test"]["positive"] > 0
    assert set(trained["test"]) >= {"precision", "recall", "overall_accuracy", "f1", "kappa"}
    assert main(["terrain", "eval", "--data", str(data), "--weights", trained["weights"]]) == 0
    [scored] = json_lines(capsys.readouterr().out)
    assert list(scored["test"]) == ["0.5", "0.7", "0.8", "0.9"] and scored["slice_size"] == 6
    assert scored["test"]["0.5"] == trained["test"]  # the same slices, the same weights
    assert scored["split"]["test"] == trained["split"]["test"]
    onnx_file = tmp_path / "s6.onnx"
    assert main(["terrain", "export", "--weights", trained["weights"], "--out", str(onnx_file)]) == 0
    [exported] = json_lines(capsys.readouterr().out)
    assert exported["slice_size"] == 6 and len(exported["bands"]) == 10
    from mineguard.terrain.classifiers import load_classifier

    torch_run, onnx_run = load_classifier(trained["weights"], device="cpu"), load_classifier(onnx_file)
    x = np.random.default_rng(1).random((7, 10, 6, 6), dtype=np.float32) * 0.4
    assert onnx_run.slice_size == 6 and np.allclose(onnx_run.predict(x), torch_run.predict(x), atol=1e-4)


def test_bad_inputs_are_errors_that_say_what_to_pass(tmp_path: Path, capsys) -> None:
    out = ["--out", str(tmp_path / "run")]
    assert main(["terrain", "train", "--data", str(tmp_path / "nowhere"), *out]) == 2
    assert "no such folder — expected img_train/ and training_masks/" in capsys.readouterr().err
    data = site_folder(tmp_path / "site")
    assert main(["terrain", "train", "--data", str(data), *out, "--model-kwargs", "[1]"]) == 2
    assert "--model-kwargs must be a JSON object" in capsys.readouterr().err
    save_checkpoint(tmp_path / "detector.pt", {"model_name": "yolov3-s", "model_config": {}, "model": {}})
    assert main(["terrain", "eval", "--data", str(data), "--weights", str(tmp_path / "detector.pt")]) == 2
    assert "not a MineGuard open-pit classifier" in capsys.readouterr().err


@pytest.mark.parametrize("optimizer", ["sgd", "rmsprop"])
def test_each_optimiser_of_table_4_trains(tmp_path: Path, optimizer: str, capsys) -> None:
    data = site_folder(tmp_path / "site")
    args = ["terrain", "train", "--data", str(data), "--out", str(tmp_path / "run"), "--block-size", "25"]
    args += ["--buffer", "2", "--slice", "9", "--model-kwargs", TINY, "--epochs", "1", "--optimizer", optimizer]
    assert main(args) == 0
    [trained] = json_lines(capsys.readouterr().out)
    assert trained["epochs"] == 1 and trained["val"]["val_loss"] > 0
