"""``mineguard warn train|eval|forecast|index|similar``: early-warning models (seed 003).

- ``train multimodal``: the early-warning model of the multimodal set — LightGBM on window
  summaries by default (``--model window-gbm``, one JSON file), or the cross-modal fusion model
  (``--model fusion``, with ``--pretrain-epochs`` for per-modality pre-training);
- ``train fusion``: the cross-modal fusion model (sensors + camera events + text) on a simulated
  multimodal set built from the platform simulator's physics with real MSHA narratives as text;
  saves one ``.pt`` file;
- ``train risk``: the learned risk model the platform's early-warning job can load from a file
  (``risk_model`` setting);
- ``train seismic``: the served seismic hazard model (JSON) on the seismic-bumps shifts;
- ``eval``: a saved multimodal model (window-gbm ``.json`` or fusion ``.pt``) on fresh simulated
  episodes: hazard identification, risk level, each modality removed at test time, and alarm
  level against the threshold rule (events detected, lead time, false alarms per day);
- ``forecast``: forecast a logged sensor CSV minutes ahead, with its skill against persistence;
- ``retrain``: the learned risk model retrained on the site's own history and the operators'
  acknowledgement reasons, with a replay of the last days before and after;
- ``index`` / ``similar``: the similar-incident index built from the real MSHA narratives, which the
  platform uses to attach analogous past incidents to each new alert (``incident_index`` setting),
  and a search of it from the command line.
"""

from __future__ import annotations

import argparse

from mineguard.cli import (
    warn_forecast,
    warn_fusion,
    warn_index,
    warn_multimodal,
    warn_retrain,
    warn_risk,
    warn_seismic,
)


def register(groups: argparse._SubParsersAction) -> None:
    parser = groups.add_parser(
        "warn", help="early-warning models: train, eval, forecast, retrain, similar incidents (seed 003)"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="SUBCOMMAND")
    train = sub.add_parser("train", help="train an early-warning model (multimodal, fusion, risk or seismic)")
    models = train.add_subparsers(dest="model_kind", required=True, metavar="MODEL")
    warn_multimodal.add_train_parser(models)
    warn_fusion.add_train_parser(models)
    warn_risk.add_train_parser(models)
    warn_seismic.add_train_parser(models)
    warn_fusion.add_eval_parser(sub)
    warn_forecast.add_parser(sub)
    warn_index.add_index_parser(sub)
    warn_index.add_similar_parser(sub)
    warn_retrain.add_parser(sub)
