"""Hazard-state prediction on the seismic-bumps shifts of a Polish coal mine (seed 003 §3.3, issue #6).

Data: UCI seismic-bumps (Sikora M., Wróbel Ł., Archives of Mining Sciences 55(1), 2010, 91-114),
one row per 8-hour shift of two longwalls, in time order; ``class`` 1 = a bump above 10^4 J in
the NEXT shift (about 7 % of the shifts). Inputs are the mine's routine hazard assessments
(``seismic``, ``seismoacoustic``, ``ghazard``: a = lack of hazard, b = low, c = high, d = danger),
the shift type (W coal-getting, N preparation) and 14 counts and energies of the previous shift.

- ``load_seismic_bumps``: the CSV, with errors naming file, line and field;
- ``shift_split``: train / validation / test in file (time) order, never shuffled;
- ``SeismicEncoder``: one-hot or ordinal categoricals; numeric columns asinh-compressed (the
  energies span 10^2..10^6 J) and standardised with TRAINING statistics only;
- ``hazard_level`` / ``rule_alarm``: the rule baseline, the mine's own assessment as an ordinal
  score 0..3 and as an alarm (level >= b, or >= c);
- models behind one interface (``fit(X, y, X_val=, y_val=)``, ``predict_score(X)``), registered by
  name: ``logistic`` and ``boosting`` (sklearn, class-balanced weights), ``mlp`` (a small torch
  MLP trained with the class-weighted BCE or focal loss of ``mineguard.losses.focal``, seed 003
  §3.2 "weighted loss function strategies", early-stopped on the validation loss).
"""

from __future__ import annotations

import copy
import csv
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

import numpy as np
import torch
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from torch import nn

from mineguard.data.errors import DatasetError
from mineguard.losses.focal import focal_loss, weighted_bce
from mineguard.registry import Registry

HAZARD_LEVELS = ("a", "b", "c", "d")  # lack of hazard, low, high, danger state
CATEGORICAL: dict[str, tuple[str, ...]] = {
    "seismic": HAZARD_LEVELS,
    "seismoacoustic": HAZARD_LEVELS,
    "shift": ("N", "W"),  # preparation, coal-getting
    "ghazard": HAZARD_LEVELS,
}
NUMERIC = (
    "genergy",
    "gpuls",
    "gdenergy",
    "gdpuls",
    "nbumps",
    "nbumps2",
    "nbumps3",
    "nbumps4",
    "nbumps5",
    "nbumps6",
    "nbumps7",
    "nbumps89",
    "energy",
    "maxenergy",
)
SIGNED = ("gdenergy", "gdpuls")  # deviations (%) from the mean of the 8 previous shifts; the rest are >= 0
LABEL = "class"
COLUMNS = (*CATEGORICAL, *NUMERIC, LABEL)


@dataclass(frozen=True, eq=False)
class SeismicShifts:
    """Shifts in time order: ``categorical[name]`` (N,) str, ``numeric`` (N, 14) float64 in the order
    of ``NUMERIC`` (energies J, counts, deviations %), ``labels`` (N,) int64 0/1."""

    categorical: dict[str, np.ndarray]
    numeric: np.ndarray
    labels: np.ndarray
    source: str = ""

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def take(self, index: slice | np.ndarray) -> SeismicShifts:
        """The shifts at ``index`` (a slice or integer array), order kept."""
        cats = {k: v[index] for k, v in self.categorical.items()}
        return SeismicShifts(cats, self.numeric[index], self.labels[index], self.source)


def load_seismic_bumps(path: str | Path) -> SeismicShifts:
    """Read a seismic-bumps CSV (header + one row per shift, the 19 UCI columns in any order).

    Raises:
        DatasetError: the file is missing, a column is missing, or a field is not valid; the
            message names ``file:line`` and the field.
    """
    path = Path(path)
    if not path.is_file():
        raise DatasetError(
            f"{path}: file not found — pass the seismic-bumps CSV "
            "(e.g. ../shared/data/sensors/seismic_bumps/seismic-bumps-dev.csv)"
        )
    cats: dict[str, list[str]] = {k: [] for k in CATEGORICAL}
    numeric: list[list[float]] = []
    labels: list[int] = []
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = [h.strip() for h in next(reader, [])]
        missing = [c for c in COLUMNS if c not in header]
        if missing:
            raise DatasetError(
                f"{path}:1: header lacks {', '.join(repr(c) for c in missing)} — expected the "
                f"seismic-bumps columns {', '.join(COLUMNS)}"
            )
        col = {name: header.index(name) for name in COLUMNS}
        for row in reader:
            if not row or all(not v.strip() for v in row):
                continue
            where = f"{path}:{reader.line_num}"
            if len(row) != len(header):
                raise DatasetError(f"{where}: {len(row)} fields but the header has {len(header)}")
            for name, allowed in CATEGORICAL.items():
                value = row[col[name]].strip()
                if value not in allowed:
                    raise DatasetError(f"{where}: field '{name}' = '{value}' — expected one of {', '.join(allowed)}")
                cats[name].append(value)
            numeric.append([_number(row[col[name]], name, where) for name in NUMERIC])
            label = row[col[LABEL]].strip()
            if label not in ("0", "1"):
                raise DatasetError(f"{where}: field '{LABEL}' = '{label}' — expected 0 or 1")
            labels.append(int(label))
    if not labels:
        raise DatasetError(f"{path}: no data rows after the header")
    return SeismicShifts(
        {k: np.array(v) for k, v in cats.items()},
        np.array(numeric, dtype=np.float64),
        np.array(labels, dtype=np.int64),
        str(path),
    )


def _number(text: str, name: str, where: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise DatasetError(f"{where}: field '{name}' = '{text.strip()}' is not a number") from None
    if not math.isfinite(value):
        raise DatasetError(f"{where}: field '{name}' = '{text.strip()}' is not a finite number")
    if value < 0 and name not in SIGNED:
        raise DatasetError(f"{where}: field '{name}' = {value:g} is negative — it is an energy or a count")
    return value


@dataclass(frozen=True)
class ShiftSplit:
    """Contiguous slices of the shifts, in time order: train < val < test."""

    train: slice
    val: slice
    test: slice


def shift_split(n: int, *, test_frac: float = 0.25, val_frac: float = 0.2) -> ShiftSplit:
    """Split n time-ordered shifts: the first for training, then validation, the last for test.

    Args:
        n: number of shifts.
        test_frac: fraction of all n for the test (the latest shifts).
        val_frac: fraction of all n for validation (the shifts just before the test), for
            thresholds and early stopping; 0 for none.
    """
    if not (0 < test_frac < 1 and 0 <= val_frac < 1 and test_frac + val_frac < 1):
        raise ValueError(f"need 0 < test_frac, 0 <= val_frac, test_frac + val_frac < 1; got {test_frac}, {val_frac}")
    n_test = max(1, round(n * test_frac))
    n_val = max(1, round(n * val_frac)) if val_frac > 0 else 0
    n_train = n - n_test - n_val
    if n_train < 1:
        raise ValueError(f"{n} shifts are too few for test_frac={test_frac}, val_frac={val_frac}")
    return ShiftSplit(slice(0, n_train), slice(n_train, n_train + n_val), slice(n_train + n_val, n))


class SeismicEncoder:
    """Shifts -> (N, F) float32 features; numeric statistics come from ``fit`` (the training shifts) only.

    Categoricals: "onehot" gives one column per level (a..d, and shift W as 0/1); "ordinal" gives
    level index / 3 in [0, 1]. Numeric: asinh (log-like for large energies, defined for the signed
    deviations) when ``compress``, then (x - mean) / sd with the training mean and sd (sd 1 for a
    column that is constant in training).
    """

    def __init__(self, *, categorical: Literal["onehot", "ordinal"] = "onehot", compress: bool = True) -> None:
        if categorical not in ("onehot", "ordinal"):
            raise ValueError(f"categorical must be 'onehot' or 'ordinal', got '{categorical}'")
        self.categorical = categorical
        self.compress = compress
        self.mean_: np.ndarray | None = None
        self.scale_: np.ndarray | None = None

    def _numeric(self, shifts: SeismicShifts) -> np.ndarray:
        return np.arcsinh(shifts.numeric) if self.compress else shifts.numeric

    def fit(self, shifts: SeismicShifts) -> SeismicEncoder:
        x = self._numeric(shifts)
        self.mean_ = x.mean(axis=0)
        sd = x.std(axis=0)
        self.scale_ = np.where(sd > 1e-12, sd, 1.0)
        return self

    def transform(self, shifts: SeismicShifts) -> np.ndarray:
        if self.mean_ is None or self.scale_ is None:
            raise RuntimeError("SeismicEncoder is not fitted — call fit(training shifts) first")
        parts = [self._categorical(name, shifts.categorical[name], levels) for name, levels in CATEGORICAL.items()]
        parts.append((self._numeric(shifts) - self.mean_) / self.scale_)
        return np.concatenate(parts, axis=1).astype(np.float32)

    def fit_transform(self, shifts: SeismicShifts) -> np.ndarray:
        return self.fit(shifts).transform(shifts)

    def _categorical(self, name: str, values: np.ndarray, levels: tuple[str, ...]) -> np.ndarray:
        index = np.searchsorted(np.array(levels), values)  # levels are sorted
        if name == "shift":
            return index[:, None].astype(np.float64)  # W = 1
        if self.categorical == "ordinal":
            return (index / (len(levels) - 1))[:, None]
        return np.eye(len(levels))[index]

    @property
    def feature_names(self) -> list[str]:
        names = []
        for name, levels in CATEGORICAL.items():
            if name == "shift":
                names.append("shift=W")
            elif self.categorical == "ordinal":
                names.append(name)
            else:
                names += [f"{name}={level}" for level in levels]
        return names + [f"asinh({n})" if self.compress else n for n in NUMERIC]


def hazard_level(shifts: SeismicShifts, *, column: str = "ghazard") -> np.ndarray:
    """(N,) float 0..3: the mine's assessment in ``column`` (a = 0 lack of hazard ... d = 3 danger)."""
    if column not in ("seismic", "seismoacoustic", "ghazard"):
        raise ValueError(f"column must be 'seismic', 'seismoacoustic' or 'ghazard', got '{column}'")
    return np.searchsorted(np.array(HAZARD_LEVELS), shifts.categorical[column]).astype(np.float64)


def rule_alarm(shifts: SeismicShifts, *, at_least: str = "b", column: str = "ghazard") -> np.ndarray:
    """(N,) bool: the rule alarm, ``column`` at level ``at_least`` or above (b = low hazard and up)."""
    if at_least not in HAZARD_LEVELS:
        raise ValueError(f"at_least must be one of {', '.join(HAZARD_LEVELS)}, got '{at_least}'")
    return hazard_level(shifts, column=column) >= HAZARD_LEVELS.index(at_least)


class HazardModel(Protocol):
    """``fit`` on (N, F) features and (N,) 0/1 labels; ``predict_score`` gives (N,) hazard scores
    (higher = more hazardous; a probability for every model here)."""

    name: str

    def fit(
        self, X: np.ndarray, y: np.ndarray, *, X_val: np.ndarray | None = None, y_val: np.ndarray | None = None
    ) -> HazardModel: ...

    def predict_score(self, X: np.ndarray) -> np.ndarray: ...


_HAZARD_MODELS = Registry[HazardModel]("hazard model")
# register_hazard_model("name") decorates a builder with keyword-only arguments
register_hazard_model = _HAZARD_MODELS.register
get_hazard_model = _HAZARD_MODELS.build
list_hazard_models = _HAZARD_MODELS.names


def _check_xy(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    X, y = np.asarray(X, dtype=np.float32), np.asarray(y)
    if X.ndim != 2 or y.shape != (X.shape[0],):
        raise ValueError(f"expected X (N, F) and y (N,), got {X.shape} and {y.shape}")
    if not np.isin(y, (0, 1)).all() or y.min() == y.max():
        raise ValueError("y must be 0/1 with both classes present in the training shifts")
    return X, y.astype(np.int64)


def balanced_weights(y: np.ndarray) -> np.ndarray:
    """(N,) sample weights n / (2 n_class): both classes weigh the same in total (sklearn 'balanced')."""
    counts = np.bincount(y, minlength=2)
    return (y.size / (2.0 * counts))[y]


@register_hazard_model("logistic")
class LogisticHazard:
    """Logistic regression with class-balanced weights."""

    name = "logistic"

    def __init__(self, *, C: float = 1.0, seed: int = 0) -> None:
        self.model = LogisticRegression(C=C, class_weight="balanced", max_iter=2000, random_state=seed)

    def fit(
        self, X: np.ndarray, y: np.ndarray, *, X_val: np.ndarray | None = None, y_val: np.ndarray | None = None
    ) -> LogisticHazard:
        self.model.fit(*_check_xy(X, y))
        return self

    def predict_score(self, X: np.ndarray) -> np.ndarray:
        return self.model.predict_proba(np.asarray(X, dtype=np.float32))[:, 1]


@register_hazard_model("boosting")
class BoostedHazard:
    """Histogram gradient boosting with class-balanced sample weights (fixed size, no early stopping:
    sklearn's own early stopping would hold out a random, not time-ordered, slice)."""

    name = "boosting"

    def __init__(
        self,
        *,
        max_iter: int = 200,
        learning_rate: float = 0.05,
        max_leaf_nodes: int = 15,
        min_samples_leaf: int = 20,
        l2_regularization: float = 1.0,
        seed: int = 0,
    ) -> None:
        self.model = HistGradientBoostingClassifier(
            max_iter=max_iter,
            learning_rate=learning_rate,
            max_leaf_nodes=max_leaf_nodes,
            min_samples_leaf=min_samples_leaf,
            l2_regularization=l2_regularization,
            early_stopping=False,
            random_state=seed,
        )

    def fit(
        self, X: np.ndarray, y: np.ndarray, *, X_val: np.ndarray | None = None, y_val: np.ndarray | None = None
    ) -> BoostedHazard:
        X, y = _check_xy(X, y)
        self.model.fit(X, y, sample_weight=balanced_weights(y))
        return self

    def predict_score(self, X: np.ndarray) -> np.ndarray:
        return self.model.predict_proba(np.asarray(X, dtype=np.float32))[:, 1]


class HazardMLP(nn.Module):
    """(N, F) features -> (N,) logits: Linear-ReLU-Dropout blocks of widths ``hidden``, then Linear(1)."""

    def __init__(self, in_features: int, *, hidden: tuple[int, ...] = (32, 16), dropout: float = 0.1) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = in_features
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU(), nn.Dropout(dropout)]
            width = h
        layers.append(nn.Linear(width, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(-1)


@register_hazard_model("mlp")
class MLPHazard:
    """A small MLP trained with class-weighted BCE (pos_weight = n_neg / n_pos of the training shifts)
    or the focal loss (alpha = the negative fraction unless given, gamma 2), AdamW, mini-batches;
    with validation data it keeps the epoch of lowest validation loss and stops after ``patience``
    epochs without improvement."""

    def __init__(
        self,
        *,
        loss: Literal["weighted_bce", "focal"] = "weighted_bce",
        hidden: tuple[int, ...] = (32, 16),
        dropout: float = 0.1,
        epochs: int = 300,
        batch_size: int = 128,
        lr: float = 1e-3,
        weight_decay: float = 1e-4,
        patience: int = 30,
        focal_alpha: float | None = None,
        focal_gamma: float = 2.0,
        seed: int = 0,
    ) -> None:
        if loss not in ("weighted_bce", "focal"):
            raise ValueError(f"loss must be 'weighted_bce' or 'focal', got '{loss}'")
        self.name = f"mlp-{loss}"
        self.loss, self.hidden, self.dropout = loss, hidden, dropout
        self.epochs, self.batch_size, self.lr, self.weight_decay = epochs, batch_size, lr, weight_decay
        self.patience, self.focal_alpha, self.focal_gamma, self.seed = patience, focal_alpha, focal_gamma, seed
        self.net: HazardMLP | None = None
        self.best_epoch = 0

    def _loss_fn(self, y: np.ndarray) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
        n_pos = float(y.sum())
        n_neg = float(y.size - n_pos)
        if self.loss == "weighted_bce":
            return lambda logits, t: weighted_bce(logits, t, pos_weight=n_neg / n_pos)
        alpha = n_neg / y.size if self.focal_alpha is None else self.focal_alpha
        return lambda logits, t: focal_loss(logits, t, alpha=alpha, gamma=self.focal_gamma)

    def fit(
        self, X: np.ndarray, y: np.ndarray, *, X_val: np.ndarray | None = None, y_val: np.ndarray | None = None
    ) -> MLPHazard:
        X, y = _check_xy(X, y)
        loss_fn = self._loss_fn(y)
        val = None
        if X_val is not None and y_val is not None:
            val = (
                torch.from_numpy(np.asarray(X_val, dtype=np.float32)),
                torch.from_numpy(np.asarray(y_val, np.float32)),
            )
            if val[0].shape != (val[1].shape[0], X.shape[1]):
                raise ValueError(
                    f"expected X_val (M, {X.shape[1]}) and y_val (M,), got {tuple(val[0].shape)}, {tuple(val[1].shape)}"
                )
        with torch.random.fork_rng(devices=[]):  # seeded weights and dropout; the caller's RNG is left alone
            torch.manual_seed(self.seed)
            net = self._train(torch.from_numpy(X), torch.from_numpy(y.astype(np.float32)), loss_fn, val)
        self.net = net.eval()
        return self

    def _train(
        self,
        x: torch.Tensor,
        y: torch.Tensor,
        loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
        val: tuple[torch.Tensor, torch.Tensor] | None,
    ) -> HazardMLP:
        net = HazardMLP(x.shape[1], hidden=self.hidden, dropout=self.dropout)
        opt = torch.optim.AdamW(net.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        best, best_state, waited = math.inf, copy.deepcopy(net.state_dict()), 0
        self.best_epoch = self.epochs
        for epoch in range(1, self.epochs + 1):
            net.train()
            for idx in torch.randperm(len(y)).split(self.batch_size):
                opt.zero_grad()
                loss_fn(net(x[idx]), y[idx]).backward()
                opt.step()
            if val is None:
                continue
            net.eval()
            with torch.no_grad():
                val_loss = float(loss_fn(net(val[0]), val[1]))
            if val_loss < best - 1e-6:
                best, best_state, waited, self.best_epoch = val_loss, copy.deepcopy(net.state_dict()), 0, epoch
            else:
                waited += 1
                if waited >= self.patience:
                    break
        if val is not None:
            net.load_state_dict(best_state)
        return net

    def predict_score(self, X: np.ndarray) -> np.ndarray:
        if self.net is None:
            raise RuntimeError("MLPHazard is not fitted — call fit first")
        with torch.no_grad():
            logits = self.net(torch.from_numpy(np.asarray(X, dtype=np.float32)))
        return torch.sigmoid(logits).double().numpy()
