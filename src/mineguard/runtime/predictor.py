"""``Predictor``: a trained checkpoint behind one call, image in, typed ``Detections`` out."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import torch

from mineguard.data.datasets.images import is_image_file, read_rgb
from mineguard.data.records import Detections
from mineguard.data.transforms import letterbox
from mineguard.models.checkpoint import load_model
from mineguard.runtime.inference import outputs_to_detections, resolve_device


class Predictor:
    """Run a detector checkpoint on RGB images (H, W, 3) uint8; boxes in original pixels."""

    def __init__(
        self, weights: str | Path, *, device: str = "auto", img_size: int | None = None, conf: float = 0.25
    ) -> None:
        self.model, ckpt = load_model(weights)
        self.device = resolve_device(device)
        self.model.to(self.device)
        self.names: list[str] = list(ckpt["names"])
        self.img_size = img_size or int(ckpt.get("img_size", 640))
        self.conf = conf

    @torch.no_grad()
    def predict(self, image: np.ndarray) -> Detections:
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(f"expected an RGB uint8 image (H, W, 3), got {image.dtype} {image.shape}")
        boxed, ratio, pad = letterbox(image, self.img_size)
        x = torch.from_numpy(np.ascontiguousarray(boxed.transpose(2, 0, 1))).float().div(255)[None]
        out = self.model(x.to(self.device))[0]
        return outputs_to_detections(out, ratio, pad, image.shape[:2], self.conf)

    def predict_file(self, path: Path) -> Detections:
        return self.predict(read_rgb(path))


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
