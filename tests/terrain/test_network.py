"""The trained network keeps its band standardisation inside: known statistics, a saved run loads back
and predicts the same, and files that are not a terrain run are refused with what is missing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from mineguard.models.checkpoint import CheckpointError, save_checkpoint
from mineguard.terrain.classifiers import load_classifier, predict_proba
from mineguard.terrain.network import BandStandardised, band_statistics, build_classifier, load_network
from mineguard.terrain.train import TerrainTrainConfig, checkpoint_payload

TINY = {"width": 8, "growth": 4, "dense_layers": 2}


def test_band_statistics_are_per_band_over_slices_and_pixels() -> None:
    x = np.zeros((2, 3, 2, 2), np.float32)
    x[:, 0] = 1.0
    x[0, 1], x[1, 1] = 2.0, 4.0
    mean, std = band_statistics(x)
    assert mean.tolist() == pytest.approx([1.0, 3.0, 0.0])
    assert std[0] == pytest.approx(0.0) and std[1] == pytest.approx(np.std([2] * 4 + [4] * 4, ddof=1))
    with pytest.raises(ValueError, match="non-empty"):
        band_statistics(np.zeros((0, 3, 2, 2), np.float32))


def test_standardisation_feeds_the_network_zero_mean_unit_spread() -> None:
    seen = []
    model = BandStandardised(_Spy(seen), torch.tensor([1.0, 2.0]), torch.tensor([2.0, 0.0]))
    model(torch.tensor([[[[3.0]], [[2.0]]]]))
    assert seen[0].flatten().tolist() == pytest.approx([1.0, 0.0])  # (3-1)/2; a constant band is not divided by 0


def test_a_saved_run_loads_back_and_predicts_the_same(tmp_path: Path) -> None:
    torch.manual_seed(0)
    config = TerrainTrainConfig(model_kwargs=TINY)
    model = build_classifier(
        "openpit-dense", {"in_channels": 10, "num_classes": 2, **TINY}, torch.rand(10), torch.rand(10) + 0.5
    )
    bands = tuple(f"B{i}" for i in range(10))
    save_checkpoint(tmp_path / "best.pt", checkpoint_payload(model, config, 9, bands, {"kappa": 0.5}))
    x = np.random.default_rng(0).random((5, 10, 9, 9), dtype=np.float32)
    loaded = load_network(tmp_path / "best.pt")
    assert loaded.slice_size == 9 and loaded.band_names == bands
    assert torch.equal(loaded.model.mean, model.mean)
    expected = predict_proba(model, x)
    assert np.allclose(predict_proba(loaded.model, x), expected, atol=1e-6)
    classifier = load_classifier(tmp_path / "best.pt", device="cpu")
    assert classifier.slice_size == 9 and classifier.in_channels == 10
    assert np.allclose(classifier.predict(x), expected, atol=1e-6)


def test_files_that_are_not_a_terrain_run_are_refused(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        load_network(tmp_path / "missing.pt")
    save_checkpoint(tmp_path / "detector.pt", {"model_name": "yolov3-s", "model_config": {}, "model": {}})
    with pytest.raises(CheckpointError, match="missing 'slice_size' — not a MineGuard open-pit classifier"):
        load_network(tmp_path / "detector.pt")


class _Spy(torch.nn.Module):
    def __init__(self, seen: list) -> None:
        super().__init__()
        self.seen = seen

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.seen.append(x)
        return x.mean(dim=(2, 3))
