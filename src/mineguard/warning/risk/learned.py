"""A learned risk model: a small quantile regressor of where a sensor will be ``horizon_s`` from now.

**Scale-free features.** The model never sees the sensor kind, only the readings, the limit and its
direction, so everything is expressed relative to the limit, with crossing always at ``x >= 1``::

    x = 1 + s * (v - limit) / |limit|,   s = +1 for a maximum (">="), -1 for a minimum ("<=")

i.e. ``x = v / limit`` for a positive maximum (methane 0.35 % against 1.0 % -> 0.35) and the mirror
``x = 2 - v / limit`` for a positive minimum (oxygen 20.8 % against 20.0 % -> 0.96, falling oxygen
gives rising ``x``). A limit of 0 gives no scale and is refused. The last ``window_s`` of readings
(irregular epoch seconds, gaps allowed) is resampled onto ``steps`` points by linear interpolation in
time (held flat before the first reading) and described by (``risk_features``, all in ``x`` units):

- the resampled shape ``x(t_k) - x_last`` (``steps`` values), the share of the window actually covered
  and the largest gap between readings (fractions of ``window_s``);
- ``x_last``, the changes ``x_last - x(t_last - lag)`` over ``LAGS_S``, the least-squares slope
  (per minute) and the residual standard deviation around that line.

Features are clipped to a sane range (a sensor ten limits away from its limit is simply "far") and
standardised with the training statistics, which live as buffers in the state dict. Under
``min_span_s`` of history (or fewer than ``min_samples`` readings) the model says nothing, like
``TrendModel``: ten seconds of data extrapolated ten minutes is noise.

**Output.** An MLP predicts the quantiles ``QUANTILES`` = (0.1, 0.5, 0.9) of ``x(t + horizon) - x_last``
(non-crossing by construction: median plus/minus softplus offsets), trained with the pinball loss
(Koenker & Bassett 1978). The assessment uses a normal approximation from those quantiles:

    x_pred = x_last + q50,   sd_x = max((q90 - q10) / 2.563, min_sd),   p = 1 - Phi((1 - x_pred) / sd_x)

(2.563 = z_0.9 - z_0.1), mapped back to the sensor's unit. ``rate_per_min`` is the least-squares slope
of the readings (as in ``TrendModel``); ``minutes_to_limit`` follows the expected path, the straight
line from the last reading to the median at the horizon (extended past it, as the trend's line is):
0 when already past the limit, None when that path does not head for it.

Saved as one ``.pt`` file (``save``/``load``): config, state dict (weights and feature normalisation)
and training metadata. ``mineguard.warning.risk.trajectories.train_learned_risk`` trains one on simulated data.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from mineguard.models.checkpoint import CheckpointError, read_checkpoint, save_checkpoint
from mineguard.warning.risk.base import Direction, RiskAssessment, finite_series
from mineguard.warning.slope import fit_line

QUANTILES = (0.1, 0.5, 0.9)
Z_SPREAD = 2.563  # Phi^-1(0.9) - Phi^-1(0.1): (q90 - q10) / Z_SPREAD estimates sd for a normal
LAGS_S = (30.0, 60.0, 120.0, 240.0)
N_SUMMARY = 5 + len(LAGS_S)  # span, largest gap, x_last, the lags, slope, residual sd
FORMAT = 1
MISSING_HINT = "train one with `mineguard warn train risk` (default runs/warn/risk.pt) or pass another .pt file"


@dataclass(frozen=True)
class LearnedRiskConfig:
    """Everything needed to rebuild the model; saved next to its weights (unknown keys are refused)."""

    window_s: float = 300.0
    horizon_s: float = 600.0
    steps: int = 30
    min_span_s: float = 120.0
    min_samples: int = 5
    hidden: int = 64
    min_sd: float = 0.005  # floor of sd_x, in units of |limit|

    def __post_init__(self) -> None:
        if self.window_s <= 0 or self.horizon_s <= 0:
            raise ValueError(f"window_s and horizon_s must be > 0, got {self.window_s} and {self.horizon_s}")
        if self.steps < 2:
            raise ValueError(f"steps must be at least 2 (resampled points of the window), got {self.steps}")
        if not 0 <= self.min_span_s <= self.window_s:
            raise ValueError(f"min_span_s must be in [0, window_s={self.window_s}], got {self.min_span_s}")
        if self.min_samples < 3:
            raise ValueError(f"min_samples must be at least 3 to fit a slope and a spread, got {self.min_samples}")

    @property
    def n_features(self) -> int:
        return self.steps + N_SUMMARY


def relative_to_limit(values: np.ndarray, limit: float, op: Direction) -> np.ndarray:
    """Readings in the sensor's unit -> ``x`` (1.0 at the limit, crossing at ``x >= 1`` for either direction)."""
    if limit == 0 or not math.isfinite(limit):
        raise ValueError(f"limit {limit} gives no scale — the learned risk model needs a finite, non-zero limit")
    if op not in (">=", "<="):
        raise ValueError(f"op must be '>=' (a maximum) or '<=' (a minimum), got {op!r}")
    sign = 1.0 if op == ">=" else -1.0
    return 1.0 + sign * (np.asarray(values, dtype=float) - limit) / abs(limit)


def from_relative(x: float, limit: float, op: Direction) -> float:
    """Inverse of ``relative_to_limit`` for one value."""
    sign = 1.0 if op == ">=" else -1.0
    return limit + sign * (x - 1.0) * abs(limit)


def risk_features(t_s: np.ndarray, x: np.ndarray, config: LearnedRiskConfig) -> np.ndarray | None:
    """Features of one history: ``t_s`` (N,) ascending epoch s, ``x`` (N,) relative to the limit.

    Returns (steps + N_SUMMARY,) float32, or None when the window holds too little history.
    """
    recent = t_s >= t_s[-1] - config.window_s
    t, x = t_s[recent], x[recent]
    span = float(t[-1] - t[0])
    if t.size < config.min_samples or span < config.min_span_s or span <= 0:
        return None
    grid = t[-1] - config.window_s * np.linspace(1.0, 0.0, config.steps)
    shape = np.interp(grid, t, x)
    last = float(x[-1])
    lags = last - np.interp(t[-1] - np.asarray(LAGS_S), t, x)
    line = fit_line((t - t[-1]) / 60.0, x)  # minutes: a slope per minute
    gap = float(np.diff(t).max())
    summary = [
        span / config.window_s,
        gap / config.window_s,
        np.clip(last, -1.0, 3.0),
        *np.clip(lags, -2.0, 2.0),
        np.clip(line.slope, -1.0, 1.0),
        min(line.resid_sd, 1.0),
    ]
    return np.concatenate([np.clip(shape - last, -2.0, 2.0), summary]).astype(np.float32)


def exceedance_probability(x_last: np.ndarray, quantiles: np.ndarray, min_sd: float) -> np.ndarray:
    """P(x >= 1 at the horizon): ``x_last`` (B,), ``quantiles`` (B, 3) of the change -> (B,), normal approximation."""
    x_pred = x_last + quantiles[:, 1]
    sd_x = np.maximum((quantiles[:, 2] - quantiles[:, 0]) / Z_SPREAD, min_sd)
    z = np.atleast_1d((1.0 - x_pred) / sd_x / math.sqrt(2.0))
    return np.array([0.5 * math.erfc(v) for v in z.tolist()])


def pinball_loss(
    pred: torch.Tensor, target: torch.Tensor, quantiles: tuple[float, ...] = QUANTILES, reduction: str = "mean"
) -> torch.Tensor:
    """Pinball (quantile) loss: ``pred`` (B, Q) quantile predictions, ``target`` (B,).

    Per element ``max(q * e, (q - 1) * e)`` with ``e = target - pred``; ``reduction`` "mean" or "none" (B, Q).
    """
    q = torch.as_tensor(quantiles, dtype=pred.dtype, device=pred.device)
    error = target.unsqueeze(-1) - pred
    loss = torch.maximum(q * error, (q - 1.0) * error)
    return loss.mean() if reduction == "mean" else loss


class RiskQuantileNet(nn.Module):
    """(B, n_features) raw features -> (B, 3) quantiles of ``x(t + horizon) - x_last`` in ``x`` units."""

    def __init__(self, n_features: int, *, hidden: int = 64, act_layer: type[nn.Module] = nn.GELU) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Linear(n_features, hidden), act_layer(), nn.Linear(hidden, hidden), act_layer(), nn.Linear(hidden, 3)
        )
        self.register_buffer("feature_mean", torch.zeros(n_features))
        self.register_buffer("feature_std", torch.ones(n_features))
        self.register_buffer("target_scale", torch.ones(()))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        out = self.body((features - self.feature_mean) / self.feature_std)
        median = out[:, 1]
        lower = median - F.softplus(out[:, 0])
        upper = median + F.softplus(out[:, 2])
        return torch.stack([lower, median, upper], dim=1) * self.target_scale


class LearnedRiskModel:
    """The ``RiskModel`` of a trained ``RiskQuantileNet``; build with ``train_learned_risk`` or ``load``."""

    name = "learned"

    def __init__(
        self,
        config: LearnedRiskConfig | None = None,
        *,
        net: RiskQuantileNet | None = None,
        training: dict[str, Any] | None = None,
    ) -> None:
        self.config = config or LearnedRiskConfig()
        self.net = (net or RiskQuantileNet(self.config.n_features, hidden=self.config.hidden)).eval()
        self.training = dict(training or {})

    @property
    def window_s(self) -> float:
        return self.config.window_s

    @property
    def horizon_s(self) -> float:
        return self.config.horizon_s

    @torch.no_grad()
    def predict_quantiles(self, features: np.ndarray) -> np.ndarray:
        """(B, n_features) from ``risk_features`` -> (B, 3) quantiles of ``x(t + horizon) - x_last``."""
        return self.net(torch.as_tensor(features, dtype=torch.float32)).double().numpy()

    def assess(
        self, t_s: np.ndarray, values: np.ndarray, *, limit: float, op: Direction = ">="
    ) -> RiskAssessment | None:
        t, v = finite_series(t_s, values)
        if t.size == 0:
            return None
        if np.any(np.diff(t) < 0):
            order = np.argsort(t, kind="stable")
            t, v = t[order], v[order]
        x = relative_to_limit(v, limit, op)
        features = risk_features(t, x, self.config)
        if features is None:
            return None
        q10, q50, q90 = (float(q) for q in self.predict_quantiles(features[None])[0])
        return self.assessment(t, v, x, (q10, q50, q90), limit=limit, op=op)

    def assessment(
        self,
        t: np.ndarray,
        v: np.ndarray,
        x: np.ndarray,
        quantiles: tuple[float, float, float],
        *,
        limit: float,
        op: Direction,
    ) -> RiskAssessment:
        """The typed result from the predicted quantiles (in ``x`` units) of one history."""
        q10, q50, q90 = quantiles
        x_last = float(x[-1])
        x_pred = x_last + q50
        sd_x = max((q90 - q10) / Z_SPREAD, self.config.min_sd)
        probability = 0.5 * math.erfc((1.0 - x_pred) / sd_x / math.sqrt(2.0))  # = exceedance_probability
        recent = t >= t[-1] - self.config.window_s
        rate = fit_line((t[recent] - t[-1]) / 60.0, v[recent]).slope
        horizon_min = self.config.horizon_s / 60.0
        if x_last >= 1.0:
            minutes: float | None = 0.0
        elif q50 > 0:
            minutes = (1.0 - x_last) / (q50 / horizon_min)
        else:
            minutes = None
        return RiskAssessment(
            self.name,
            float(v[-1]),
            rate,
            self.config.horizon_s,
            from_relative(x_pred, limit, op),
            sd_x * abs(limit),
            limit,
            op,
            probability,
            minutes,
        )

    # --- one file -------------------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        save_checkpoint(
            path,
            {
                "risk_model": self.name,
                "format": FORMAT,
                "model_config": asdict(self.config),
                "model": self.net.state_dict(),
                "training": self.training,
            },
        )
        return path

    @classmethod
    def load(cls, path: str | Path) -> LearnedRiskModel:
        """The model saved at ``path``; ``CheckpointError`` (a ValueError) says what is wrong with the file."""
        ckpt = read_checkpoint(
            path, required=("risk_model", "model_config", "model"), kind="risk model", missing_hint=MISSING_HINT
        )
        if ckpt["risk_model"] != cls.name or ckpt.get("format") != FORMAT:
            raise CheckpointError(
                f"{path}: a '{ckpt['risk_model']}' risk model (format {ckpt.get('format')}), "
                f"this version reads '{cls.name}' format {FORMAT} — retrain it"
            )
        raw = ckpt["model_config"]
        unknown = set(raw) - {f.name for f in fields(LearnedRiskConfig)}
        if unknown:
            raise CheckpointError(f"{path}: unknown config keys {sorted(unknown)} — written by a newer version?")
        config = LearnedRiskConfig(**raw)
        net = RiskQuantileNet(config.n_features, hidden=config.hidden)
        try:
            net.load_state_dict(ckpt["model"])
        except (RuntimeError, TypeError, AttributeError) as exc:
            raise CheckpointError(f"{path}: weights do not fit the saved config ({str(exc)[:120]}) — retrain") from None
        return cls(config, net=net, training=ckpt.get("training") or {})
