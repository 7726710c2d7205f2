"""``mineguard warn train seismic``: train the served seismic hazard model on the seismic-bumps shifts.

Reads the seismic-bumps CSV (``--data``, default ``$MINEGUARD_SHARED_DATA/sensors/seismic_bumps/
seismic-bumps-dev.csv``), fits the logistic model of ``warning.seismic_served`` on the first 75 % of the
shifts in time order, scores the last 25 %, and saves the JSON file the service serves as the ``seismic``
kind (``mineguard models add seismic FILE``).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

DEFAULT_SAVE = Path("runs/warn/seismic.json")
DATA = Path("sensors/seismic_bumps/seismic-bumps-dev.csv")


def add_train_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``seismic`` under the sub-commands of ``mineguard warn train``."""
    p = sub.add_parser("seismic", help="train the served seismic hazard model (JSON) on seismic-bumps")
    p.add_argument("--data", type=Path, default=None, help="the seismic-bumps CSV (default: the shared data's)")
    p.add_argument("--save", type=Path, default=DEFAULT_SAVE, help=f"where to save the model (default {DEFAULT_SAVE})")
    p.add_argument("--test-frac", type=float, default=0.25, help="the latest shifts held out and scored")
    p.set_defaults(func=cmd_train_seismic)


def cmd_train_seismic(args: argparse.Namespace) -> int:
    if args.save.suffix != ".json":
        raise ValueError(f"--save {args.save}: name the file *.json (the seismic kind's files end in .json)")
    from mineguard.warning.seismic import load_seismic_bumps
    from mineguard.warning.seismic_served import train_seismic

    data = args.data or Path(os.environ.get("MINEGUARD_SHARED_DATA", "../shared/data")) / DATA
    model = train_seismic(load_seismic_bumps(data), test_frac=args.test_frac)
    args.save.parent.mkdir(parents=True, exist_ok=True)
    path = model.save(args.save)
    t = model.training
    print(f"trained the seismic hazard model on {t['data']}: C={t['C']:g}, validation ROC-AUC {t['val_auc']:.3f}")
    print(
        f"test (latest {args.test_frac:.0%}): ROC-AUC {t['test_auc']:.3f}, recall {t['test_recall']:.3f} at "
        f"false-alarm rate {t['test_far']:.3f} (threshold p >= {model.threshold:.3f})"
    )
    print(
        f"saved {path} — serve it with `mineguard models add seismic {path}` and `mineguard models promote seismic N`"
    )
    return 0
