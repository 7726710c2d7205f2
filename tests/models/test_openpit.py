"""openpit-dense (seed 004 §3.2): slice sizes of Table 3, ablation switches, gradients, ONNX parity."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from mineguard.layers.attention import ConvolutionalBlockAttention, SqueezeExcitation
from mineguard.layers.dense import DenseBlock
from mineguard.layers.pan import PathAggregation
from mineguard.layers.rfb import ReceptiveFieldBlockSmall
from mineguard.models import get_model
from mineguard.models.openpit import OpenPitDenseNet

SWITCHES = {
    "se": ("se", SqueezeExcitation),
    "cbam": ("cbam", ConvolutionalBlockAttention),
    "pan": ("pan", PathAggregation),
    "rfb": ("rfb", ReceptiveFieldBlockSmall),
}


def _params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def _count(model: nn.Module, kind: type[nn.Module]) -> int:
    return sum(isinstance(m, kind) for m in model.modules())


@pytest.fixture(scope="module")
def model() -> OpenPitDenseNet:
    torch.manual_seed(0)
    return get_model("openpit-dense").eval()


@pytest.mark.parametrize("size", [3, 6, 9, 18, 36, 64])
def test_logits_at_every_slice_size_of_table_3(model: OpenPitDenseNet, size: int) -> None:
    with torch.no_grad():
        logits = model(torch.rand(2, 10, size, size))
    assert logits.shape == (2, 2) and torch.isfinite(logits).all()


def test_default_is_small_and_built_as_the_paper_orders_it(model: OpenPitDenseNet) -> None:
    assert 50_000 < _params(model) < 1_000_000
    assert len(model.stem) == 2 and isinstance(model.dense, DenseBlock) and len(model.dense.layers) == 8
    assert model.dense.out_channels == 32 + 8 * 16
    assert isinstance(model.se, SqueezeExcitation) and isinstance(model.cbam, ConvolutionalBlockAttention)
    assert _count(model, ConvolutionalBlockAttention) == 1 + 3  # after SE, and on each fused PAN map
    assert isinstance(model.rfb, ReceptiveFieldBlockSmall)
    assert model.classifier.in_features == 3 * 64


def test_levels_shrink_only_while_large(model: OpenPitDenseNet) -> None:
    with torch.no_grad():
        assert [lv.shape[-1] for lv in model.levels(torch.rand(1, 10, 18, 18))] == [18, 9, 5]
        assert [lv.shape[-1] for lv in model.levels(torch.rand(1, 10, 3, 3))] == [3, 3, 3]


@pytest.mark.parametrize("switch", sorted(SWITCHES))
def test_each_switch_removes_its_module(switch: str) -> None:
    attribute, kind = SWITCHES[switch]
    full, ablated = OpenPitDenseNet(width=8, growth=4), OpenPitDenseNet(width=8, growth=4, **{switch: False})
    assert getattr(ablated, attribute) is None and _count(ablated, kind) == 0
    assert _params(ablated) < _params(full)
    with torch.no_grad():
        assert ablated.eval()(torch.rand(2, 10, 9, 9)).shape == (2, 2)


def test_everything_off_is_stem_dense_levels_and_head() -> None:
    bare = OpenPitDenseNet(width=8, growth=4, se=False, cbam=False, pan=False, rfb=False)
    assert not any(_count(bare, kind) for _, kind in SWITCHES.values())
    assert bare.classifier.in_features == 16
    with torch.no_grad():
        assert bare.eval()(torch.rand(1, 10, 18, 18)).shape == (1, 2)


def test_a_training_step_reaches_every_parameter() -> None:
    torch.manual_seed(0)
    model = OpenPitDenseNet(width=8, growth=4).train()
    loss = nn.functional.cross_entropy(model(torch.rand(4, 10, 18, 18)), torch.tensor([0, 1, 1, 0]))
    loss.backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, f"{name}: zero gradient"


def test_bands_classes_and_rebuild_from_config() -> None:
    model = get_model("openpit-dense", in_channels=4, num_classes=5, width=8, growth=4, rfb=False)
    with torch.no_grad():
        assert model.eval()(torch.rand(3, 4, 6, 6)).shape == (3, 5)
    again = get_model("openpit-dense", **model.config)
    assert again.state_dict().keys() == model.state_dict().keys()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"in_channels": 0}, "in_channels must be >= 1"),
        ({"num_classes": 1}, "num_classes must be >= 2"),
        ({"width": 0}, "width and growth must be >= 1"),
    ],
)
def test_bad_arguments_say_what_is_wrong(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        get_model("openpit-dense", **kwargs)


def test_wrong_band_count_is_a_clear_error(model: OpenPitDenseNet) -> None:
    with pytest.raises(ValueError, match=r"expected slices \(B, 10, H, W\), got \(1, 3, 18, 18\)"):
        model(torch.rand(1, 3, 18, 18))


def test_channels_last_gives_the_same_logits(model: OpenPitDenseNet) -> None:
    x = torch.rand(2, 10, 18, 18)
    with torch.no_grad():
        ref = model(x)
        got = model.to(memory_format=torch.channels_last)(x.to(memory_format=torch.channels_last))
        model.to(memory_format=torch.contiguous_format)
    torch.testing.assert_close(got, ref, rtol=0, atol=1e-5)


@pytest.mark.parametrize("size", [3, 18])
def test_onnx_export_matches_torch(size: int, tmp_path: Path) -> None:
    ort = pytest.importorskip("onnxruntime")
    torch.manual_seed(0)
    model = OpenPitDenseNet(width=8, growth=4).eval()
    x = torch.rand(2, 10, size, size)
    path = tmp_path / "openpit.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer notes on Python ints: the slice size is fixed at export
        torch.onnx.export(
            model,
            (x,),
            str(path),
            dynamo=False,
            opset_version=17,
            input_names=["slices"],
            output_names=["logits"],
            dynamic_axes={"slices": {0: "batch"}, "logits": {0: "batch"}},
        )
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    for batch in (x, torch.rand(5, 10, size, size)):
        with torch.no_grad():
            expected = model(batch).numpy()
        (got,) = session.run(None, {"slices": batch.numpy()})
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-4)
