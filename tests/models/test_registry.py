"""Every registered detector builds, trains (dict of losses, gradients) and predicts."""

from __future__ import annotations

import pytest
import torch

from mineguard.layers.attention import CoordinateAttention
from mineguard.models import get_model, list_models, register_model

TARGETS = torch.tensor(
    [
        [0, 1, 8.0, 8.0, 40.0, 40.0],
        [0, 0, 30.0, 4.0, 60.0, 20.0],
        [1, 1, 2.0, 30.0, 30.0, 62.0],
    ]
)
LOSS_TERMS = {
    "yolov10": {"box_om", "cls_om", "dfl_om", "box_oo", "cls_oo", "dfl_oo"},
    "yolov3": {"box", "conf", "cls"},
    "faster-rcnn": {"loss_classifier", "loss_box_reg", "loss_objectness", "loss_rpn_box_reg"},
    "ssd": {"bbox_regression", "classification"},
}
MAX_DET = {
    "yolov3": 300,
    "faster-rcnn": 300,
    "ssd": 300,
    "yolov10": 8 * 8 + 4 * 4 + 2 * 2,
}  # YOLOv10: top-k of 84 points at 64 px


def _family(name: str) -> str:
    """yolov3*, faster-rcnn-*, ssd*; the rest (yolov10n*, ca-yolov10n) are YOLOv10."""
    return next((f for f in ("yolov3", "faster-rcnn", "ssd") if name.startswith(f)), "yolov10")


# the paper-size models (scale="full") are tested on their own in tests/models/test_yolov3.py
SMALL_DETECTORS = [n for n in list_models("detect") if n not in list_models(scale="full")]
# terrain classifiers (seed 004); AlexNet and VGG (scale="full") in tests/models/test_terrain_baselines.py
SMALL_TERRAIN = [n for n in list_models("terrain") if n not in list_models(scale="full")]


def _params(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("name", SMALL_DETECTORS)
def test_every_model_trains_and_predicts(name: str) -> None:
    torch.manual_seed(0)
    model = get_model(name, num_classes=2)
    images = torch.rand(2, 3, 64, 64)

    model.train()
    losses = model(images, TARGETS)
    family = _family(name)
    assert set(losses) == LOSS_TERMS[family] == set(model.loss_terms)
    assert all(v.shape == () and torch.isfinite(v) and v >= 0 for v in losses.values())
    sum(losses.values()).backward()
    trainable = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    with_grad = [(n, p) for n, p in trainable if p.grad is not None]
    for n, p in with_grad:
        assert torch.isfinite(p.grad).all(), f"{name}: non-finite gradient in {n}"
    assert len(with_grad) >= 0.95 * len(trainable), f"{name}: {len(trainable) - len(with_grad)} params without grad"

    model.eval()
    with torch.no_grad():
        out = model(images)
    assert out.ndim == 3 and out.shape[0] == 2 and out.shape[2] == 6
    # YOLOv10: the top-k of all anchor points; the others: max_det NMS-ed rows, zero-padded
    assert out.shape[1] == MAX_DET[family]
    assert torch.isfinite(out).all()


def test_training_without_targets_says_what_to_do() -> None:
    model = get_model("yolov10n", num_classes=2).train()
    with pytest.raises(ValueError, match="training mode needs targets"):
        model(torch.rand(1, 3, 64, 64))


def test_get_model_unknown_name_lists_the_registered_ones() -> None:
    with pytest.raises(ValueError, match="unknown model 'yolov99'") as info:
        get_model("yolov99")
    for name in list_models():
        assert name in str(info.value)


def test_models_are_listed_by_task() -> None:
    assert "yolov10n" in list_models("detect") and "yolov10n" not in list_models("face")
    assert {"dsr-inception", "googlenet-face", "vgg16-face", "resnet18-face"} <= set(list_models("face"))
    assert "openpit-dense" in list_models("terrain") and "openpit-dense" not in list_models("detect")
    assert set(list_models()) == set(list_models("detect")) | set(list_models("face")) | set(list_models("terrain"))


def test_registering_a_name_twice_is_an_error() -> None:
    with pytest.raises(ValueError, match="registered twice"):
        register_model("yolov10n")(lambda **kw: None)


def test_expected_variants_are_registered() -> None:
    assert set(list_models()) >= {
        "yolov10n",
        "yolov10n-se",
        "yolov10n-bam",
        "yolov10n-ca",
        "yolov10n-dyhead",
        "yolov10n-ca-dyhead",
        "ca-yolov10n",
        "yolov3",
        "yolov3-gc",
        "yolov3-s",
        "yolov3-gc-s",
    }
    assert set(list_models("detect", scale="full")) == {"yolov3", "yolov3-gc", "faster-rcnn-r50", "ssd300-vgg16"}
    assert set(list_models("detect", role="baseline")) == set(list_models(runtime="eager"))
    assert set(list_models("detect", role="baseline")) == {
        "faster-rcnn-mnv3",
        "faster-rcnn-r50",
        "ssdlite-mnv3",
        "ssd300-vgg16",
    }


@pytest.mark.parametrize("name", ["yolov10n-ca", "yolov10n-se", "yolov10n-bam", "yolov10n"])
def test_bad_attention_position(name: str) -> None:
    with pytest.raises(ValueError, match="attention_position 'after_sppf'"):
        get_model(name, attention_position="after_sppf")


@pytest.mark.parametrize("num_classes", [0, -1])
def test_bad_num_classes(num_classes: int) -> None:
    with pytest.raises(ValueError, match="num_classes must be >= 1"):
        get_model("yolov10n", num_classes=num_classes)


@pytest.mark.parametrize(
    ("position", "attribute"),
    [("before_psa", "backbone.attn_before"), ("after_psa", "backbone.attn_after"), ("after_c2fcib", "neck.attn")],
)
def test_coordinate_attention_goes_where_it_says(position: str, attribute: str) -> None:
    model = get_model("yolov10n-ca", num_classes=2, attention_position=position)
    slots = {
        "backbone.attn_before": model.backbone.attn_before,
        "backbone.attn_after": model.backbone.attn_after,
        "neck.attn": model.neck.attn,
    }
    for slot, module in slots.items():
        if slot == attribute:
            assert isinstance(module, CoordinateAttention)
            assert module.conv_h.out_channels == 256  # P5 width at the n scale
        else:
            assert module is None, f"{slot} should be empty for {position}"
    assert sum(isinstance(m, CoordinateAttention) for m in model.modules()) == 1
    assert model.config["attention"] == "ca" and model.config["attention_position"] == position


def test_baseline_has_no_attention_and_paper_model_has_ca_dyhead_eiou() -> None:
    base = get_model("yolov10n", num_classes=2)
    assert base.backbone.attn_before is None and base.backbone.attn_after is None and base.neck.attn is None
    assert base.head.dyhead is None and base.config["box_loss"] == "ciou"
    paper = get_model("ca-yolov10n", num_classes=2)
    assert isinstance(paper.backbone.attn_after, CoordinateAttention)
    assert len(paper.head.dyhead.blocks) == 2
    assert paper.config["box_loss"] == "eiou"


def test_dyhead_parameters_grow_with_depth() -> None:
    counts = [_params(get_model("yolov10n-dyhead", num_classes=2, dyhead_depth=d)) for d in (1, 2, 3)]
    assert counts[0] < counts[1] < counts[2]
    assert counts[2] - counts[1] == counts[1] - counts[0]  # one identical block each
    with pytest.raises(ValueError, match="depth must be 1, 2 or 3"):
        get_model("yolov10n-dyhead", dyhead_depth=4)


@pytest.mark.parametrize("name", ["yolov10n", "ca-yolov10n"])
def test_channels_last_inference_gives_the_same_detections(name: str) -> None:
    torch.manual_seed(0)
    model = get_model(name, num_classes=2).eval()
    images = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        ref = model(images)
        model.to(memory_format=torch.channels_last)
        got = model(images.to(memory_format=torch.channels_last))
    assert got.shape == ref.shape
    # rows with near-equal scores may swap places: compare the score column (descending in both)
    torch.testing.assert_close(got[..., 4], ref[..., 4], rtol=0, atol=1e-4)


@pytest.mark.parametrize("name", SMALL_TERRAIN)
def test_every_terrain_classifier_trains_and_predicts(name: str) -> None:
    torch.manual_seed(0)
    model = get_model(name, in_channels=10, num_classes=3)
    slices = torch.rand(2, 10, 18, 18)
    model.train()
    loss = torch.nn.functional.cross_entropy(model(slices), torch.tensor([0, 2]))
    loss.backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert all(g is not None and torch.isfinite(g).all() for g in grads), f"{name}: missing or non-finite gradient"
    model.eval()
    with torch.no_grad():
        logits = model(slices)
    assert logits.shape == (2, 3) and torch.isfinite(logits).all()


@pytest.mark.parametrize("name", list_models("terrain"))
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"in_channels": 0}, "in_channels must be >= 1"), ({"num_classes": 1}, "num_classes must be >= 2")],
)
def test_terrain_classifiers_reject_bad_bands_and_classes(name: str, kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        get_model(name, **kwargs)
