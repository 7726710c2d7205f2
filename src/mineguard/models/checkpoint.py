"""Checkpoints: weights plus everything needed to rebuild and resume (configs, names, state)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from mineguard.models import get_model


class CheckpointError(ValueError):
    """A checkpoint file that cannot be read or is not a MineGuard detector checkpoint."""


def save_checkpoint(path: Path, payload: dict[str, Any]) -> None:
    """Write atomically (temp file + rename) so an interrupted save never corrupts ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(payload, tmp)
    tmp.replace(path)


def read_checkpoint(
    path: str | Path,
    *,
    required: tuple[str, ...] = ("model_name", "model_config", "model"),
    kind: str = "detector",
    missing_hint: str = "pass the best.pt or last.pt of a training run",
) -> dict[str, Any]:
    """The checkpoint dict at ``path``, with the ``required`` keys of a MineGuard ``kind`` checkpoint."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint — {missing_hint}")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:
        raise CheckpointError(f"{path}: not a readable PyTorch checkpoint ({exc.__class__.__name__})") from None
    for key in required:
        if not isinstance(ckpt, dict) or key not in ckpt:
            raise CheckpointError(f"{path}: missing '{key}' — not a MineGuard {kind} checkpoint")
    return ckpt


def load_model(path: str | Path, *, kind: str = "detector") -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild the zoo model (a detector, or another ``kind``) stored in ``path``, in eval mode."""
    ckpt = read_checkpoint(path, kind=kind)
    model = get_model(ckpt["model_name"], **ckpt["model_config"])
    model.load_state_dict(ckpt["model"])
    return model.eval(), ckpt
