"""profile_model: parameters and GFLOPs against YOLOv10-N's published numbers, deform-conv FLOPs."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torchvision.ops import deform_conv2d

import mineguard.heads.dyhead as dyhead_module
from mineguard.heads.dyhead import ModulatedDeformConv
from mineguard.models import get_model
from mineguard.models.profile import ModelProfile, profile_model


@pytest.fixture(scope="module")
def profiles_640() -> dict[str, ModelProfile]:
    """One profile per model at 640 px, 80 classes (each costs a few seconds on CPU)."""
    torch.manual_seed(0)
    return {
        name: profile_model(get_model(name, num_classes=80), img_size=640)
        for name in ("yolov10n", "ca-yolov10n", "yolov10n-dyhead")
    }


@pytest.mark.slow
def test_yolov10n_matches_published_size_and_cost(profiles_640: dict[str, ModelProfile]) -> None:
    """YOLOv10-N: 2.3 M parameters and 6.7 GFLOPs at 640 (Wang et al. 2024, Table 1)."""
    p = profiles_640["yolov10n"]
    assert 2.2e6 <= p.params_inference <= 2.4e6
    assert 6.5 <= p.gflops <= 7.0
    assert p.params_total > p.params_inference  # the one-to-many branch is training-only
    assert p.img_size == 640
    assert p.size_mb == pytest.approx(p.params_total * 4 / 2**20, rel=0.02)  # float32 + BN buffers


@pytest.mark.slow
def test_variants_cost_more_and_deform_flops_are_counted(profiles_640: dict[str, ModelProfile]) -> None:
    base, paper, dyhead = profiles_640["yolov10n"], profiles_640["ca-yolov10n"], profiles_640["yolov10n-dyhead"]
    assert paper.gflops > base.gflops
    assert dyhead.gflops - base.gflops > 1.0  # two DyHead blocks on 80/40/20 px pyramids of 64 channels
    assert paper.gflops > dyhead.gflops  # + coordinate attention


class _DeformOnly(nn.Module):
    """A 'model' made of one deformable conv on a 16-channel lift of the image, zero offsets."""

    def __init__(self) -> None:
        super().__init__()
        self.deform = ModulatedDeformConv(3, 8)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, _, h, w = x.shape
        return self.deform(x, x.new_zeros(b, 18, h, w), x.new_ones(b, 9, h, w))


def _expected_gflops(size: int) -> float:
    return 2 * 8 * 3 * 9 * size * size / 1e9  # 2 FLOPs per multiply-add of the 3x3 conv


def test_deform_conv_flops_counted_once() -> None:
    """The CPU implementation's matrix product is seen by the FLOP counter; the hook must not
    add the same multiply-adds a second time."""
    p = profile_model(_DeformOnly(), img_size=32)
    assert p.gflops == pytest.approx(_expected_gflops(32), rel=1e-6)


def test_deform_conv_flops_counted_when_the_counter_cannot_see_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """torchvision's kernel (the CUDA path) is opaque to the counter: the hook adds the FLOPs."""

    def opaque(
        x: torch.Tensor,
        offset: torch.Tensor,
        mask: torch.Tensor,
        weight: torch.Tensor,
        *,
        stride: int = 1,
        padding: int = 1,
    ) -> torch.Tensor:
        return deform_conv2d(x, offset, weight, stride=stride, padding=padding, mask=mask)

    monkeypatch.setattr(dyhead_module, "modulated_deform_conv2d", opaque)
    p = profile_model(_DeformOnly(), img_size=32)
    assert p.gflops == pytest.approx(_expected_gflops(32), rel=1e-6)


def test_profile_restores_training_mode_and_counts_parameters() -> None:
    model = _DeformOnly().train()
    p = profile_model(model, img_size=16)
    assert model.training
    assert p.params_total == p.params_inference == 8 * 3 * 9 + 2 * 8  # weight + GroupNorm affine
    assert set(p.to_dict()) == {"params_total", "params_inference", "gflops", "img_size", "size_mb"}
