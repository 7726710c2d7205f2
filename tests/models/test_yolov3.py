"""YOLOv3 and seed 000's YOLOv3-GC: sizes against the paper figures, where the GC blocks and the
reverse path are, anchors fitted and carried with the weights, and a few training steps."""

from __future__ import annotations

import pytest
import torch

from mineguard.heads.yolo_anchor import AnchorHead
from mineguard.layers.attention import GlobalContextBlock
from mineguard.models import get_model
from mineguard.models.checkpoint import load_model, save_checkpoint
from mineguard.models.zoo import FitsData

TARGETS = torch.tensor([[0, 1, 8.0, 8.0, 40.0, 40.0], [0, 0, 30.0, 4.0, 60.0, 20.0], [1, 1, 2.0, 30.0, 30.0, 62.0]])


def _params(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def test_paper_sizes() -> None:
    """YOLOv3 (416 px, COCO's 80 classes) has 61,949,149 parameters, the published 61.9 M."""
    assert _params(get_model("yolov3")) == 61_949_149
    gc = get_model("yolov3-gc")
    assert _params(gc) == 70_816_304  # + 3 GC blocks (0.18 M) + the reverse path (8.69 M)
    assert sum(_params(m) for m in gc.modules() if isinstance(m, GlobalContextBlock)) == 175_955
    assert 2.3e6 < _params(get_model("yolov3-s")) < 2.6e6
    assert 2.9e6 < _params(get_model("yolov3-gc-s")) < 3.2e6


def test_paper_model_runs_at_a_small_input() -> None:
    model = get_model("yolov3-gc", num_classes=11).eval()
    with torch.no_grad():
        assert model(torch.rand(1, 3, 64, 64)).shape == (1, 300, 6)


def test_gc_blocks_and_reverse_path_only_in_the_gc_models() -> None:
    for name, has in (("yolov3-s", False), ("yolov3-gc-s", True)):
        model = get_model(name, num_classes=2)
        assert sum(isinstance(m, GlobalContextBlock) for m in model.modules()) == (3 if has else 0)
        assert model.neck.bottom_up is has and model.config["global_context"] is has


def test_raw_maps_per_level() -> None:
    model = get_model("yolov3-gc-s", num_classes=3).train()
    maps = model.head(model.neck(model.backbone(torch.rand(2, 3, 96, 64))))
    assert [tuple(m.shape) for m in maps] == [(2, 3, 12, 8, 8), (2, 3, 6, 4, 8), (2, 3, 3, 2, 8)]
    assert isinstance(model.head, AnchorHead)


def test_anchors_are_fitted_and_saved_with_the_model(tmp_path) -> None:
    model = get_model("yolov3-s", num_classes=2)
    assert isinstance(model, FitsData)
    shapes = torch.tensor([[4.0, 5], [6, 6], [8, 12], [14, 10], [16, 20], [30, 20], [24, 30], [40, 44], [60, 50]])
    kwargs = model.fit_to_data(shapes.repeat(4, 1))
    torch.testing.assert_close(model.head.anchors, shapes.view(3, 3, 2))
    assert kwargs == {"anchors": shapes.view(3, 3, 2).tolist()} and model.config["anchors"] == kwargs["anchors"]
    path = tmp_path / "m.pt"
    save_checkpoint(
        path, {"model_name": "yolov3-s", "model_config": {"num_classes": 2, **kwargs}, "model": model.state_dict()}
    )
    loaded, _ = load_model(path)
    torch.testing.assert_close(loaded.head.anchors, shapes.view(3, 3, 2))


def test_bad_anchors_and_classes() -> None:
    with pytest.raises(ValueError, match="3 levels x A x"):
        get_model("yolov3-s", anchors=[[[1.0, 2.0]]])
    with pytest.raises(ValueError, match="num_classes must be >= 1"):
        get_model("yolov3-gc-s", num_classes=0)


@pytest.mark.parametrize("name", ["yolov3-gc-s", "yolov3-s"])
def test_three_steps_lower_the_loss(name: str) -> None:
    torch.manual_seed(0)
    model = get_model(name, num_classes=2)
    model.fit_to_data((TARGETS[:, 4:6] - TARGETS[:, 2:4]).repeat(3, 1) * torch.linspace(0.8, 1.2, 9)[:, None])
    model.head.reset_bias(64)
    images = torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    totals = []
    for _ in range(3):
        losses = model.train()(images, TARGETS)
        total = sum(losses.values())
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
        totals.append(total.item())
    assert totals[2] < totals[1] < totals[0], totals


def test_the_plain_models_have_yolov3s_loss_and_the_gc_models_eq_15() -> None:
    assert get_model("yolov3-s", num_classes=2).criterion.form == "yolov3"
    assert get_model("yolov3-gc-s", num_classes=2).criterion.form == "eq15"
    assert get_model("yolov3-s", num_classes=2, loss="eq15").config["loss"] == "eq15"  # the ablation's other cell
