"""From a trained face checkpoint to L2-normalised embeddings (the penultimate layer, seed 002 §2).

``FaceEmbedder.from_checkpoint(path)`` rebuilds the network from the checkpoint's own config;
``embed(images)`` takes grey or BGR uint8 face crops (already detected and aligned, any size —
they are resized to the training size) and returns ``(N, D)`` float32 unit vectors.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from mineguard.faces.image import to_grey
from mineguard.models import get_model
from mineguard.models.checkpoint import CheckpointError, read_checkpoint


def preprocess(image: np.ndarray, size: int, in_channels: int = 1) -> torch.Tensor:
    """uint8 grey/BGR image -> float tensor (C, size, size) in [0, 1] (grey repeated for 3 channels)."""
    grey = to_grey(image)
    if grey.shape != (size, size):
        import cv2

        grey = cv2.resize(grey, (size, size), interpolation=cv2.INTER_AREA)
    x = torch.from_numpy(np.ascontiguousarray(grey)).float().div_(255.0).unsqueeze(0)
    return x.expand(in_channels, size, size).contiguous() if in_channels > 1 else x


def load_face_checkpoint(path: str | Path) -> tuple[nn.Module, dict[str, Any]]:
    """The model (eval mode, CPU) and the checkpoint dict; a clear error for anything else."""
    ckpt = read_checkpoint(
        path,
        required=("model_name", "model_config", "model", "class_names", "img_size"),
        kind="face",
        missing_hint="pass the best.pt of `mineguard face train`",
    )
    model = get_model(ckpt["model_name"], **ckpt["model_config"])
    try:
        model.load_state_dict(ckpt["model"])
    except RuntimeError:
        raise CheckpointError(
            f"{path}: its weights do not fit {ckpt['model_name']} {ckpt['model_config']} — "
            "the file is damaged or was edited; train again or use another checkpoint"
        ) from None
    return model.eval(), ckpt


class FaceEmbedder:
    """``illumination``: the normalisation the network was trained with (``faces.illumination``);
    prepare crops with ``FacePreparer(size=embedder.img_size, illumination=embedder.illumination)``."""

    def __init__(
        self,
        model: nn.Module,
        *,
        img_size: int,
        in_channels: int = 1,
        batch_size: int = 64,
        illumination: str = "none",
    ) -> None:
        self.model, self.img_size, self.in_channels, self.batch_size = model.eval(), img_size, in_channels, batch_size
        self.illumination = illumination

    @classmethod
    def from_checkpoint(cls, path: str | Path, **kw: Any) -> FaceEmbedder:
        model, ckpt = load_face_checkpoint(path)
        return cls(
            model,
            img_size=int(ckpt["img_size"]),
            in_channels=int(ckpt["model_config"].get("in_channels", 1)),
            illumination=str(ckpt.get("illumination", "none")),  # checkpoints before issue #16: none
            **kw,
        )

    @property
    def dim(self) -> int:
        return int(self.embed([np.zeros((self.img_size, self.img_size), np.uint8)]).shape[1])

    @torch.no_grad()
    def embed(self, faces: Sequence[np.ndarray]) -> np.ndarray:
        if len(faces) == 0:
            return np.zeros((0, 0), np.float32)
        out = []
        for start in range(0, len(faces), self.batch_size):
            batch = torch.stack(
                [preprocess(f, self.img_size, self.in_channels) for f in faces[start : start + self.batch_size]]
            )
            out.append(torch.nn.functional.normalize(self.model.embed(batch), dim=1).numpy())
        return np.concatenate(out).astype(np.float32)
