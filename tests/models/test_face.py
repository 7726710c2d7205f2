"""Face models of seed 002: DSR-Inception shapes, the torchvision baselines, transfer-strategy freezing."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from mineguard.layers.inception import DSInception
from mineguard.models import get_model, list_models
from mineguard.models.face import FACE_MODELS, TRANSFER_STRATEGIES, DSRInception, FaceClassifier, freeze_stages

EMBED_DIMS = {"dsr-inception": 1024, "googlenet-face": 1024, "vgg16-face": 4096, "resnet18-face": 512}
# VGG-16 keeps its 4096-wide fc6/fc7 head (134 M parameters): building it takes a few seconds.
FACE_PARAMS = [pytest.param(n, marks=pytest.mark.slow) if n == "vgg16-face" else n for n in FACE_MODELS]


@pytest.fixture(scope="module")
def small() -> DSRInception:
    torch.manual_seed(0)
    return DSRInception(num_classes=5, width=0.125)


def test_face_models_are_registered() -> None:
    assert set(FACE_MODELS) <= set(list_models())
    assert set(FACE_MODELS) == set(EMBED_DIMS)


@torch.no_grad()
def test_dsr_inception_224_gives_7x7x1024_after_stage_5() -> None:
    """Seed 002 §2.4: 224x224x3 -> 224x224x64 after the first DS-Inception ... -> 7x7x1024."""
    torch.manual_seed(0)
    model = DSRInception(num_classes=40).eval()
    x = torch.rand(1, 3, 224, 224)
    assert model.stages[0].block(x).shape == (1, 64, 224, 224)
    assert model.features(x).shape == (1, 1024, 7, 7)
    assert model.embed_dim == 1024


def test_stage_is_ds_inception_relu_bn_pool(small: DSRInception) -> None:
    assert len(small.stages) == 5 and isinstance(small.stages, nn.ModuleList)
    for stage in small.stages:
        assert [type(m) for m in stage] == [DSInception, nn.ReLU, nn.BatchNorm2d, nn.MaxPool2d]
    assert [s.block.residual[0].out_channels for s in small.stages] == [8, 16, 32, 64, 128]


@torch.no_grad()
def test_112_px_logits_and_unnormalised_embedding(small: DSRInception) -> None:
    small.eval()
    x = torch.rand(2, 3, 112, 112)
    assert small.features(x).shape == (2, 128, 3, 3)
    emb = small.embed(x)
    assert emb.shape == (2, 128)
    assert not torch.allclose(emb.norm(dim=1), torch.ones(2))
    torch.testing.assert_close(small(x), small.classifier(emb))
    assert small(x).shape == (2, 5)


def test_width_quarter_gives_16_to_256_channels_and_grey_input() -> None:
    model = DSRInception(num_classes=3, width=0.25, in_channels=1)
    assert [s.block.residual[0].out_channels for s in model.stages] == [16, 32, 64, 128, 256]
    assert model.embed(torch.rand(1, 1, 64, 64)).shape == (1, 256)


def test_training_step_reaches_every_parameter(small: DSRInception) -> None:
    small.train()
    loss = nn.functional.cross_entropy(small(torch.rand(2, 3, 64, 64)), torch.tensor([0, 4]))
    small.zero_grad()
    loss.backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in small.parameters())


@pytest.mark.parametrize("name", FACE_PARAMS)
def test_every_face_model_builds_and_runs_at_112_px(name: str) -> None:
    torch.manual_seed(0)
    model = get_model(name, num_classes=5).eval()
    assert isinstance(model, FaceClassifier) and len(model.stages) == 5
    with torch.no_grad():
        x = torch.rand(2, 3, 112, 112)
        logits, emb = model(x), model.embed(x)
    assert logits.shape == (2, 5) and torch.isfinite(logits).all()
    assert emb.shape == (2, EMBED_DIMS[name])


@pytest.mark.parametrize("name", ["googlenet-face", "resnet18-face"])  # VGG-16 shares the code, at 20x the cost
def test_grey_baseline_equals_rgb_baseline_on_repeated_grey(name: str) -> None:
    torch.manual_seed(0)
    rgb = get_model(name, num_classes=5).eval()
    torch.manual_seed(0)
    grey = get_model(name, num_classes=5, in_channels=1).eval()
    x = torch.rand(1, 1, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(grey(x), rgb(x.repeat(1, 3, 1, 1)), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"num_classes": 0}, "num_classes must be >= 1"),
        ({"width": 0.0}, "width must be > 0"),
        ({"dropout": 1.0}, "dropout must be in"),
    ],
)
def test_bad_builder_arguments(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        get_model("dsr-inception", **kwargs)


@pytest.mark.parametrize("name", ["googlenet-face", "resnet18-face"])
def test_baselines_take_grey_or_colour_only(name: str) -> None:
    with pytest.raises(ValueError, match=r"in_channels 1 \(grey\) or 3"):
        get_model(name, in_channels=4)


def test_bad_input_says_what_is_expected(small: DSRInception) -> None:
    with pytest.raises(ValueError, match="at least 32x32"):
        small(torch.rand(1, 3, 16, 16))
    with pytest.raises(ValueError, match=r"expected images \(B, 3, H, W\)"):
        small(torch.rand(1, 1, 64, 64))


def test_transfer_strategies_follow_table_3() -> None:
    assert TRANSFER_STRATEGIES == {"a": 0, "b": 1, "c": 2, "d": 3, "e": 4, "f": 5}


@pytest.mark.parametrize("strategy", sorted(TRANSFER_STRATEGIES))
def test_freeze_stages_freezes_exactly_the_leading_stages(strategy: str) -> None:
    model = DSRInception(num_classes=5, width=0.125)
    n = TRANSFER_STRATEGIES[strategy]
    assert freeze_stages(model, n) is model
    for i, stage in enumerate(model.stages):
        assert all(p.requires_grad == (i >= n) for p in stage.parameters()), f"stage {i}"
    assert all(p.requires_grad for p in model.classifier.parameters())
    frozen = {name for name, p in model.named_parameters() if not p.requires_grad}
    assert frozen == {name for name, _ in model.named_parameters() if name.startswith("stages.") and int(name[7]) < n}


def test_frozen_batchnorm_keeps_its_statistics_after_train() -> None:
    torch.manual_seed(0)
    model = freeze_stages(DSRInception(num_classes=5, width=0.125), 3)
    model.train()
    assert [s.training for s in model.stages] == [False, False, False, True, True]
    before = [s.bn.running_mean.clone() for s in model.stages]
    model(torch.rand(2, 3, 32, 32))
    after = [s.bn.running_mean for s in model.stages]
    assert [torch.equal(b, a) for b, a in zip(before, after, strict=True)] == [True, True, True, False, False]
    freeze_stages(model, 0)
    assert all(p.requires_grad for p in model.parameters()) and all(s.training for s in model.stages)
    with pytest.raises(ValueError, match="between 0 and 5"):
        freeze_stages(model, 6)


def test_freeze_stages_works_on_a_baseline() -> None:
    model = freeze_stages(get_model("resnet18-face", num_classes=5), TRANSFER_STRATEGIES["d"])
    assert not any(p.requires_grad for p in model.stages[2].parameters())
    assert all(p.requires_grad for p in model.stages[3].parameters())


@pytest.mark.slow
def test_vgg16_bn_variant_has_batch_norm_and_class_weights() -> None:
    model = get_model("vgg16-face", num_classes=3, in_channels=1, batch_norm=True)
    assert sum(isinstance(m, nn.BatchNorm2d) for m in model.modules()) == 13
    assert model.config["batch_norm"] is True
    assert model.classifier_weight().shape == (3, 4096)


def test_classifier_weight_is_the_last_linear(small: DSRInception) -> None:
    assert small.classifier_weight() is small.classifier[-1].weight
