"""A trained open-pit slice network: the zoo model behind its band standardisation, saved and loaded as one.

The training set's per-band mean and standard deviation live in the model (:class:`BandStandardised`
buffers), so a checkpoint or an ONNX export takes plain reflectance slices and nobody has to carry
the statistics beside the weights. :func:`mineguard.terrain.classifiers.predict_proba`
gives the open-pit probability of each slice.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from mineguard.models import get_model
from mineguard.models.checkpoint import read_checkpoint

KIND = "open-pit classifier"


class BandStandardised(nn.Module):
    """``net((x - mean) / std)`` with per-band ``mean`` / ``std`` buffers; logits (N, num_classes)."""

    def __init__(self, net: nn.Module, mean: torch.Tensor, std: torch.Tensor) -> None:
        super().__init__()
        self.net = net
        self.register_buffer("mean", mean.reshape(1, -1, 1, 1).float())
        self.register_buffer("std", std.reshape(1, -1, 1, 1).float().clamp_min(1e-6))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net((x - self.mean) / self.std)


def band_statistics(x: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-band mean and standard deviation over all slices and pixels of ``x`` (N, C, s, s)."""
    if x.ndim != 4 or len(x) == 0:
        raise ValueError(f"expected a non-empty (N, C, s, s) slice array, got shape {x.shape}")
    flat = torch.from_numpy(np.ascontiguousarray(x)).float().transpose(0, 1).reshape(x.shape[1], -1)
    return flat.mean(dim=1), flat.std(dim=1)


@dataclass(frozen=True)
class LoadedNetwork:
    """A network rebuilt from its checkpoint, with what it was trained on."""

    model: BandStandardised
    slice_size: int
    band_names: tuple[str, ...]
    checkpoint: dict[str, Any]


def build_classifier(
    model_name: str, model_kwargs: dict[str, Any], mean: torch.Tensor, std: torch.Tensor
) -> BandStandardised:
    return BandStandardised(get_model(model_name, **model_kwargs), mean, std)


def load_network(path: str | Path) -> LoadedNetwork:
    """Rebuild the classifier a terrain training run saved (``best.pt``), in eval mode."""
    required = ("model_name", "model_config", "model", "slice_size", "band_names")
    ckpt = read_checkpoint(
        path, required=required, kind=KIND, missing_hint="pass the best.pt of `mineguard terrain train`"
    )
    channels = len(ckpt["band_names"])
    model = build_classifier(ckpt["model_name"], ckpt["model_config"], torch.zeros(channels), torch.ones(channels))
    model.load_state_dict(ckpt["model"])
    return LoadedNetwork(model.eval(), int(ckpt["slice_size"]), tuple(ckpt["band_names"]), ckpt)


def export_onnx(loaded: LoadedNetwork, path: str | Path, *, opset: int = 17) -> Path:
    """Write the network (standardisation included) as ONNX for its slice size: input ``slices``
    (N, bands, s, s) float32 reflectance, output ``logits`` (N, 2), the batch dynamic; the band
    names and slice size go into the metadata. Which levels are downsampled is fixed by the slice
    size at export, so the file takes exactly that size (``terrain.classifiers.onnx_classifier``
    reads it from the input shape)."""
    import warnings

    import onnx

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    size, channels = loaded.slice_size, len(loaded.band_names)
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # tracer notes on Python ints (shapes are fixed by the slice size)
        torch.onnx.export(
            loaded.model.eval(),
            (torch.zeros(1, channels, size, size),),
            str(path),
            dynamo=False,
            opset_version=opset,
            input_names=["slices"],
            output_names=["logits"],
            dynamic_axes={"slices": {0: "batch"}, "logits": {0: "batch"}},
        )
    graph = onnx.load(str(path))
    meta = {"mineguard_task": "terrain", "band_names": ",".join(loaded.band_names), "slice_size": str(size)}
    for key, value in meta.items():
        graph.metadata_props.add(key=key, value=value)
    onnx.save(graph, str(path))
    return path
