"""Seed 004 Table 5's comparison networks: every one builds and classifies a 1 x 10 x 18 x 18 slice."""

from __future__ import annotations

import pytest
import torch
import torchvision
from torch import nn

from mineguard.models import get_model, list_models
from mineguard.models.terrain_baselines import MIN_SIDE, ResizeToMinSide, TerrainBaseline

BASELINES = sorted(MIN_SIDE)
FULL = set(list_models("terrain", scale="full"))
# AlexNet and VGG keep their 4096-wide classifiers (57-139 M parameters): a second or so to build
PARAMS = [pytest.param(n, marks=pytest.mark.slow) if n in FULL else n for n in BASELINES]


def _first_conv(model: TerrainBaseline) -> nn.Conv2d:
    return next(m for m in model.net.modules() if isinstance(m, nn.Conv2d))


def test_table_5_networks_are_registered_as_terrain_baselines() -> None:
    table_5 = ("alexnet", "vgg16", "vgg19", "googlenet", "resnet50", "densenet121", "mobilenetv2")  # SSD detects
    assert set(list_models("terrain", role="baseline")) == {f"terrain-{n}" for n in table_5} == set(BASELINES)
    assert list_models("terrain", scale="full") == ["terrain-alexnet", "terrain-vgg16", "terrain-vgg19"]


@pytest.mark.parametrize("name", PARAMS)
def test_builds_and_classifies_one_slice(name: str) -> None:
    torch.manual_seed(0)
    model = get_model(name).eval()
    assert isinstance(model, TerrainBaseline) and _first_conv(model).in_channels == 10
    x = torch.rand(1, 10, 18, 18)
    assert model.resize(x).shape == (1, 10, MIN_SIDE[name], MIN_SIDE[name])
    with torch.no_grad():
        logits = model(x)
    assert logits.shape == (1, 2) and torch.isfinite(logits).all()


@pytest.mark.parametrize("size", [62, 63])
def test_alexnet_needs_63_px(size: int) -> None:
    features = torchvision.models.alexnet(weights=None).features.eval()
    x = torch.rand(1, 3, size, size)
    with torch.no_grad():
        if size < MIN_SIDE["terrain-alexnet"]:
            with pytest.raises(RuntimeError):
                features(x)
        else:
            assert features(x).shape == (1, 256, 1, 1)


def test_resize_keeps_aspect_and_leaves_large_slices_alone() -> None:
    resize = ResizeToMinSide(32)
    assert resize(torch.rand(1, 3, 18, 18)).shape[-2:] == (32, 32)
    assert resize(torch.rand(1, 3, 10, 20)).shape[-2:] == (32, 64)
    large = torch.rand(1, 3, 36, 40)
    assert resize(large) is large
    constant = torch.full((1, 2, 5, 5), 0.7)
    torch.testing.assert_close(resize(constant), torch.full((1, 2, 32, 32), 0.7))  # bilinear: no new values


def test_wrong_band_count_is_a_clear_error() -> None:
    model = get_model("terrain-mobilenetv2", in_channels=4, num_classes=3).eval()
    with torch.no_grad():
        assert model(torch.rand(1, 4, 9, 9)).shape == (1, 3)
    with pytest.raises(ValueError, match=r"expected slices \(B, 4, H, W\)"):
        model(torch.rand(1, 10, 9, 9))
