"""Predictor: a checkpoint behind one call; typed results in original pixels; bad input."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from mineguard.data.records import Detections
from mineguard.engine.config import load_train_config
from mineguard.engine.trainer import Trainer
from mineguard.runtime.predictor import Predictor, annotate, list_images


@pytest.fixture(scope="module")
def weights(tiny_helmets: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pred") / "run"
    config = load_train_config(
        {"data": str(tiny_helmets), "out_dir": str(out), "epochs": 1, "img_size": 64, "batch_size": 8, "workers": 0}
    )
    return Trainer(config).fit().best_checkpoint


def test_predict_returns_detections_in_original_pixels(weights: Path) -> None:
    predictor = Predictor(weights, conf=0.0)
    image = np.full((90, 200, 3), 40, np.uint8)
    dets = predictor.predict(image)
    assert isinstance(dets, Detections) and len(dets) > 0
    assert dets.xyxy[:, [0, 2]].max() <= 200 and dets.xyxy[:, [1, 3]].max() <= 90
    assert set(dets.class_id.tolist()) <= {0, 1}
    assert np.all(np.diff(dets.confidence) <= 0)


def test_confidence_threshold_filters(weights: Path) -> None:
    image = np.full((64, 64, 3), 40, np.uint8)
    assert len(Predictor(weights, conf=1.01).predict(image)) == 0


def test_bad_image_input_is_refused_clearly(weights: Path) -> None:
    with pytest.raises(ValueError, match="RGB uint8"):
        Predictor(weights).predict(np.zeros((10, 10), np.uint8))


def test_list_images_and_annotate(tmp_path: Path, weights: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such file"):
        list_images(tmp_path / "missing")
    with pytest.raises(ValueError, match="no images"):
        list_images(tmp_path)
    path = tmp_path / "frame.png"
    cv2.imwrite(str(path), np.full((48, 64, 3), 90, np.uint8))
    assert list_images(tmp_path) == [path]
    dets = Detections(np.array([[5, 5, 30, 30]]), np.array([1]), np.array([0.9]))
    out = annotate(path, dets, ["helmet", "no_helmet"], tmp_path / "out" / "frame.png")
    drawn = cv2.imread(str(out))
    assert drawn.shape == (48, 64, 3) and not np.all(drawn == 90)
