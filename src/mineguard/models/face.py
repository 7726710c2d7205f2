"""Miner face recognition: DSR-Inception (seed 002 §2.4, Fig. 1-2) and the baselines of its Table 4.

Every model here is a ``FaceClassifier``: five stages that each halve the image, an embedding
(pooling, plus VGG's fully connected layers) and a classifier::

    x (B, C, H, W) -> stages[0..4] -> (B, c5, H/32, W/32) -> embedding -> (B, D) -> classifier -> (B, num_classes)

``forward`` returns logits (the paper ends in a sigmoid; apply softmax/sigmoid outside);
``embed`` returns the penultimate feature (B, D), not normalised — L2-normalise it for matching.
The five stages are the "Conv1..Conv5" of the transfer strategies of seed 002 Table 3, which
``freeze_stages`` and ``TRANSFER_STRATEGIES`` implement for every model.

Baselines (seed 002 §3.3) come from torchvision with ``weights=None`` (nothing is downloaded);
with ``in_channels=1`` their first convolution's kernel is summed over R, G, B, so a grey crop
gives what the RGB network would give on that crop repeated to three channels.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import torch
import torchvision
from torch import nn

from mineguard.layers.inception import DSInception
from mineguard.models.zoo import register_model

FACE_MODELS = ("dsr-inception", "googlenet-face", "vgg16-face", "resnet18-face")
MIN_SIZE = 32  # five halvings

# Seed 002 Table 3: transfer strategy -> number of leading stages (Conv1..Conv5) frozen when
# fine-tuning a CelebA-pretrained model on the miner-face (MF) set.
TRANSFER_STRATEGIES: dict[str, int] = {
    "a": 0,  # "without retraining": taken as no stage frozen, the base of the sweep (the wording is ambiguous)
    "b": 1,  # freeze Conv1, retrain the rest
    "c": 2,  # freeze Conv1~2, retrain the rest
    "d": 3,  # freeze Conv1~3, retrain the rest — the best strategy in the paper (Appendix 6)
    "e": 4,  # freeze Conv1~4, retrain the rest
    "f": 5,  # freeze all convolution layers: only the classifier is retrained
}


class FaceClassifier(nn.Module):
    """Five stages -> embedding (B, embed_dim) -> classifier logits (B, num_classes)."""

    def __init__(
        self,
        stages: Sequence[nn.Module],
        embedding: nn.Module,
        classifier: nn.Module,
        *,
        in_channels: int,
        embed_dim: int,
        config: dict | None = None,
    ) -> None:
        super().__init__()
        if len(stages) != 5:
            raise ValueError(f"a face classifier has 5 stages (seed 002 Conv1..Conv5), got {len(stages)}")
        self.stages = nn.ModuleList(stages)
        self.embedding = embedding
        self.classifier = classifier
        self.in_channels = in_channels
        self.embed_dim = embed_dim
        self.frozen_stages = 0
        self.config = dict(config or {})

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, in_channels, H, W), H and W >= 32 -> last stage map (B, c5, ~H/32, ~W/32)."""
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"expected images (B, {self.in_channels}, H, W), got {tuple(x.shape)}")
        if min(x.shape[-2:]) < MIN_SIZE:
            raise ValueError(f"face crops must be at least {MIN_SIZE}x{MIN_SIZE} px, got {tuple(x.shape[-2:])}")
        for stage in self.stages:
            x = stage(x)
        return x

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, in_channels, H, W) -> penultimate feature (B, embed_dim), not normalised."""
        return self.embedding(self.features(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, in_channels, H, W) -> logits (B, num_classes)."""
        return self.classifier(self.embed(x))

    def classifier_weight(self) -> torch.Tensor:
        """The last linear layer's weight (num_classes, embed_dim): class directions for margin losses."""
        linear = [m for m in self.classifier.modules() if isinstance(m, nn.Linear)]
        if not linear:
            raise ValueError("this classifier has no linear layer to take class weights from")
        return linear[-1].weight

    def train(self, mode: bool = True) -> FaceClassifier:
        """Like ``nn.Module.train``, but frozen stages stay in eval mode (BatchNorm statistics fixed)."""
        super().train(mode)
        for stage in self.stages[: self.frozen_stages]:
            stage.eval()
        return self


def freeze_stages(model: FaceClassifier, n: int) -> FaceClassifier:
    """Freeze stages 0..n-1 and make stages n..4 trainable (seed 002 Table 3; ``TRANSFER_STRATEGIES``).

    Frozen stages get ``requires_grad=False`` and stay in eval mode — their BatchNorm layers use
    and keep the pretrained running statistics — even after a later ``model.train()``. The
    embedding and classifier are left as they are. ``n=0`` unfreezes every stage. Returns ``model``.
    """
    if not 0 <= n <= len(model.stages):
        raise ValueError(f"n must be between 0 and {len(model.stages)} stages, got {n}")
    for i, stage in enumerate(model.stages):
        stage.requires_grad_(i >= n)
    model.frozen_stages = n
    return model.train(model.training)


def _check(num_classes: int, in_channels: int, dropout: float) -> None:
    if num_classes < 1:
        raise ValueError(f"num_classes must be >= 1, got {num_classes}")
    if in_channels < 1:
        raise ValueError(f"in_channels must be >= 1 (1 for grey faces, 3 for colour), got {in_channels}")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")


def _pooled() -> nn.Sequential:
    return nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(1))


class DSRInception(FaceClassifier):
    """DSR-Inception network of seed 002 §2.4: VGG-16's five conv modules replaced by DS-Inception.

    Each stage is DS-Inception -> ReLU -> BatchNorm -> 2x2 max-pool (the order of seed 002 Fig. 2;
    the ReLU is kept as drawn although the block's output, a sum of ReLUs, is already >= 0).
    At width 1.0 a 224x224x3 face becomes 7x7x1024 after stage 5, then global average pooling
    -> dropout -> linear classifier (the paper's sigmoid output layer is left to the caller).

    Args:
        num_classes: identities (40 in the MF data set, seed 002 §3.2).
        width: multiplier of ``stage_channels`` (0.25 -> 16..256 channels).
        in_channels: 3 for colour faces, 1 for grey.
        dropout: rate before the classifier (not given in the paper).
        stage_channels: output channels of the five stages at width 1.0.
    """

    def __init__(
        self,
        *,
        num_classes: int = 40,
        width: float = 1.0,
        in_channels: int = 3,
        dropout: float = 0.5,
        stage_channels: Sequence[int] = (64, 128, 256, 512, 1024),
    ) -> None:
        _check(num_classes, in_channels, dropout)
        if width <= 0:
            raise ValueError(f"width must be > 0, got {width}")
        widths = [max(4, round(c * width)) for c in stage_channels]
        stages, cin = [], in_channels
        for cout in widths:
            stages.append(
                nn.Sequential(
                    OrderedDict(
                        block=DSInception(cin, cout),
                        act=nn.ReLU(inplace=True),
                        bn=nn.BatchNorm2d(cout),
                        pool=nn.MaxPool2d(2, 2),
                    )
                )
            )
            cin = cout
        config = {"num_classes": num_classes, "width": width, "in_channels": in_channels, "dropout": dropout}
        head = nn.Sequential(nn.Dropout(dropout), nn.Linear(cin, num_classes))
        super().__init__(stages, _pooled(), head, in_channels=in_channels, embed_dim=cin, config=config)


def _grey_input(conv: nn.Conv2d) -> nn.Conv2d:
    """One-channel copy of an RGB first convolution, its kernel summed over the three inputs."""
    grey = nn.Conv2d(1, conv.out_channels, conv.kernel_size, conv.stride, conv.padding, bias=conv.bias is not None)
    with torch.no_grad():
        grey.weight.copy_(conv.weight.sum(dim=1, keepdim=True))
        if conv.bias is not None:
            grey.bias.copy_(conv.bias)
    return grey


def _check_rgb_or_grey(in_channels: int) -> None:
    if in_channels not in (1, 3):
        raise ValueError(f"torchvision baselines take in_channels 1 (grey) or 3 (colour), got {in_channels}")


@register_model("dsr-inception", task="face")
def dsr_inception(
    *, num_classes: int = 40, width: float = 1.0, in_channels: int = 3, dropout: float = 0.5
) -> DSRInception:
    """DSR-Inception, seed 002 Fig. 1."""
    return DSRInception(num_classes=num_classes, width=width, in_channels=in_channels, dropout=dropout)


@register_model("googlenet-face", task="face")
def googlenet_face(*, num_classes: int = 40, in_channels: int = 3, dropout: float = 0.2) -> FaceClassifier:
    """Inception-v1 (GoogLeNet) without auxiliary heads; embedding 1024-d after global pooling."""
    _check(num_classes, in_channels, dropout)
    _check_rgb_or_grey(in_channels)
    net = torchvision.models.googlenet(
        weights=None, num_classes=num_classes, aux_logits=False, init_weights=True, dropout=dropout
    )
    if in_channels == 1:
        net.conv1.conv = _grey_input(net.conv1.conv)
    stages = [
        nn.Sequential(net.conv1, net.maxpool1),
        nn.Sequential(net.conv2, net.conv3, net.maxpool2),
        nn.Sequential(net.inception3a, net.inception3b, net.maxpool3),
        nn.Sequential(*(getattr(net, f"inception4{i}") for i in "abcde"), net.maxpool4),
        nn.Sequential(net.inception5a, net.inception5b),
    ]
    config = {"num_classes": num_classes, "in_channels": in_channels, "dropout": dropout}
    head = nn.Sequential(net.dropout, net.fc)
    return FaceClassifier(stages, _pooled(), head, in_channels=in_channels, embed_dim=1024, config=config)


@register_model("vgg16-face", task="face")
def vgg16_face(
    *, num_classes: int = 40, in_channels: int = 3, dropout: float = 0.5, batch_norm: bool = False
) -> FaceClassifier:
    """VGG-16 (no BatchNorm, as in seed 002's baseline) with its fc6-fc7 head; embedding = fc7 output, 4096-d.

    torchvision's adaptive 7x7 pooling lets it take 112 px faces (3x3 maps, repeated to 7x7).
    ``batch_norm=True`` is VGG-16-BN, the nearest variant that trains from scratch on a few hundred
    photos (``docs/results/faces.md``, "VGG-16").
    """
    _check(num_classes, in_channels, dropout)
    _check_rgb_or_grey(in_channels)
    build = torchvision.models.vgg16_bn if batch_norm else torchvision.models.vgg16
    net = build(weights=None, num_classes=num_classes, dropout=dropout)
    if in_channels == 1:
        net.features[0] = _grey_input(net.features[0])
    stages, layers = [], []
    for layer in net.features:  # a stage ends at each of the five max-pools
        layers.append(layer)
        if isinstance(layer, nn.MaxPool2d):
            stages.append(nn.Sequential(*layers))
            layers = []
    embedding = nn.Sequential(net.avgpool, nn.Flatten(1), *net.classifier[:5])  # fc6 ReLU dropout fc7 ReLU
    config = {"num_classes": num_classes, "in_channels": in_channels, "dropout": dropout, "batch_norm": batch_norm}
    head = nn.Sequential(*net.classifier[5:])  # dropout, fc8
    return FaceClassifier(stages, embedding, head, in_channels=in_channels, embed_dim=4096, config=config)


@register_model("resnet18-face", task="face")
def resnet18_face(*, num_classes: int = 40, in_channels: int = 3, dropout: float = 0.0) -> FaceClassifier:
    """ResNet-18; stage 1 is the stem (conv1, BN, ReLU, max-pool), stages 2-5 are layer1-4; embedding 512-d.

    ``dropout`` before the final layer is an addition (0 by default, as in torchvision).
    """
    _check(num_classes, in_channels, dropout)
    _check_rgb_or_grey(in_channels)
    net = torchvision.models.resnet18(weights=None, num_classes=num_classes)
    if in_channels == 1:
        net.conv1 = _grey_input(net.conv1)
    stages = [nn.Sequential(net.conv1, net.bn1, net.relu, net.maxpool), net.layer1, net.layer2, net.layer3, net.layer4]
    config = {"num_classes": num_classes, "in_channels": in_channels, "dropout": dropout}
    head = nn.Sequential(nn.Dropout(dropout), net.fc)
    return FaceClassifier(stages, _pooled(), head, in_channels=in_channels, embed_dim=512, config=config)
