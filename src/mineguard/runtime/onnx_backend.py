"""``OnnxPredictor``: an exported detector run by onnxruntime on CPU, same ``Detections`` as eager.

Same letterbox (``inference.preprocess``) and post-processing (``inference.outputs_to_detections``)
as the eager ``Predictor``; the ONNX output stays numpy. ``threads`` sets onnxruntime's intra-op
threads (``None``: onnxruntime's default, one per physical core).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from mineguard.data.datasets.images import read_rgb
from mineguard.data.records import Detections
from mineguard.runtime.export import FORMAT_VERSION
from mineguard.runtime.inference import PredictTimes, outputs_to_detections, predict_timed, preprocess


class OnnxModelError(ValueError):
    """A file that is not a readable MineGuard detector ONNX export."""


def read_metadata(path: str | Path) -> dict[str, Any]:
    """The metadata an export wrote (names, img_size, model_name, ...), decoded; a clear error otherwise."""
    import onnx

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such ONNX file")
    try:
        props = {p.key: p.value for p in onnx.load(str(path), load_external_data=False).metadata_props}
    except Exception as exc:
        raise OnnxModelError(f"{path}: not a readable ONNX file ({exc.__class__.__name__})") from None
    return _decode(path, props)


def _decode(path: Path, props: dict[str, str]) -> dict[str, Any]:
    if props.get("mineguard_format") != FORMAT_VERSION:
        raise OnnxModelError(
            f"{path}: no MineGuard detector metadata (mineguard_format={props.get('mineguard_format')!r}) — "
            "make it with `mineguard detect export`"
        )
    return {
        "model_name": props["model_name"],
        "model_config": json.loads(props["model_config"]),
        "names": json.loads(props["names"]),
        "img_size": int(props["img_size"]),
        "input_hw": tuple(json.loads(props["input_hw"])) if "input_hw" in props else (int(props["img_size"]),) * 2,
        "dynamic_batch": json.loads(props["dynamic_batch"]),
        "output": props["output"],
    }


def open_session(weights: str | Path, *, threads: int | None = None) -> Any:
    """An onnxruntime CPU ``InferenceSession`` for ``weights`` (``threads``: intra-op threads);
    a missing file or one onnxruntime cannot load is a clear error naming the file."""
    import onnxruntime as ort

    weights = Path(weights)
    if not weights.is_file():
        raise FileNotFoundError(f"{weights}: no such ONNX file")
    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    try:
        return ort.InferenceSession(str(weights), options, providers=["CPUExecutionProvider"])
    except Exception as exc:
        first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else exc.__class__.__name__
        raise OnnxModelError(f"{weights}: onnxruntime cannot load it ({first})") from None


class OnnxPredictor:
    """Run an exported detector (.onnx) on RGB images (H, W, 3) uint8; boxes in original pixels."""

    backend = "onnx"

    def __init__(self, weights: str | Path, *, threads: int | None = None, conf: float = 0.25) -> None:
        weights = Path(weights)
        self.session = open_session(weights, threads=threads)
        meta = _decode(weights, self.session.get_modelmeta().custom_metadata_map)
        self.metadata = meta
        self.names: list[str] = list(meta["names"])
        self.img_size: int = meta["img_size"]
        self.input_hw: tuple[int, int] = meta["input_hw"]
        self.dynamic_batch: bool = meta["dynamic_batch"]
        self.conf = conf
        self.last_ms: PredictTimes | None = None  # the last predict's stages
        self._input = self.session.get_inputs()[0].name

    def run(self, images: np.ndarray) -> np.ndarray:
        """Raw graph output: (B, 3, S, S) float32 in [0, 1] -> (B, K, 6) letterboxed rows."""
        if images.shape[0] != 1 and not self.dynamic_batch:
            raise ValueError(
                f"this export has a fixed batch of 1; re-export with --dynamic-batch for {images.shape[0]}"
            )
        return self.session.run(None, {self._input: images})[0]

    def predict(self, image: np.ndarray) -> Detections:
        detections, self.last_ms = predict_timed(image, self.input_hw, self.run, self.conf)
        return detections

    def predict_batch(self, images: list[np.ndarray]) -> list[Detections]:
        """Several images in one call (one graph run when the export has a dynamic batch)."""
        prepared = [preprocess(image, self.input_hw) for image in images]
        if not self.dynamic_batch:
            outs = [self.run(x)[0] for x, _, _ in prepared]
        else:
            outs = list(self.run(np.concatenate([x for x, _, _ in prepared])))
        return [
            outputs_to_detections(out, ratio, pad, image.shape[:2], self.conf)
            for out, (_, ratio, pad), image in zip(outs, prepared, images, strict=True)
        ]

    def predict_file(self, path: Path) -> Detections:
        return self.predict(read_rgb(path))
