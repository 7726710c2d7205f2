"""``window-gbm``: LightGBM on window summaries of the multimodal set, the default early-warning fusion model.

Features (``window_features``): per sensor channel the last reading, window mean / min / max / std,
changes over the last minute and the window, the slope of the last 2 minutes and the fraction
observed (NaN where nothing was seen: LightGBM routes missing values natively); per camera label
the events in the last minute and the window; the first ``text_components`` principal components
of the text embedding (fitted on the training rows that have text); the three modality-present
flags. A modality removed (``drop``) is made absent exactly as a lost stream is: NaN sensors,
zero camera events, zero text components, its present flag off.

One multiclass booster per task (hazard, risk level), class-weighted like the fusion model's loss
(``class_weights`` with ``power``), early-stopped on the validation windows when given, else on
a held-out 15 % of the training episodes (whole episodes: neighbouring windows overlap).

On the simulated episodes it beats the cross-attention fusion model of seed 003 §3.2
(``docs/results/warning_multimodal.md`` says by how much and why). ``save`` writes one JSON file:
our metadata (config, input layout, text PCA, text embedder state, metrics) and LightGBM's own text
model per booster — never pickle; ``load`` names the file and what is wrong with it.
Ke et al. 2017, "LightGBM: A highly efficient gradient boosting decision tree", NeurIPS.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
from sklearn.decomposition import PCA

from mineguard.warning.fusion import class_weights
from mineguard.warning.lgbm_params import booster_params
from mineguard.warning.multimodal import HAZARDS, MODALITIES, RISK_LEVELS, MultimodalSet
from mineguard.warning.window_features import sensor_features, vision_features

FORMAT = 1
TASKS: dict[str, int] = {"hazard": len(HAZARDS), "risk": len(RISK_LEVELS)}


@dataclass(frozen=True)
class WindowGBMConfig:
    """Hyper-parameters (LightGBM's names) and the protocol around them."""

    n_estimators: int = 400
    learning_rate: float = 0.1
    num_leaves: int = 31
    min_child_samples: int = 20
    feature_fraction: float = 0.9
    bagging_fraction: float = 0.8
    lambda_l2: float = 1.0
    early_stopping_rounds: int = 30
    text_components: int = 8
    power: float = 0.5  # class weights (N / (K n_k)) ** power; 0 = unweighted
    holdout_fraction: float = 0.15  # of the training episodes, when no validation set is given
    seed: int = 0
    num_threads: int = 1

    def __post_init__(self) -> None:
        if self.n_estimators < 1 or self.learning_rate <= 0 or self.num_leaves < 2 or self.min_child_samples < 1:
            raise ValueError("need n_estimators >= 1, learning_rate > 0, num_leaves >= 2, min_child_samples >= 1")
        if self.text_components < 1 or not 0.0 <= self.holdout_fraction < 1.0:
            raise ValueError("need text_components >= 1 and holdout_fraction in [0, 1)")

    def params(self, n_classes: int) -> dict[str, object]:
        return booster_params(self, objective="multiclass", num_class=n_classes)


def _layout(data: MultimodalSet, text_vectors: np.ndarray) -> dict[str, Any]:
    return {
        "channels": list(data.channels),
        "vision_labels": list(data.vision_labels),
        "window_steps": int(data.sensors.shape[1]),
        "step_s": float(data.step_s),
        "text_dim": int(text_vectors.shape[1]),
    }


class WindowGBM:
    """See the module docstring. ``predict_proba`` -> (hazard (N, 6), risk (N, 4)) probabilities."""

    name = "window-gbm"

    def __init__(self, config: WindowGBMConfig | None = None, **kwargs: Any) -> None:
        self.config = config or WindowGBMConfig(**kwargs)
        self.boosters_: dict[str, lgb.Booster] | None = None
        self.text_mean_: np.ndarray | None = None  # (D,)
        self.text_components_: np.ndarray | None = None  # (C, D)
        self.layout_: dict[str, Any] = {}
        self.best_iterations_: dict[str, int] = {}
        self.embedder: Any = None  # the fitted text embedder (text_embedders registry), saved when set
        self.metrics: dict[str, Any] = {}

    # --- features -----------------------------------------------------------------------------

    def _check(self, data: MultimodalSet, text_vectors: np.ndarray) -> None:
        if self.boosters_ is None or self.text_components_ is None:
            raise RuntimeError("WindowGBM is not fitted — call fit(train, text_vectors) first")
        if text_vectors.shape[0] != len(data):
            raise ValueError(f"text_vectors has {text_vectors.shape[0]} rows for {len(data)} windows")
        got = _layout(data, text_vectors)
        bad = [k for k, v in got.items() if self.layout_.get(k) != v]
        if bad:
            raise ValueError(
                "windows differ from the training windows in "
                + "; ".join(f"{k} {got[k]} != {self.layout_.get(k)}" for k in bad)
                + " — build them as for training"
            )

    def features(self, data: MultimodalSet, text_vectors: np.ndarray, *, drop: tuple[str, ...] = ()) -> np.ndarray:
        """(N, F) float32 rows; ``drop`` names modalities removed as if lost."""
        unknown = set(drop) - set(MODALITIES)
        if unknown:
            raise ValueError(f"unknown modalities {sorted(unknown)}; choose from {MODALITIES}")
        if self.text_components_ is None or self.text_mean_ is None:
            raise RuntimeError("WindowGBM is not fitted — call fit(train, text_vectors) first")
        present = data.present & np.array([m not in drop for m in MODALITIES])
        sensors = np.where(present[:, 0, None, None], data.sensors, np.nan)
        vision = data.vision * present[:, 1, None, None]
        text = (text_vectors - self.text_mean_) @ self.text_components_.T * present[:, 2:3]
        return np.concatenate(
            [
                sensor_features(sensors, data.step_s),
                vision_features(vision, data.step_s),
                text.astype(np.float32),
                present.astype(np.float32),
            ],
            axis=1,
        )

    # --- fit / predict ------------------------------------------------------------------------

    def _holdout(self, data: MultimodalSet) -> np.ndarray:
        """Bool mask of the training windows held out for early stopping (whole episodes)."""
        ids = np.unique(data.episode)
        n = round(self.config.holdout_fraction * len(ids))
        if n == 0 or n == len(ids):
            return np.zeros(len(data), dtype=bool)
        held = np.random.default_rng(self.config.seed).choice(ids, size=n, replace=False)
        return np.isin(data.episode, held)

    def fit(
        self,
        train: MultimodalSet,
        text_vectors: np.ndarray,
        *,
        val: MultimodalSet | None = None,
        val_vectors: np.ndarray | None = None,
    ) -> WindowGBM:
        if len(train) == 0:
            raise ValueError("no training windows")
        if text_vectors.shape[0] != len(train):
            raise ValueError(f"text_vectors has {text_vectors.shape[0]} rows for {len(train)} windows")
        rows = train.present[:, 2]
        k = min(self.config.text_components, int(rows.sum()), text_vectors.shape[1])
        if k < 1:
            raise ValueError("no training window has a text record: cannot fit the text components")
        pca = PCA(n_components=k, random_state=self.config.seed).fit(text_vectors[rows])
        self.text_mean_, self.text_components_ = pca.mean_.astype(np.float64), pca.components_.astype(np.float64)
        self.layout_ = _layout(train, text_vectors)
        x = self.features(train, text_vectors)
        if val is not None and val_vectors is not None and len(val):
            fit_rows, x_stop, stop = np.ones(len(train), dtype=bool), self.features(val, val_vectors), val
        else:
            held = self._holdout(train)
            fit_rows, x_stop, stop = ~held, x[held], train.subset(held)
        self.boosters_, self.best_iterations_ = {}, {}
        for task, n_classes in TASKS.items():
            labels = getattr(train, task)[fit_rows]
            weights = class_weights(labels, n_classes, power=self.config.power)
            data = lgb.Dataset(x[fit_rows], labels, weight=weights[labels], free_raw_data=True)
            valid, callbacks = [], []
            if len(stop):
                stop_labels = getattr(stop, task)
                valid = [lgb.Dataset(x_stop, stop_labels, weight=weights[stop_labels], reference=data)]
                callbacks = [lgb.early_stopping(self.config.early_stopping_rounds, verbose=False)]
            booster = lgb.train(
                self.config.params(n_classes),
                data,
                num_boost_round=self.config.n_estimators,
                valid_sets=valid,
                callbacks=callbacks,
            )
            self.best_iterations_[task] = int(booster.best_iteration or booster.current_iteration())
            self.boosters_[task] = lgb.Booster(model_str=_model_text(booster))  # cut at the best iteration
        return self

    def predict_proba(
        self, data: MultimodalSet, text_vectors: np.ndarray, *, drop: tuple[str, ...] = ()
    ) -> tuple[np.ndarray, np.ndarray]:
        """(hazard (N, len(HAZARDS)), risk (N, len(RISK_LEVELS))) probabilities."""
        self._check(data, text_vectors)
        assert self.boosters_ is not None
        x = self.features(data, text_vectors, drop=drop)
        out = []
        for task, n_classes in TASKS.items():
            p = np.asarray(self.boosters_[task].predict(x), dtype=np.float64).reshape(len(data), n_classes)
            out.append(p)
        return out[0], out[1]

    # --- one file -----------------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        if self.boosters_ is None or self.text_components_ is None or self.text_mean_ is None:
            raise RuntimeError("WindowGBM is not fitted — nothing to save")
        embedder = None
        if self.embedder is not None:
            embedder = {
                "name": self.embedder.name,
                "config": self.embedder.config(),
                "state": {k: np.asarray(v).tolist() for k, v in self.embedder.state_arrays().items()},
            }
        payload = {
            "model": self.name,
            "format": FORMAT,
            "config": asdict(self.config),
            "layout": self.layout_,
            "text_pca": {"mean": self.text_mean_.tolist(), "components": self.text_components_.tolist()},
            "text_embedder": embedder,
            "best_iterations": self.best_iterations_,
            "metrics": self.metrics,
            "boosters": {task: _model_text(b) for task, b in self.boosters_.items()},
        }
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(payload, default=float))
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: str | Path) -> WindowGBM:
        """The model saved at ``path``; ValueError naming the file and what is wrong with it."""
        path = Path(path)
        hint = "train one with `mineguard warn train multimodal --save FILE`"
        if not path.is_file():
            raise ValueError(f"{path}: no such window-gbm model file — {hint}")
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f"{path}: not a saved window-gbm model (not JSON: {exc}) — {hint}") from None
        if not isinstance(raw, dict) or raw.get("model") != cls.name or raw.get("format") != FORMAT:
            got = (raw.get("model"), raw.get("format")) if isinstance(raw, dict) else type(raw).__name__
            raise ValueError(f"{path}: holds {got}, this version reads ('{cls.name}', {FORMAT}) — {hint}")
        field = "config"
        try:
            unknown = set(raw["config"]) - {f.name for f in fields(WindowGBMConfig)}
            if unknown:
                raise ValueError(f"unknown keys {sorted(unknown)} (written by a newer version?)")
            model = cls(**raw["config"])
            field = "layout"
            model.layout_ = dict(raw["layout"])
            field = "text_pca"
            model.text_mean_ = np.asarray(raw["text_pca"]["mean"], dtype=np.float64)
            model.text_components_ = np.asarray(raw["text_pca"]["components"], dtype=np.float64)
            if model.text_components_.ndim != 2 or model.text_components_.shape[1] != model.text_mean_.shape[0]:
                raise ValueError(
                    f"components {model.text_components_.shape} do not match mean {model.text_mean_.shape}"
                )
            field = "boosters"
            boosters = raw["boosters"]
            if set(boosters) != set(TASKS):
                raise ValueError(f"has {sorted(boosters)}, needs {sorted(TASKS)}")
            model.boosters_ = {task: lgb.Booster(model_str=str(boosters[task])) for task in TASKS}
            for task, n_classes in TASKS.items():
                if model.boosters_[task].num_model_per_iteration() != n_classes:
                    raise ValueError(f"the {task} booster has not {n_classes} classes")
            field = "text_embedder"
            if raw.get("text_embedder"):
                model.embedder = _load_embedder(raw["text_embedder"])
            model.best_iterations_ = dict(raw.get("best_iterations", {}))
            model.metrics = dict(raw.get("metrics", {}))
        except (KeyError, TypeError, ValueError, lgb.basic.LightGBMError) as exc:
            raise ValueError(f"{path}: bad field '{field}' ({type(exc).__name__}: {exc}) — {hint}") from None
        return model


def _model_text(booster: lgb.Booster) -> str:
    """LightGBM's text format of ``booster``, cut at its early-stopping iteration."""
    return booster.model_to_string(num_iteration=booster.best_iteration or None)


def _load_embedder(spec: dict[str, Any]) -> Any:
    from mineguard.warning.text_embedders import get_text_embedder

    config = {k: tuple(v) if isinstance(v, list) else v for k, v in spec["config"].items()}
    state = {k: np.asarray(v) for k, v in spec["state"].items()}
    return get_text_embedder(spec["name"], **config).load_state_arrays(state)
