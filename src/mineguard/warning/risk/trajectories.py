"""SIMULATED sensor trajectories relative to a limit, and the training of the learned risk model on them.

Every trajectory lives in the scale-free units of ``mineguard.warning.risk.learned`` (``x = 1`` at the limit,
past it at ``x >= 1``), so one set serves every sensor kind. Deterministic per ``(seed, index)``.
Over ``duration_s`` (1 h) a trajectory is the sum of

- a normal level, mostly 0.1-0.8 of the limit; a fifth sit quietly close to it (0.8-0.97, as oxygen at
  20.8 % against a 20 % minimum does, x = 0.96) with noise and drift kept well inside the gap;
- a slow drift (a bounded random walk, 1-s steps) and Gaussian reading noise (0.1-3 % of the limit);
- at most one event with a random onset (5-45 min) and rate (``EVENT_WEIGHTS``):
  ``ramp``: linear at 0.005-0.1 limits/min, to the end or stopping after 2-30 min (a plateau);
  ``approach``: exponential approach to an asymptote ``A``, ``x(t) = A + (x0 - A) exp(-(t - onset) / tau)``
  with tau 0.5-15 min, the solution of the simulator's methane ODE ``dCH4/dt = E - k (CH4 - ambient)``
  (``sim/sensors.py``; ``A = ambient + E / k``, ``tau = 1 / k``); half of them settle
  past the limit (A 1.05-2.0), half plateau just below it (A up to 0.97: the hard negatives);
  ``spike``: 1-3 short bumps (sd 5-40 s) that stay below 0.97, the false-alarm bait;
  ``quiet``: none.

Readings are taken every 5-30 s (per trajectory) with +-20 % jitter, 0-10 % dropped at random and, in
three trajectories of ten, one or two silent gaps of 1-5 min. Nothing here is measured data.

``risk_samples`` cuts many (history, future) pairs from each trajectory; ``train_learned_risk`` fits
``LearnedRiskModel`` with the pinball loss (AdamW, split by trajectory, early stop on validation loss).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np
import torch

from mineguard.engine.loop import EarlyStopping, KeepBest, Loop, LoopConfig, Monitor, index_batches, seed_everything
from mineguard.warning.risk.learned import (
    LearnedRiskConfig,
    LearnedRiskModel,
    RiskQuantileNet,
    exceedance_probability,
    pinball_loss,
    risk_features,
)

EVENTS = ("quiet", "ramp", "approach", "spike")
EVENT_WEIGHTS = (0.25, 0.25, 0.3, 0.2)
T0 = 1_800_000_000.0  # epoch seconds of every trajectory's start


@dataclass(frozen=True)
class Trajectory:
    """One simulated sensor: readings ``t_s`` (N,) epoch s and ``x`` (N,) relative to the limit; ``signal`` (T,)
    the noise-free value on a 1-s grid from ``T0``; ``rate_per_min`` the ramp rate or the approach's initial rate."""

    t_s: np.ndarray
    x: np.ndarray
    signal: np.ndarray
    noise_sd: float
    event: str
    onset_s: float | None
    rate_per_min: float

    @property
    def end_s(self) -> float:
        return T0 + self.signal.size - 1

    def observed(self, t_s: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """What a reading at ``t_s`` (epoch s) would show: the signal plus fresh reading noise."""
        clean = np.interp(t_s, T0 + np.arange(self.signal.size), self.signal)
        return clean + rng.normal(0.0, self.noise_sd, np.shape(t_s))

    @property
    def first_crossing_s(self) -> float | None:
        """Epoch s of the first reading past the limit (``x >= 1``); None if none is."""
        past = np.flatnonzero(self.x >= 1.0)
        return float(self.t_s[past[0]]) if past.size else None


def simulate_trajectory(seed: int, index: int, *, duration_s: int = 3600) -> Trajectory:
    """Trajectory ``index`` of the set ``seed`` (the same pair always gives the same trajectory)."""
    rng = np.random.default_rng([seed, index])
    near = rng.random() < 0.2
    level = rng.uniform(0.8, 0.97) if near else rng.uniform(0.1, 0.8)
    noise_sd = min(np.exp(rng.uniform(np.log(0.001), np.log(0.03))), (1.0 - level) / 8)
    bound = min(rng.uniform(0.0, 0.05), (1.0 - level) / 4)
    s = np.arange(duration_s + 1, dtype=float)
    drift = np.clip(np.cumsum(rng.normal(0.0, bound / 60 + 1e-9, s.size)), -bound, bound)
    event = str(rng.choice(EVENTS, p=EVENT_WEIGHTS))
    onset = float(rng.uniform(300.0, 2700.0)) if event != "quiet" else None
    since = np.maximum(s - (onset or 0.0), 0.0)  # seconds since onset, 0 before it
    rate, bump = 0.0, np.zeros_like(s)
    if event == "ramp":
        rate = float(np.exp(rng.uniform(np.log(0.005), np.log(0.1))))
        lasts_s = np.inf if rng.random() < 0.5 else rng.uniform(120.0, 1800.0)
        bump = rate * np.minimum(since, lasts_s) / 60.0
    elif event == "approach":
        tau_s = 60.0 * np.exp(rng.uniform(np.log(0.5), np.log(15.0)))
        crosses = rng.random() < 0.5
        asymptote = rng.uniform(1.05, 2.0) if crosses else level + (0.97 - level) * rng.uniform(0.3, 1.0)
        bump = (asymptote - level) * (1.0 - np.exp(-since / tau_s))
        rate = float((asymptote - level) / tau_s * 60.0)
    elif event == "spike":
        for _ in range(int(rng.integers(1, 4))):
            centre, width = rng.uniform(onset, duration_s), rng.uniform(5.0, 40.0)
            height = max(0.97 - level - bound, 0.0) * rng.uniform(0.2, 1.0)
            bump = np.maximum(bump, height * np.exp(-0.5 * ((s - centre) / width) ** 2))
    signal = level + drift + bump
    t_s = sample_times(rng, duration_s)
    clean = np.interp(t_s, s, signal)
    return Trajectory(
        T0 + t_s,
        clean + rng.normal(0.0, noise_sd, t_s.size),
        signal.astype(np.float32),
        float(noise_sd),
        event,
        onset,
        rate,
    )


def sample_times(rng: np.random.Generator, duration_s: float) -> np.ndarray:
    """Irregular reading times in [0, duration_s]: a 5-30 s period, +-20 % jitter, dropped readings, long gaps."""
    period = rng.uniform(5.0, 30.0)
    steps = period * rng.uniform(0.8, 1.2, int(duration_s / (0.8 * period)) + 2)
    t = np.cumsum(steps) - steps[0] * rng.random()
    t = t[(t >= 0) & (t <= duration_s)]
    keep = rng.random(t.size) >= rng.uniform(0.0, 0.1)
    if rng.random() < 0.3:
        for _ in range(int(rng.integers(1, 3))):
            start, length = rng.uniform(0.0, duration_s), rng.uniform(60.0, 300.0)
            keep &= ~((t >= start) & (t < start + length))
    return t[keep]


def generate_trajectories(n_series: int, *, seed: int, duration_s: int = 3600) -> list[Trajectory]:
    if n_series < 1:
        raise ValueError(f"n_series must be at least 1, got {n_series}")
    return [simulate_trajectory(seed, i, duration_s=duration_s) for i in range(n_series)]


@dataclass(frozen=True)
class RiskSamples:
    """``features`` (M, F) float32, ``target`` (M,) change ``x(t + horizon) - x_last``, ``x_last`` (M,), ``series``
    (M,) index of the trajectory each sample was cut from."""

    features: np.ndarray
    target: np.ndarray
    x_last: np.ndarray
    series: np.ndarray


def risk_samples(
    trajectories: list[Trajectory], config: LearnedRiskConfig, *, per_series: int = 40, seed: int = 0
) -> RiskSamples:
    """Up to ``per_series`` (history, future) pairs per trajectory, at random readings with a full horizon ahead."""
    rng = np.random.default_rng(seed)
    feats, targets, lasts, series = [], [], [], []
    for k, traj in enumerate(trajectories):
        ok = np.flatnonzero((traj.t_s - traj.t_s[0] >= config.min_span_s) & (traj.t_s + config.horizon_s <= traj.end_s))
        for i in rng.choice(ok, size=min(per_series, ok.size), replace=False) if ok.size else ():
            f = risk_features(traj.t_s[: i + 1], traj.x[: i + 1], config)
            if f is None:
                continue
            future = traj.observed(np.array([traj.t_s[i] + config.horizon_s]), rng)[0]
            feats.append(f), targets.append(future - traj.x[i]), lasts.append(traj.x[i]), series.append(k)
    if not feats:
        raise ValueError("no training windows: trajectories shorter than min_span_s + horizon_s")
    return RiskSamples(np.stack(feats), np.asarray(targets, np.float32), np.asarray(lasts), np.asarray(series))


@dataclass(frozen=True)
class RiskTrainMetrics:
    """Validation figures of a training run (pinball loss and the 10-90 % coverage in ``x`` units)."""

    n_series: int
    n_train: int
    n_val: int
    epochs_run: int
    best_epoch: int
    train_loss: float
    val_loss: float
    val_coverage: float  # share of validation futures inside [q10, q90]; 0.8 when calibrated
    val_brier: float  # of P(past the limit at the horizon)
    val_positive_rate: float
    seconds: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def train_learned_risk(
    n_series: int,
    *,
    seed: int = 0,
    epochs: int = 60,
    config: LearnedRiskConfig | None = None,
    per_series: int = 40,
    val_frac: float = 0.2,
    batch_size: int = 256,
    lr: float = 2e-3,
    weight_decay: float = 1e-4,
    patience: int = 8,
    site: RiskSamples | None = None,
) -> tuple[LearnedRiskModel, RiskTrainMetrics]:
    """Train on ``n_series`` simulated trajectories of set ``seed``; validation on a held-out share of trajectories.

    ``site``: windows of a site's own history (``feedback.site_samples``), added to the training windows
    (never to validation: the caller replays the model on a later stretch of the site's history)."""
    config = config or LearnedRiskConfig()
    if n_series < 5 or not 0 < val_frac < 1 or epochs < 1:
        raise ValueError(f"need n_series >= 5, 0 < val_frac < 1, epochs >= 1; got {n_series}, {val_frac}, {epochs}")
    started = time.perf_counter()
    seed_everything(seed)
    samples = risk_samples(generate_trajectories(n_series, seed=seed), config, per_series=per_series, seed=seed)
    n_val_series = max(1, round(val_frac * n_series))
    is_val = np.isin(samples.series, np.random.default_rng(seed).permutation(n_series)[:n_val_series])
    X, y = torch.from_numpy(samples.features), torch.from_numpy(samples.target)
    X_tr, y_tr, X_va, y_va = X[~is_val], y[~is_val], X[is_val], y[is_val]
    if site is not None:
        if site.features.shape[1] != X.shape[1]:
            raise ValueError(f"site windows have {site.features.shape[1]} features, the model {X.shape[1]}")
        X_tr = torch.cat([X_tr, torch.from_numpy(site.features.astype(np.float32))])
        y_tr = torch.cat([y_tr, torch.from_numpy(site.target.astype(np.float32))])
    net = RiskQuantileNet(config.n_features, hidden=config.hidden)
    std = X_tr.std(0)
    net.feature_mean.copy_(X_tr.mean(0))
    net.feature_std.copy_(torch.where(std > 1e-6, std, torch.ones_like(std)))
    net.target_scale.fill_(max(float(y_tr.std()), 1e-3))
    optimizer = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=weight_decay)
    generator = torch.Generator().manual_seed(seed)

    def validate(epoch: int) -> dict[str, float]:
        net.eval()
        with torch.no_grad():
            return {"val_loss": float(pinball_loss(net(X_va), y_va))}

    monitor = Monitor("val_loss", mode="min", min_delta=1e-7)
    summary = Loop(
        net,
        optimizer,
        lambda idx: {"loss": pinball_loss(net(X_tr[idx]), y_tr[idx]) / net.target_scale},
        batches=lambda epoch: index_batches(len(X_tr), batch_size, generator),
        config=LoopConfig(epochs=epochs),
        validate=validate,
        monitor=monitor,
        callbacks=[KeepBest(from_start=True), EarlyStopping(patience)],
        batch_size=len,
    ).fit()
    best_record = monitor.best_record
    train_loss = best_record.train["loss"] * float(net.target_scale) if best_record is not None else 0.0
    best_epoch = monitor.best_epoch + 1 if monitor.best_epoch is not None else 0
    model = LearnedRiskModel(config, net=net.eval())
    q = model.predict_quantiles(X_va.numpy())
    future = samples.x_last[is_val] + y_va.numpy()
    change = y_va.numpy()
    p = exceedance_probability(samples.x_last[is_val], q, config.min_sd)
    metrics = RiskTrainMetrics(
        n_series=n_series,
        n_train=len(X_tr),
        n_val=len(X_va),
        epochs_run=summary.epochs_run,
        best_epoch=best_epoch,
        train_loss=train_loss,
        val_loss=monitor.best,
        val_coverage=float(((change >= q[:, 0]) & (change <= q[:, 2])).mean()),
        val_brier=float(((p - (future >= 1.0)) ** 2).mean()),
        val_positive_rate=float((future >= 1.0).mean()),
        seconds=time.perf_counter() - started,
    )
    model.training = {
        "data": f"simulated trajectories (mineguard.warning.risk.trajectories), seed {seed}"
        + (f", and {len(site.target):,} windows of the site's own history" if site is not None else ""),
        "site_windows": 0 if site is None else len(site.target),
        "seed": seed,
        "per_series": per_series,
        "lr": lr,
        "weight_decay": weight_decay,
        **metrics.as_dict(),
    }
    return model, metrics
