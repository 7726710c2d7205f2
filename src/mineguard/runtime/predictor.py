"""``Predictor``: a trained checkpoint behind one call, image in, typed ``Detections`` out.

``load_predictor`` is the one place the backend is chosen: onnxruntime for an exported .onnx
(``runtime.onnx_backend``), eager PyTorch for a .pt checkpoint; both return the same ``Detections``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import cv2
import numpy as np
import torch

from mineguard.data.datasets.images import is_image_file, read_rgb
from mineguard.data.records import Detections
from mineguard.models.checkpoint import load_model
from mineguard.runtime.export import export_command
from mineguard.runtime.inference import PredictTimes, predict_timed, resolve_device
from mineguard.runtime.onnx_backend import OnnxPredictor, read_metadata

Backend = Literal["auto", "onnx", "torch"]


class Predictor:
    """Run a detector checkpoint on RGB images (H, W, 3) uint8; boxes in original pixels."""

    backend = "torch"

    def __init__(
        self,
        weights: str | Path,
        *,
        device: str = "auto",
        img_size: int | tuple[int, int] | None = None,
        conf: float = 0.25,
    ) -> None:
        """``img_size``: a square side or (height, width), multiples of 32 (default: the training size)."""
        self.model, ckpt = load_model(weights)
        self.device = resolve_device(device)
        self.model.to(self.device)
        self.names: list[str] = list(ckpt["names"])
        self.img_size = img_size or int(ckpt.get("img_size", 640))
        self.conf = conf
        self.last_ms: PredictTimes | None = None  # the last predict's stages

    @torch.no_grad()
    def run(self, images: np.ndarray) -> np.ndarray:
        """Raw model output: (B, 3, S, S) float32 in [0, 1] -> (B, K, 6) letterboxed rows."""
        return self.model(torch.from_numpy(images).to(self.device)).float().cpu().numpy()

    def predict(self, image: np.ndarray) -> Detections:
        detections, self.last_ms = predict_timed(image, self.img_size, self.run, self.conf)
        return detections

    def predict_file(self, path: Path) -> Detections:
        return self.predict(read_rgb(path))


def load_predictor(
    weights: str | Path,
    *,
    backend: Backend = "auto",
    threads: int | None = None,
    device: str = "auto",
    img_size: int | None = None,
    conf: float = 0.25,
) -> Predictor | OnnxPredictor:
    """The predictor for ``weights``: ``auto`` is onnxruntime for a .onnx file, and for a .pt whose
    export (the .onnx beside it, at least as new, exported at the size asked for) is there; eager
    PyTorch otherwise — the fallback, and the only choice on a GPU device.

    ``onnx`` with a .pt uses the .onnx beside it, or says which export command makes it;
    ``torch`` needs the .pt checkpoint. ``threads``: onnxruntime intra-op threads, or torch's.
    ``img_size`` applies to eager only (an export's input size is fixed in the graph).
    """
    weights = Path(weights)
    if backend not in ("auto", "onnx", "torch"):
        raise ValueError(f"backend '{backend}' — choose auto, onnx or torch")
    is_onnx = weights.suffix.lower() == ".onnx"
    if backend == "torch" and is_onnx:
        raise ValueError(f"{weights}: the torch backend needs the .pt checkpoint the export was made from")
    if backend == "auto" and not is_onnx and device in ("auto", "cpu") and _fresh_export(weights, img_size):
        weights, is_onnx = weights.with_suffix(".onnx"), True
    if backend == "onnx" and not is_onnx:
        onnx_path = weights.with_suffix(".onnx")
        if not onnx_path.is_file():
            raise FileNotFoundError(
                f"{onnx_path}: no ONNX export of {weights} — make it with `{export_command(weights)}`"
            )
        weights, is_onnx = onnx_path, True
    if is_onnx:
        predictor = OnnxPredictor(weights, threads=threads, conf=conf)
        if img_size and img_size != predictor.img_size:
            raise ValueError(
                f"{weights} was exported at {predictor.img_size} px; "
                f"re-export with --img-size {img_size} to run at that size"
            )
        return predictor
    if threads:
        torch.set_num_threads(threads)
    return Predictor(weights, device=device, img_size=img_size, conf=conf)


def _fresh_export(weights: Path, img_size: int | None) -> bool:
    onnx_path = weights.with_suffix(".onnx")
    if not onnx_path.is_file() or onnx_path.stat().st_mtime < weights.stat().st_mtime:
        return False  # none, or older than the checkpoint (trained further since)
    if torch.cuda.is_available():
        return False  # a GPU runs the checkpoint eagerly
    return img_size is None or read_metadata(onnx_path).get("img_size") == img_size


def list_images(source: Path) -> list[Path]:
    """An image file, or every image in a folder (sorted); a clear error when there is none."""
    if source.is_file():
        return [source]
    if source.is_dir():
        images = sorted(p for p in source.iterdir() if is_image_file(p))
        if images:
            return images
        raise ValueError(f"{source}: no images (.jpg, .png, ...) in this folder")
    raise FileNotFoundError(f"{source}: no such file or folder")


def annotate(path: Path, detections: Detections, names: list[str], out_path: Path) -> Path:
    """Write ``path`` with its detections drawn (class-coloured boxes and 'name 0.87' labels)."""
    image = cv2.imread(str(path))
    palette = [(0, 200, 0), (0, 0, 230), (230, 120, 0), (200, 0, 200), (0, 200, 200)]
    for box, cls, score in zip(detections.xyxy, detections.class_id, detections.confidence, strict=True):
        color = palette[int(cls) % len(palette)]
        x1, y1, x2, y2 = (round(float(v)) for v in box)
        cv2.rectangle(image, (x1, y1), (x2, y2), color, 2)
        cv2.putText(
            image,
            f"{names[int(cls)]} {score:.2f}",
            (x1, max(12, y1 - 4)),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.45,
            color,
            1,
            cv2.LINE_AA,
        )
    out_path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(out_path), image)
    return out_path
