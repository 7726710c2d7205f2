"""``mineguard warn train risk``: train the learned risk model on simulated trajectories and save it.

The model (``mineguard.warning.risk.learned``) forecasts, from a sensor's last minutes of readings, the
quantiles of where it will be ``--horizon-s`` from now relative to its limit, and hence the
probability of being past the limit. It is trained on SIMULATED trajectories
(``mineguard.warning.risk.trajectories``: ramps, exponential approaches, plateaus just below the limit,
spikes, irregular sampling), split by trajectory for validation. The saved ``.pt`` file is what the
platform loads through the ``risk_model`` setting (``MINEGUARD_RISK_MODEL=<path>``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

DEFAULT_OUT = Path("runs/warn/risk.pt")


def add_train_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``risk`` under the sub-commands of ``mineguard warn train``."""
    p = sub.add_parser("risk", help="train the learned risk model (quantile forecaster) on simulated trajectories")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"where to save the model (default {DEFAULT_OUT})")
    p.add_argument("--series", type=int, default=2000, help="simulated trajectories (1 h each); 20 %% for validation")
    p.add_argument("--epochs", type=int, default=60, help="most epochs (early stop on the validation pinball loss)")
    p.add_argument("--seed", type=int, default=0, help="seed of the simulated set and of the training")
    p.add_argument("--horizon-s", type=float, default=600.0, help="forecast horizon, seconds")
    p.add_argument("--window-s", type=float, default=300.0, help="history the model reads, seconds")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    p.set_defaults(func=cmd_train_risk)


def cmd_train_risk(args: argparse.Namespace) -> int:
    if args.series < 5:
        raise ValueError(f"--series {args.series}: need at least 5 trajectories (some are held out for validation)")
    if args.epochs < 1:
        raise ValueError(f"--epochs {args.epochs}: train at least one epoch")
    if args.threads < 1:
        raise ValueError(f"--threads {args.threads}: use at least one thread")
    if args.out.suffix != ".pt":
        raise ValueError(f"--out {args.out}: name the file *.pt (a path ending in .pt is what the platform loads)")
    import torch

    from mineguard.warning.risk.learned import LearnedRiskConfig
    from mineguard.warning.risk.trajectories import train_learned_risk

    config = LearnedRiskConfig(window_s=args.window_s, horizon_s=args.horizon_s, min_span_s=min(120.0, args.window_s))
    torch.set_num_threads(args.threads)
    model, m = train_learned_risk(args.series, seed=args.seed, epochs=args.epochs, config=config)
    path = model.save(args.out)
    print(
        f"trained the learned risk model on {args.series} simulated trajectories (seed {args.seed}): "
        f"{m.n_train:,} train / {m.n_val:,} validation windows, best epoch {m.best_epoch} of {m.epochs_run}, "
        f"{m.seconds:.0f} s"
    )
    print(
        f"validation: pinball loss {m.val_loss:.4f} (limit units), 10-90 % interval coverage {m.val_coverage:.2f} "
        f"(0.80 if calibrated), Brier {m.val_brier:.4f} for 'past the limit in {args.horizon_s / 60:g} min' "
        f"(positive rate {m.val_positive_rate:.2f})"
    )
    print(f"saved {path}")
    print(f"use it: MINEGUARD_RISK_MODEL={path} mineguard serve  (or risk_model='{path}' in the settings)")
    return 0
