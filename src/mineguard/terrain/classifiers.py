"""Any open-pit slice classifier as the one call the maps need: ``predict(slices) -> probabilities``.

``slices`` are (N, C, s, s) float32 reflectance (as :func:`mineguard.terrain.raster.read_scene`
gives them); the answer is (N,) float probability of "open pit". :func:`torch_classifier` wraps an
``nn.Module`` whose output is (N, 2) logits (softmax, class 1 = open pit) or (N, 1) / (N,) logits
(sigmoid); :func:`onnx_classifier` runs an ONNX export of such a model with onnxruntime (the session
from :func:`mineguard.runtime.onnx_backend.open_session`); :func:`load_classifier` picks by suffix:
a ``.pt`` checkpoint of the model zoo or a ``.onnx`` file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mineguard.terrain.mapping import Predict
from mineguard.terrain.raster import TerrainDataError


@dataclass(frozen=True)
class Classifier:
    """A loaded classifier: its ``predict`` and, when the file says, the slice size and band count it takes."""

    predict: Predict
    source: Path
    slice_size: int | None = None
    in_channels: int | None = None


def probabilities(logits: np.ndarray) -> np.ndarray:
    """(N, 2) logits -> softmax of class 1; (N, 1) or (N,) logits -> sigmoid; (N,) float64."""
    logits = np.asarray(logits, dtype=np.float64)
    if logits.ndim == 2 and logits.shape[1] == 2:
        shifted = logits - logits.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        return exp[:, 1] / exp.sum(axis=1)
    if logits.ndim == 1 or (logits.ndim == 2 and logits.shape[1] == 1):
        return 1.0 / (1.0 + np.exp(-logits.reshape(-1)))
    raise TerrainDataError(
        f"the classifier gives outputs of shape {logits.shape} — expected (N, 2) logits (no open pit, open pit) "
        "or (N, 1) logits of open pit"
    )


def torch_classifier(model: Any, *, device: str = "auto") -> Predict:
    """``model`` (a torch ``nn.Module``) in eval mode on ``device`` ("auto": CUDA when there is one)."""
    import torch

    from mineguard.runtime.inference import resolve_device

    target = resolve_device(device)
    model = model.to(target).eval()

    def predict(slices: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            out = model(torch.from_numpy(np.ascontiguousarray(slices, dtype=np.float32)).to(target))
        return probabilities(out.float().cpu().numpy())

    return predict


def onnx_classifier(path: str | Path, *, threads: int | None = None) -> Classifier:
    """An ONNX export (input (N, C, s, s) float32) run by onnxruntime on CPU; a fixed batch is fed one by one."""
    from mineguard.runtime.onnx_backend import open_session

    session = open_session(path, threads=threads)
    graph_input = session.get_inputs()[0]
    shape = list(graph_input.shape)
    if len(shape) != 4:
        raise TerrainDataError(f"{path}: its input is {shape}, expected (N, C, s, s) slices")
    fixed = shape[0] if isinstance(shape[0], int) else None
    size = shape[2] if isinstance(shape[2], int) and shape[2] == shape[3] else None
    channels = shape[1] if isinstance(shape[1], int) else None

    def predict(slices: np.ndarray) -> np.ndarray:
        slices = np.ascontiguousarray(slices, dtype=np.float32)
        step = fixed or len(slices)
        outs = [session.run(None, {graph_input.name: slices[i : i + step]})[0] for i in range(0, len(slices), step)]
        return probabilities(np.concatenate(outs))

    return Classifier(predict, Path(path), size, channels)


def load_classifier(path: str | Path, *, device: str = "auto", threads: int | None = None) -> Classifier:
    """A ``.onnx`` export or a ``.pt`` checkpoint of ``mineguard terrain train`` (the network with its band
    standardisation, :func:`mineguard.terrain.network.load_network`) as a :class:`Classifier`."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".onnx":
        return onnx_classifier(path, threads=threads)
    if suffix != ".pt":
        raise TerrainDataError(f"{path}: unknown weights format {suffix!r} — give a .pt checkpoint or a .onnx export")
    from mineguard.terrain.network import load_network

    loaded = load_network(path)
    channels = len(loaded.band_names)
    return Classifier(torch_classifier(loaded.model, device=device), path, loaded.slice_size, channels)


def predict_proba(model: Any, x: np.ndarray, *, batch: int = 512) -> np.ndarray:
    """Open-pit probability of each slice of ``x`` (N, C, s, s) by a torch model, in batches; (N,) float32.

    Leaves ``model`` in eval mode on its own device."""
    predict = torch_classifier(model, device=str(next(model.parameters()).device))
    chunks = [predict(x[start : start + batch]) for start in range(0, len(x), batch)]
    return np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)
