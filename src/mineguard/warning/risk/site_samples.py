"""Training windows for the learned risk model from a site's own history, with the operators' verdicts applied.

:func:`site_samples` cuts windows from :class:`~mineguard.warning.risk.feedback.SiteSeries`, as
``trajectories.risk_samples`` cuts them from simulated trajectories — the future at the horizon is the
sensor's own reading there — and applies the :class:`~mineguard.warning.risk.feedback.Verdict`s:

- ``maintenance`` and ``test``: the readings were not the mine's process (a calibration gas, a bump test,
  a sensor being worked on); no window that touches the interval is used;
- ``true_alarm`` on an early warning: the operators acted on it (ventilation up, power off), so what
  followed is not what the mine would have done by itself; no window whose future reaches past the
  warning's opening, or that starts while it was open, is used (a true alarm on a threshold alarm changes
  nothing: the process did reach the limit);
- ``false_alarm``: the model warned and nothing came; these windows are the model's mistakes, so they
  are repeated ``false_alarm_weight`` times in the training set.

Windows are cut every ``every_s`` seconds of reading time, and only where a reading lies within
``max_future_gap_s`` of the horizon (the target is interpolated between the readings around it).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mineguard.warning.risk.feedback import NOT_PROCESS, SiteSeries, Verdict
from mineguard.warning.risk.learned import LearnedRiskConfig, relative_to_limit, risk_features
from mineguard.warning.risk.trajectories import RiskSamples


def _overlaps(a0: float, a1: float, b0: float, b1: float) -> bool:
    return a0 <= b1 and b0 <= a1


def site_samples(
    series: Sequence[SiteSeries],
    config: LearnedRiskConfig,
    verdicts: Sequence[Verdict] = (),
    *,
    every_s: float = 30.0,
    max_future_gap_s: float = 60.0,
    false_alarm_weight: int = 3,
    start_s: float = -np.inf,
    end_s: float = np.inf,
) -> RiskSamples | None:
    """Training windows from the site's series whose whole span (history and horizon) lies in
    ``[start_s, end_s]``, with the verdicts applied (see the module text); None when there is none."""
    if every_s <= 0 or max_future_gap_s <= 0 or false_alarm_weight < 1:
        raise ValueError("every_s and max_future_gap_s must be > 0 and false_alarm_weight >= 1")
    feats, targets, lasts, index = [], [], [], []
    for k, s in enumerate(series):
        if s.t_s.size < config.min_samples:
            continue
        x = relative_to_limit(s.values, s.limit, s.op)
        own = [v for v in verdicts if v.device_id == s.device_id]
        next_cut = -np.inf
        for i, t in enumerate(s.t_s):
            future_t = t + config.horizon_s
            if t < next_cut or t - config.window_s < start_s or future_t > end_s or future_t > s.t_s[-1]:
                continue
            j = int(np.searchsorted(s.t_s, future_t))
            near = min(abs(s.t_s[j] - future_t), abs(future_t - s.t_s[j - 1]) if j > 0 else np.inf)
            if near > max_future_gap_s:
                continue
            if any(
                (v.kind in NOT_PROCESS and _overlaps(t - config.window_s, future_t, v.start_s, v.end_s))
                or (v.kind == "true_alarm" and v.on_warning and t < v.start_s <= future_t)
                or (v.kind == "true_alarm" and v.on_warning and v.start_s <= t <= v.end_s)
                for v in own
            ):
                continue
            f = risk_features(s.t_s[: i + 1], x[: i + 1], config)
            if f is None:
                continue
            next_cut = t + every_s
            repeat = (
                false_alarm_weight
                if any(v.kind == "false_alarm" and _overlaps(t, future_t, v.start_s, v.end_s) for v in own)
                else 1
            )
            future = float(np.interp(future_t, s.t_s, x))
            for _ in range(repeat):
                feats.append(f), targets.append(future - x[i]), lasts.append(x[i]), index.append(k)
    if not feats:
        return None
    return RiskSamples(np.stack(feats), np.asarray(targets, np.float32), np.asarray(lasts), np.asarray(index))
