"""ONNX export of a detector checkpoint: the end-to-end (NMS-free) graph plus what inference needs.

The exported graph takes ``images`` (B, 3, S, S) or (B, 3, H, W) float32 in [0, 1] (letterboxed RGB) and returns
``detections`` (B, K, 6) rows [x1, y1, x2, y2, score, class] in letterboxed input pixels — the
eager model's eval output, so both backends share one post-processing
(``mineguard.runtime.inference.outputs_to_detections``). The file's ``metadata_props`` hold the
class names, input size, model name and config, batch mode and output format
(:data:`METADATA_KEYS`); :func:`read_metadata` reads them back.

DyHead's modulated deformable convolution is written as the ONNX ``DeformConv`` op (opset 19):
onnxruntime (1.32) runs it on CPU, equal to ``torchvision.ops.deform_conv2d`` (max abs difference
0.0 on random inputs), and CA-YOLOv10n at 320 px ran as fast with it as with the exported
``grid_sample`` formulation of ``mineguard.ops.deform`` (61 vs 63 ms, one thread), in a graph of
one standard node per conv instead of ~15. So the graph keeps the operator the paper names; a
DyHead model therefore needs ``opset >= 19``.

Exporter: the TorchScript exporter (``dynamo=False``). The dynamo exporter of torch 2.14 gives
the same graph (with an onnxscript translation of ``torchvision::deform_conv2d``) but took 4x
longer on this project's 2-core machines (42 s vs 11 s for CA-YOLOv10n), for no gain at run time.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import torch
from torch import nn

from mineguard.models import list_models
from mineguard.models.checkpoint import load_model

OUTPUT_FORMAT = "end2end: detections (B, K, 6) = x1, y1, x2, y2 (letterboxed input pixels), score, class; no NMS"
METADATA_KEYS = (
    "mineguard_format",
    "model_name",
    "model_config",
    "names",
    "img_size",
    "input_hw",
    "dynamic_batch",
    "output",
)
FORMAT_VERSION = "mineguard-detector-onnx/1"
DEFORM_OPSET = 19


def _deform_conv_symbolic(
    g: Any,
    x: Any,
    weight: Any,
    offset: Any,
    mask: Any,
    bias: Any,
    stride_h: int,
    stride_w: int,
    pad_h: int,
    pad_w: int,
    dil_h: int,
    dil_w: int,
    n_weight_grps: int,
    n_offset_grps: int,
    use_mask: bool,
) -> Any:
    """``torchvision::deform_conv2d`` -> ONNX ``DeformConv`` (same input order and offset layout)."""
    return g.op(
        "DeformConv",
        x,
        weight,
        offset,
        bias,
        mask,
        strides_i=[stride_h, stride_w],
        pads_i=[pad_h, pad_w, pad_h, pad_w],
        dilations_i=[dil_h, dil_w],
        group_i=n_weight_grps,
        offset_group_i=n_offset_grps,
    )


def _register_deform_conv() -> None:
    from torch.onnx import register_custom_op_symbolic, symbolic_helper

    symbolic = symbolic_helper.parse_args("v", "v", "v", "v", "v", "i", "i", "i", "i", "i", "i", "i", "i", "b")(
        _deform_conv_symbolic
    )
    register_custom_op_symbolic("torchvision::deform_conv2d", symbolic, DEFORM_OPSET)


def _has_deform_conv(model: nn.Module) -> bool:
    return bool(model.config.get("dyhead_depth")) if hasattr(model, "config") else False


def export_model(
    model: nn.Module,
    out: str | Path,
    *,
    model_name: str,
    names: list[str],
    img_size: int | tuple[int, int],
    model_config: dict[str, Any] | None = None,
    dynamic_batch: bool = False,
    opset: int = DEFORM_OPSET,
) -> Path:
    """Write ``model`` (a zoo detector, put in eval mode) to ``out`` as ONNX with its metadata;
    ``model_config`` is the builder's keyword arguments (``get_model(model_name, **model_config)``).
    ``img_size`` is a square side or ``(height, width)``: a rectangular input for a camera's aspect
    (``(192, 320)`` for 16:9 at 320) runs on ~40 % fewer pixels than the square one."""
    import onnx

    if model_name in list_models(runtime="eager"):
        raise ValueError(
            f"{model_name} is one of seed 000's comparison detectors from torchvision and runs in eager "
            "PyTorch only: score or use its .pt with 'mineguard detect val|predict --weights RUN/best.pt'; "
            "export a YOLO model of the zoo for onnxruntime"
        )
    height, width = (img_size, img_size) if isinstance(img_size, int) else img_size
    if height % 32 or width % 32 or height <= 0 or width <= 0:
        raise ValueError(f"img_size must be multiples of 32 (the coarsest stride), got {height}x{width} (HxW)")
    if _has_deform_conv(model) and opset < DEFORM_OPSET:
        raise ValueError(
            f"{model_name} has a DyHead: its DeformConv needs --opset {DEFORM_OPSET} or higher, got {opset}"
        )
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    model = model.eval().cpu()
    _register_deform_conv()
    dynamic_axes = {"images": {0: "batch"}, "detections": {0: "batch"}} if dynamic_batch else None
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # tracer notes on Python ints (shapes are fixed by img_size)
        torch.onnx.export(
            model,
            (torch.zeros(1, 3, height, width),),
            str(out),
            dynamo=False,
            opset_version=opset,
            input_names=["images"],
            output_names=["detections"],
            dynamic_axes=dynamic_axes,
        )
    graph = onnx.load(str(out))
    meta = {
        "mineguard_format": FORMAT_VERSION,
        "model_name": model_name,
        "model_config": json.dumps(model_config or {}),
        "names": json.dumps(list(names)),
        "img_size": str(max(height, width)),
        "input_hw": json.dumps([height, width]),
        "dynamic_batch": json.dumps(dynamic_batch),
        "output": OUTPUT_FORMAT,
    }
    onnx.helper.set_model_props(graph, meta)
    graph.producer_name = "mineguard"
    onnx.checker.check_model(graph)
    onnx.save(graph, str(out))
    return out


def export_onnx(
    weights: str | Path,
    out: str | Path,
    *,
    img_size: int | tuple[int, int] | None = None,
    dynamic_batch: bool = False,
    opset: int = DEFORM_OPSET,
) -> Path:
    """Export the detector checkpoint ``weights`` (.pt) to ``out`` (.onnx); returns ``out``."""
    model, ckpt = load_model(weights)
    return export_model(
        model,
        out,
        model_name=ckpt["model_name"],
        names=list(ckpt["names"]),
        img_size=img_size or int(ckpt.get("img_size", 640)),
        model_config=ckpt["model_config"],
        dynamic_batch=dynamic_batch,
        opset=opset,
    )


def export_command(weights: str | Path) -> str:
    """The command that makes the .onnx beside ``weights`` (for error messages)."""
    weights = Path(weights)
    return f"mineguard detect export --weights {weights} --out {weights.with_suffix('.onnx')}"
