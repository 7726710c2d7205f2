"""One decision from several frames of a person passing the gate (issue #16: fusion, quality-aware rejection).

``fuse_frames`` averages the L2-normalised embeddings of the frames that passed the quality gates
(``faces.quality.check_quality``) and re-normalises the mean: noise that differs from frame to
frame (dust specks, lamp glare, sensor noise) partly cancels, the face does not. With
``reject_poor=True`` a track whose frames all failed gives ``None`` — "not decided: poor
quality", never a guess; with ``False`` every frame is used whatever its quality.
"""

from __future__ import annotations

import numpy as np

from mineguard.faces.gallery import l2_normalise


def fuse_frames(
    embeddings: np.ndarray, passed: np.ndarray | None = None, *, reject_poor: bool = True
) -> np.ndarray | None:
    """(F, D) frame embeddings and (F,) quality flags -> (D,) unit vector, or None (no usable frame).

    Raises ValueError for no frames or flags that do not match the frames.
    """
    x = np.asarray(embeddings, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(f"fuse_frames needs (F, D) embeddings with F >= 1, got shape {x.shape}")
    keep = np.ones(len(x), bool) if passed is None or not reject_poor else np.asarray(passed, dtype=bool)
    if keep.shape != (len(x),):
        raise ValueError(f"{len(x)} frames but {keep.shape} quality flags — one flag per frame")
    if not keep.any():
        return None
    return l2_normalise(l2_normalise(x[keep]).mean(axis=0))
