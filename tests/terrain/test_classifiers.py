"""Any classifier as ``predict(slices) -> probabilities``: a torch module (two logits: softmax; one:
sigmoid) and an ONNX file run by onnxruntime (dynamic or fixed batch) give the same answers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from mineguard.terrain.classifiers import load_classifier, probabilities, torch_classifier
from mineguard.terrain.raster import TerrainDataError
from terrain_scenes import mean_logits_onnx

SLICES = np.random.default_rng(1).uniform(0, 1, (5, 3, 6, 6)).astype(np.float32)


class MeanLogits(nn.Module):
    """Logits (no pit, pit) = (-k·mean(band 0), k·mean(band 0) - k/2) over the slice."""

    def __init__(self, outputs: int) -> None:
        super().__init__()
        self.outputs = outputs

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        m = x[:, 0].mean(dim=(1, 2)) * 8
        return torch.stack([-m, m - 4], 1) if self.outputs == 2 else (2 * m - 4)[:, None]


def expected() -> np.ndarray:
    m = SLICES[:, 0].mean(axis=(1, 2)) * 8
    return 1 / (1 + np.exp(-(2 * m - 4)))


@pytest.mark.parametrize("outputs", [1, 2])
def test_a_torch_module_gives_probabilities(outputs: int) -> None:
    predict = torch_classifier(MeanLogits(outputs), device="cpu")
    np.testing.assert_allclose(predict(SLICES), expected(), rtol=1e-5)


def test_logits_of_another_shape_are_refused() -> None:
    with pytest.raises(TerrainDataError, match=r"shape \(2, 3\)"):
        probabilities(np.zeros((2, 3)))


@pytest.mark.parametrize("batch", ["N", 1])
def test_an_onnx_file_gives_the_same_probabilities(tmp_path: Path, batch: int | str) -> None:
    classifier = load_classifier(mean_logits_onnx(tmp_path / "c.onnx", channels=3, size=6, batch=batch))
    assert (classifier.slice_size, classifier.in_channels) == (6, 3)
    np.testing.assert_allclose(classifier.predict(SLICES), expected(), rtol=1e-5)


def test_unknown_or_broken_weights_are_named(tmp_path: Path) -> None:
    with pytest.raises(TerrainDataError, match=r"w.h5: unknown weights format '.h5'"):
        load_classifier(tmp_path / "w.h5")
    (tmp_path / "w.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match=r"w.pt: not a readable PyTorch checkpoint"):
        load_classifier(tmp_path / "w.pt")
