"""``mineguard detect export`` and ``detect predict --backend``: as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from mineguard.cli import main
from tiny_detectors import tiny_checkpoint


def _predictions(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "predictions.jsonl").read_text().splitlines()]


def test_export_then_predict_with_either_backend(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ckpt = tiny_checkpoint(tmp_path / "best.pt", "yolov10n")
    assert main(["detect", "export", "--weights", str(ckpt), "--img-size", "64", "--dynamic-batch"]) == 0
    printed = capsys.readouterr().out
    assert "yolov10n -> " in printed and "input 64x64 (HxW), dynamic batch, opset 19" in printed
    onnx_path = tmp_path / "best.onnx"
    assert onnx_path.is_file()

    image = tmp_path / "images" / "frame.png"
    image.parent.mkdir()
    cv2.imwrite(str(image), np.random.default_rng(0).integers(0, 255, (48, 80, 3), dtype=np.uint8))
    common = [str(image), "--conf", "0.5", "--threads", "1"]
    assert main(["detect", "predict", *common, "--weights", str(onnx_path), "--out", str(tmp_path / "o")]) == 0
    assert main(["detect", "predict", *common, "--weights", str(ckpt), "--out", str(tmp_path / "t")]) == 0
    onnx, eager = _predictions(tmp_path / "o"), _predictions(tmp_path / "t")
    assert onnx[0]["detections"], "spread untrained outputs give detections above 0.5"
    key = [(d["class"], d["confidence"]) for d in eager[0]["detections"]]
    assert sorted(key) == sorted((d["class"], d["confidence"]) for d in onnx[0]["detections"])


def test_predict_onnx_backend_without_export_says_how(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ckpt = tiny_checkpoint(tmp_path / "best.pt", "yolov10n")
    code = main(["detect", "predict", str(tmp_path), "--weights", str(ckpt), "--backend", "onnx"])
    assert code == 2
    assert f"make it with `mineguard detect export --weights {ckpt} --out {tmp_path / 'best.onnx'}`" in (
        capsys.readouterr().err
    )


def test_export_of_a_missing_checkpoint_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["detect", "export", "--weights", str(tmp_path / "nope.pt")]) == 2
    assert "no such checkpoint" in capsys.readouterr().err


def test_export_for_a_cameras_aspect(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ckpt = tiny_checkpoint(tmp_path / "best.pt", "yolov10n")
    out = tmp_path / "wide.onnx"
    assert main(["detect", "export", "--weights", str(ckpt), "--shape", "64x128", "--out", str(out)]) == 0
    assert "input 64x128 (HxW), batch 1" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["detect", "export", "--weights", str(ckpt), "--shape", "64x100"])
    assert "give HEIGHTxWIDTH in pixels, each a multiple of 32" in capsys.readouterr().err
