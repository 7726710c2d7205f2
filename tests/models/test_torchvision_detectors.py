"""Seed 000's comparison detectors from torchvision behind the zoo's interface: labels, outputs, sizes, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from mineguard.models import get_model, list_models
from mineguard.models.torchvision_detectors import MAX_DET, _pack, _per_image
from mineguard.runtime.export import export_model

TARGETS = torch.tensor([[0, 1, 8.0, 8.0, 40.0, 40.0], [0, 0, 30.0, 4.0, 60.0, 20.0], [1, 1, 2.0, 30.0, 30.0, 62.0]])


def test_a_data_set_class_is_torchvision_label_plus_one_per_image() -> None:
    per_image = _per_image(TARGETS, 3)
    assert [t["labels"].tolist() for t in per_image] == [[2, 1], [2], []]
    torch.testing.assert_close(per_image[0]["boxes"], TARGETS[:2, 2:6])
    assert per_image[2]["boxes"].shape == (0, 4)  # an image without boxes is a background image


def test_outputs_are_packed_into_rows_with_classes_back_and_zero_padding() -> None:
    results = [
        {
            "boxes": torch.tensor([[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]),
            "scores": torch.tensor([0.9, 0.2]),
            "labels": torch.tensor([1, 3]),
        },
        {"boxes": torch.zeros(0, 4), "scores": torch.zeros(0), "labels": torch.zeros(0, dtype=torch.long)},
    ]
    out = _pack(results, 2, torch.device("cpu"))
    assert out.shape == (2, MAX_DET, 6)
    torch.testing.assert_close(out[0, 0], torch.tensor([1.0, 2.0, 3.0, 4.0, 0.9, 0.0]))
    torch.testing.assert_close(out[0, 1], torch.tensor([5.0, 6.0, 7.0, 8.0, 0.2, 2.0]))
    assert (out[0, 2:] == 0).all() and (out[1] == 0).all()


@pytest.mark.parametrize("name", ["faster-rcnn-mnv3", "ssdlite-mnv3"])
def test_a_rectangular_input_gives_boxes_inside_it(name: str) -> None:
    torch.manual_seed(0)
    model = get_model(name, num_classes=3).eval()
    with torch.no_grad():
        out = model(torch.rand(1, 3, 64, 128))
    rows = out[0][out[0, :, 4] > 0]
    assert len(rows) > 0
    assert (rows[:, [0, 2]] >= -1e-3).all() and (rows[:, [0, 2]] <= 128 + 1e-3).all()
    assert (rows[:, [1, 3]] >= -1e-3).all() and (rows[:, [1, 3]] <= 64 + 1e-3).all()
    assert set(rows[:, 5].long().tolist()) <= {0, 1, 2}


def test_faster_rcnn_sees_the_input_at_its_own_size() -> None:
    model = get_model("faster-rcnn-mnv3", num_classes=2).eval()
    with torch.no_grad():
        model(torch.rand(1, 3, 96, 160))
    assert model.net.transform.min_size == (96,) and model.net.transform.max_size == 160
    # the CPU variant samples 128 proposals an image for its box head (torchvision's default: 512)
    assert model.net.roi_heads.fg_bg_sampler.batch_size_per_image == 128


@pytest.mark.parametrize(
    ("name", "millions"),
    [("faster-rcnn-mnv3", 18.97), ("ssdlite-mnv3", 2.25), ("faster-rcnn-r50", 41.37), ("ssd300-vgg16", 24.15)],
)
def test_parameter_counts_are_torchvisions(name: str, millions: float) -> None:
    model = get_model(name, num_classes=4)
    assert sum(p.numel() for p in model.parameters()) / 1e6 == pytest.approx(millions, abs=0.01)
    assert model.num_classes == 4


@pytest.mark.parametrize("name", list_models(runtime="eager"))
def test_bad_num_classes_is_named(name: str) -> None:
    with pytest.raises(ValueError, match="num_classes must be >= 1"):
        get_model(name, num_classes=0)


def test_training_without_targets_says_what_to_do() -> None:
    model = get_model("ssdlite-mnv3", num_classes=2).train()
    with pytest.raises(ValueError, match="training mode needs targets"):
        model(torch.rand(1, 3, 64, 64))


def test_export_refuses_an_eager_only_baseline_with_advice(tmp_path: Path) -> None:
    model = get_model("ssdlite-mnv3", num_classes=2)
    with pytest.raises(ValueError, match=r"eager PyTorch only.*detect val\|predict"):
        export_model(model, tmp_path / "x.onnx", model_name="ssdlite-mnv3", names=["a", "b"], img_size=64)
    assert not (tmp_path / "x.onnx").exists()
