"""Retrain the learned risk model on a site's history and its operators' verdicts, and replay before/after.

:func:`retrain_risk` is the whole step, on plain data (``mineguard warn retrain`` reads it from the service's
database, ``benchmarks/warning_retrain.py`` builds it): training windows from the older stretch
``[since_s, replay_from_s]`` (``site_samples``: verdicts applied) added to simulated trajectories
(``trajectories.train_learned_risk``), then both the model served before and the retrained one replayed on
the newer stretch ``[replay_from_s, until_s]``, which was never trained on (``replay``), and scored
against the site's alarms and verdicts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from mineguard.warning.risk.base import RiskModel
from mineguard.warning.risk.feedback import VERDICTS, SiteSeries, Verdict
from mineguard.warning.risk.learned import LearnedRiskConfig, LearnedRiskModel
from mineguard.warning.risk.replay import Alarm, replay_warnings, score_replay
from mineguard.warning.risk.site_samples import site_samples
from mineguard.warning.risk.trajectories import RiskSamples, RiskTrainMetrics, train_learned_risk


@dataclass(frozen=True)
class RetrainResult:
    model: LearnedRiskModel  # its ``training`` record holds the figures below
    metrics: RiskTrainMetrics
    site_windows: int
    site_data_sha256: str
    verdicts: dict[str, int]
    scores: dict[str, dict]  # "before" / "after": ReplayScore.as_dict()


def samples_sha256(samples: RiskSamples) -> str:
    """SHA-256 of the training windows (features and targets): what the model was trained on, by content."""
    digest = hashlib.sha256()
    for array in (samples.features, samples.target):
        digest.update(array.tobytes())
    return digest.hexdigest()


def retrain_risk(
    series: Sequence[SiteSeries],
    alarms: Sequence[Alarm],
    verdicts: Sequence[Verdict],
    *,
    before: RiskModel,
    since_s: float,
    replay_from_s: float,
    until_s: float,
    n_series: int = 500,
    epochs: int = 30,
    seed: int = 0,
    step_s: float = 60.0,
    lookback_s: float = 1800.0,
    every_s: float = 30.0,
) -> RetrainResult:
    """Train on ``[since_s, replay_from_s]``, replay ``before`` and the new model on ``[replay_from_s, until_s]``."""
    if not since_s < replay_from_s < until_s:
        raise ValueError("need since < replay_from < until: train on the older stretch, replay on the newer")
    config = before.config if isinstance(before, LearnedRiskModel) else LearnedRiskConfig()
    site = site_samples(series, config, verdicts, start_s=since_s, end_s=replay_from_s, every_s=every_s)
    if site is None:
        raise ValueError(
            f"no training windows before the replay: {len(series)} judged sensors have readings in the stretch — "
            "train on more days"
        )
    after, metrics = train_learned_risk(n_series, seed=seed, epochs=epochs, config=config, site=site)
    span = {"start_s": replay_from_s, "end_s": until_s}
    scores = {}
    for name, model in (("before", before), ("after", after)):
        warned = [w for s in series for w in replay_warnings(s, model, step_s=step_s, **span)]
        scores[name] = score_replay(warned, alarms, verdicts, lookback_s=lookback_s, **span).as_dict()
    counts = {kind: sum(v.kind == kind for v in verdicts) for kind in VERDICTS}
    digest = samples_sha256(site)
    after.training |= {"site_data_sha256": digest, "verdicts": counts, "replay": scores}
    return RetrainResult(after, metrics, len(site.target), digest, counts, scores)
