"""Training on the shared loop: a separable synthetic set is learnt (validation kappa 1), the best
epoch's weights are kept and written as a loadable run, and bad settings or arrays are refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mineguard.evaluation.classification import classification_scores
from mineguard.terrain.classifiers import load_classifier, predict_proba
from mineguard.terrain.train import TerrainTrainConfig, train_classifier

BANDS = tuple(f"B{i}" for i in range(4))
TINY = {"width": 8, "growth": 4, "dense_layers": 2}


def separable(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Open pit (1): bright in band 2; not (0): dark in band 2; noise elsewhere."""
    rng = np.random.default_rng(seed)
    y = (np.arange(n) % 3 == 0).astype(np.int64)  # a third are open pit: the rarer class
    x = rng.normal(0.2, 0.05, (n, len(BANDS), 6, 6)).astype(np.float32)
    x[:, 2] += np.where(y == 1, 0.3, -0.1)[:, None, None]
    return x, y


def test_a_separable_set_is_learnt_and_the_run_is_written(tmp_path: Path) -> None:
    x, y = separable(96, 0)
    xv, yv = separable(48, 1)
    config = TerrainTrainConfig(model_kwargs=TINY, optimizer="adam", epochs=15, batch_size=16, patience=15)
    trained = train_classifier(x, y, xv, yv, band_names=BANDS, config=config, out_dir=tmp_path)
    assert trained.val_scores["kappa"] == pytest.approx(1.0)
    assert trained.best_epoch is not None and trained.epochs_run >= trained.best_epoch + 1
    xt, yt = separable(48, 2)
    scores = classification_scores(yt, (predict_proba(trained.model, xt) >= 0.5).astype(np.int64))
    assert scores.kappa > 0.9
    loaded = load_classifier(tmp_path / "best.pt", device="cpu")  # the best epoch, standardisation inside
    assert loaded.slice_size == 6 and loaded.in_channels == len(BANDS)
    assert (tmp_path / "last.pt").is_file()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"optimizer": "lbfgs"}, "optimizer must be one of"),
        ({"epochs": 0}, "must be >= 1"),
        ({"lr": float("nan")}, "lr must be a positive number"),
        ({"threshold": 1.0}, r"threshold must lie in \(0, 1\)"),
    ],
)
def test_bad_settings_are_refused(change: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TerrainTrainConfig(**change)


def test_bad_arrays_are_refused_with_what_is_wrong() -> None:
    x, y = separable(12, 0)
    fit = lambda x, y, **kw: train_classifier(x, y, x, y, band_names=BANDS, config=TerrainTrainConfig(epochs=1))  # noqa: E731
    with pytest.raises(ValueError, match="one class only"):
        fit(x, np.zeros_like(y))
    with pytest.raises(ValueError, match="have 3 bands, the band names 4"):
        fit(x[:, :3], y)
    with pytest.raises(ValueError, match="NaN or infinite"):
        fit(np.where(np.arange(x.size).reshape(x.shape) == 5, np.nan, x).astype(np.float32), y)
    with pytest.raises(ValueError, match="labels must be 0"):
        fit(x, y + 1)
    with pytest.raises(ValueError, match=r"must be \(N, C, s, s\)"):
        fit(x[:, :, :, :5], y)
