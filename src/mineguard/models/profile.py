"""Model size and cost: parameters (total and inference-only), GFLOPs at a given input size.

FLOPs are counted by ``torch.utils.flop_counter`` (2 per multiply-add, the convention behind
YOLOv10-N's published 6.7 GFLOPs). The counter sees the matrix product of the CPU deformable
convolution of DyHead but not torchvision's CUDA kernel, so forward hooks add whatever part of
each deformable convolution's multiply-adds the counter did not see.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from mineguard.heads.dyhead import ModulatedDeformConv


@dataclass(frozen=True)
class ModelProfile:
    params_total: int
    params_inference: int
    gflops: float
    img_size: int
    size_mb: float

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


def _training_only_params(model: nn.Module) -> int:
    head = getattr(model, "head", None)
    if head is None or not hasattr(head, "box_o2m"):
        return 0
    return sum(p.numel() for mod in (head.box_o2m, head.cls_o2m) for p in mod.parameters())


@torch.no_grad()
def profile_model(model: nn.Module, *, img_size: int = 640) -> ModelProfile:
    """Profile ``model`` on one (1, 3, img_size, img_size) input in eval mode."""
    was_training = model.training
    model.eval()
    extra = 0.0
    counter = FlopCounterMode(display=False)
    seen_before: list[int] = []

    def before_deform(module: ModulatedDeformConv, inputs: tuple) -> None:
        seen_before.append(counter.get_total_flops())

    def count_deform(module: ModulatedDeformConv, inputs: tuple, output: torch.Tensor) -> None:
        nonlocal extra
        out_ch, in_ch, kh, kw = module.weight.shape
        expected = 2.0 * out_ch * in_ch * kh * kw * output.shape[-2] * output.shape[-1]
        seen = counter.get_total_flops() - seen_before.pop()
        extra += max(0.0, expected - seen)

    deform_convs = [m for m in model.modules() if isinstance(m, ModulatedDeformConv)]
    hooks = [m.register_forward_pre_hook(before_deform) for m in deform_convs]
    hooks += [m.register_forward_hook(count_deform) for m in deform_convs]
    try:
        device = next(model.parameters()).device
        with counter:
            model(torch.zeros(1, 3, img_size, img_size, device=device))
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    total = sum(p.numel() for p in model.parameters())
    inference = total - _training_only_params(model)
    size_mb = sum(t.numel() * t.element_size() for t in model.state_dict().values()) / 2**20
    return ModelProfile(total, inference, (counter.get_total_flops() + extra) / 1e9, img_size, size_mb)
