"""ONNX export of every zoo detector and the onnxruntime backend: parity with eager PyTorch
(raw outputs and post-processed ``Detections``), dynamic batch, metadata, and bad input."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from mineguard.data.datasets.images import read_rgb
from mineguard.data.records import Detections
from mineguard.runtime.export import export_onnx
from mineguard.runtime.inference import preprocess
from mineguard.runtime.onnx_backend import OnnxModelError, OnnxPredictor, read_metadata
from mineguard.runtime.predictor import Predictor, load_predictor
from tiny_detectors import NAMES, TESTED_DETECTORS, tiny_checkpoint

SCORE_TOL = 1e-4  # after the sigmoid
BOX_TOL = 1e-3  # pixels, per 64 px of input


def _images(tiny_helmets: Path) -> list[np.ndarray]:
    """Three generated helmet scenes: as they are, upscaled non-square, and downscaled."""
    files = sorted((tiny_helmets.parent / "test" / "images").iterdir())
    a, b, c = (read_rgb(f) for f in files[:3])
    return [a, cv2.resize(b, (160, 90)), cv2.resize(c, (40, 56))]


def assert_same_rows(eager: np.ndarray, onnx: np.ndarray, *, box_tol: float) -> None:
    """(K, 6) rows [x1, y1, x2, y2, score, class] equal up to order among near-equal scores.

    Untrained heads give many equal scores (anchors of one flat region), so float rounding may
    swap neighbours in the top-k ranking, and which of a tie group at the top-k cut gets in is
    arbitrary. So the ranked scores must agree, and each eager row above the cut must pair with
    its own ONNX row (same class, score within ``SCORE_TOL``, box within ``box_tol``).
    """
    assert eager.shape == onnx.shape
    assert np.abs(np.sort(eager[:, 4]) - np.sort(onnx[:, 4])).max(initial=0) < SCORE_TOL
    cut = min(eager[:, 4].min(initial=1), onnx[:, 4].min(initial=1)) + SCORE_TOL
    unused = np.ones(len(onnx), bool)
    for row in eager[eager[:, 4] > cut]:
        match = (
            unused
            & (onnx[:, 5] == row[5])
            & (np.abs(onnx[:, 4] - row[4]) < SCORE_TOL)
            & (np.abs(onnx[:, :4] - row[:4]).max(1) < box_tol)
        )
        assert match.any(), f"no ONNX row for eager row {row}"
        unused[np.argmax(match)] = False


def _rows(dets: Detections) -> np.ndarray:
    return np.column_stack((dets.xyxy, dets.confidence, dets.class_id.astype(np.float32)))


def assert_same_detections(eager: Detections, onnx: Detections, *, box_tol: float) -> None:
    assert_same_rows(_rows(eager), _rows(onnx), box_tol=box_tol)


@pytest.fixture(scope="module", params=TESTED_DETECTORS)
def exported(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(checkpoint, dynamic-batch .onnx beside it) of one tiny zoo model at 64 px."""
    ckpt = tiny_checkpoint(tmp_path_factory.mktemp("onnx") / f"{request.param}.pt", request.param)
    return ckpt, export_onnx(ckpt, ckpt.with_suffix(".onnx"), dynamic_batch=True)


def test_every_zoo_model_matches_eager(exported: tuple[Path, Path], tiny_helmets: Path) -> None:
    ckpt, onnx_path = exported
    eager, onnx = Predictor(ckpt, device="cpu", conf=0.0), OnnxPredictor(onnx_path, threads=1, conf=0.0)
    images = _images(tiny_helmets)
    batch = np.concatenate([preprocess(image, 64)[0] for image in images])
    raw_e, raw_o = eager.run(batch), onnx.run(batch)
    # dynamic batch of 3; K = all 84 anchor points at 64 px (YOLOv10), max_det NMS-ed rows (YOLOv3)
    assert raw_o.shape == raw_e.shape and raw_e.shape in ((3, 84, 6), (3, 300, 6))
    for e, o in zip(raw_e, raw_o, strict=True):
        assert_same_rows(e, o, box_tol=BOX_TOL)
    one_by_one = [onnx.predict(image) for image in images]
    for image, batched, single in zip(images, onnx.predict_batch(images), one_by_one, strict=True):
        assert_same_detections(eager.predict(image), single, box_tol=BOX_TOL * max(image.shape) / 64)
        assert_same_detections(batched, single, box_tol=1e-4)


def test_metadata_has_what_inference_needs(exported: tuple[Path, Path]) -> None:
    ckpt, onnx_path = exported
    meta = read_metadata(onnx_path)
    assert meta["model_name"] == ckpt.stem and meta["names"] == NAMES and meta["img_size"] == 64
    assert meta["model_config"] == {"num_classes": 2} and meta["dynamic_batch"] is True
    assert meta["output"].startswith("end2end: detections (B, K, 6)")


def test_real_helmet_images_match(shared_data: Path, tmp_path: Path) -> None:
    folder = shared_data / "helmets" / "roboflow_v3" / "valid" / "images"
    if not folder.is_dir():
        pytest.skip(f"{folder}: the helmet set is not in this copy of shared/data")
    images = [read_rgb(p) for p in sorted(folder.iterdir())[:2]]
    for name in ("yolov10n", "ca-yolov10n"):
        ckpt = tiny_checkpoint(tmp_path / f"{name}.pt", name, img_size=160)
        onnx = load_predictor(export_onnx(ckpt, tmp_path / f"{name}.onnx"), conf=0.0)
        eager = load_predictor(ckpt, backend="torch", device="cpu", conf=0.0)
        assert (onnx.backend, eager.backend) == ("onnx", "torch")
        for image in images:
            assert_same_detections(eager.predict(image), onnx.predict(image), box_tol=BOX_TOL * max(image.shape) / 64)


@pytest.mark.parametrize("name", TESTED_DETECTORS)
def test_a_rectangular_export_matches_eager_at_that_shape(name: str, tmp_path: Path, tiny_helmets: Path) -> None:
    """A 16:9 camera at (64, 128) (HxW): the letterbox pads to the rectangle, both backends agree."""
    ckpt = tiny_checkpoint(tmp_path / f"{name}.pt", name)
    onnx = OnnxPredictor(export_onnx(ckpt, tmp_path / f"{name}.onnx", img_size=(64, 128)), threads=1, conf=0.0)
    eager = Predictor(ckpt, device="cpu", img_size=(64, 128), conf=0.0)
    assert onnx.input_hw == (64, 128) and read_metadata(tmp_path / f"{name}.onnx")["img_size"] == 128
    frame = cv2.resize(_images(tiny_helmets)[0], (256, 128))
    x, ratio, pad = preprocess(frame, (64, 128))
    assert x.shape == (1, 3, 64, 128) and ratio == 0.5 and pad == (0, 0)
    assert_same_rows(eager.run(x)[0], onnx.run(x)[0], box_tol=BOX_TOL * 2)
    assert_same_detections(eager.predict(frame), onnx.predict(frame), box_tol=BOX_TOL * 4)
    with pytest.raises(ValueError, match="multiples of 32"):
        export_onnx(ckpt, tmp_path / "bad.onnx", img_size=(64, 100))


@pytest.fixture(scope="module")
def fixed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ckpt = tiny_checkpoint(tmp_path_factory.mktemp("fixed") / "yolov10n.pt", "yolov10n")
    return export_onnx(ckpt, ckpt.with_suffix(".onnx"))


def test_fixed_batch_export_runs_one_image_at_a_time(fixed: Path, tiny_helmets: Path) -> None:
    onnx = OnnxPredictor(fixed)
    assert read_metadata(fixed)["dynamic_batch"] is False
    images = _images(tiny_helmets)
    assert len(onnx.predict_batch(images)) == 3
    with pytest.raises(ValueError, match="fixed batch of 1; re-export with --dynamic-batch"):
        onnx.run(np.zeros((2, 3, 64, 64), np.float32))


def test_backend_choice(fixed: Path) -> None:
    ckpt = fixed.with_suffix(".pt")
    assert isinstance(load_predictor(fixed), OnnxPredictor)  # auto + .onnx
    assert isinstance(load_predictor(ckpt), OnnxPredictor)  # auto + .pt with a fresh export beside it
    assert isinstance(load_predictor(ckpt, backend="torch"), Predictor)
    assert isinstance(load_predictor(ckpt, img_size=128), Predictor)  # the export is at 64 px: eager at 128
    later = fixed.stat().st_mtime + 10
    os.utime(ckpt, (later, later))  # trained further since the export: the stale export is not used
    assert isinstance(load_predictor(ckpt), Predictor)
    assert isinstance(load_predictor(ckpt, backend="onnx", threads=1), OnnxPredictor)  # the .onnx beside it
    with pytest.raises(ValueError, match=r"needs the \.pt checkpoint"):
        load_predictor(fixed, backend="torch")
    with pytest.raises(ValueError, match="exported at 64 px; re-export with --img-size 128"):
        load_predictor(fixed, img_size=128)
    with pytest.raises(ValueError, match="choose auto, onnx or torch"):
        load_predictor(fixed, backend="tensorrt")  # type: ignore[arg-type]


def test_pt_without_export_says_how_to_export(tmp_path: Path) -> None:
    ckpt = tmp_path / "best.pt"
    ckpt.write_bytes(b"not used")
    with pytest.raises(FileNotFoundError, match=r"mineguard detect export --weights .*best.pt --out .*best.onnx"):
        load_predictor(ckpt, backend="onnx")


def test_missing_and_corrupt_files(tmp_path: Path, fixed: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such ONNX file"):
        load_predictor(tmp_path / "missing.onnx")
    with pytest.raises(FileNotFoundError, match="no such ONNX file"):
        read_metadata(tmp_path / "missing.onnx")
    corrupt = tmp_path / "corrupt.onnx"
    corrupt.write_bytes(fixed.read_bytes()[:2000])
    with pytest.raises(OnnxModelError, match="onnxruntime cannot load it"):
        load_predictor(corrupt)
    with pytest.raises(OnnxModelError, match="not a readable ONNX file"):
        read_metadata(corrupt)


def test_onnx_without_mineguard_metadata_is_refused(tmp_path: Path) -> None:
    import onnx
    from onnx import TensorProto, helper

    io = [helper.make_tensor_value_info(n, TensorProto.FLOAT, [1, 3, 64, 64]) for n in ("images", "out")]
    graph = helper.make_graph([helper.make_node("Identity", ["images"], ["out"])], "g", io[:1], io[1:])
    path = tmp_path / "foreign.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 19)]), str(path))
    with pytest.raises(OnnxModelError, match="no MineGuard detector metadata"):
        OnnxPredictor(path)


def test_export_refuses_bad_settings(tmp_path: Path) -> None:
    ckpt = tiny_checkpoint(tmp_path / "ca.pt", "ca-yolov10n")
    with pytest.raises(ValueError, match="DeformConv needs --opset 19"):
        export_onnx(ckpt, tmp_path / "ca.onnx", opset=17)
    with pytest.raises(ValueError, match="multiples of 32"):
        export_onnx(ckpt, tmp_path / "ca.onnx", img_size=100)
