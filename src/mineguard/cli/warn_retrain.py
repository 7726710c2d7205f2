"""``mineguard warn retrain``: retrain the learned risk model on the site's own history and the operators'
verdicts, and replay the last days to show what changes.

From the service's database (``--database-url``, default ``MINEGUARD_DATABASE_URL``) for the stretch that
ends at ``--until`` (default now):

1. the older ``--train-days``: each judged sensor's cleansed readings become training windows
   (``warning.risk.site_samples``) with the acknowledgement reasons applied — maintenance and test
   intervals left out, the futures operators changed after a true alarm left out, false alarms repeated —
   added to ``--series`` simulated trajectories;
2. the newer ``--replay-days`` (never trained on): the served model (``--before``, default the
   ``risk_model`` setting) and the retrained one are replayed every ``--step-s`` as the risk job runs them
   (``warning.risk.replay``) and scored against the site's alarms and verdicts: warnings, false alarms per
   day, alarms warned and missed, median lead time.

The new model is saved to ``--out`` with the figures in its training record; it is served only once it is
made the active version (the model registry's promotion, for the super-manager), or named in the
``risk_model`` setting.
"""

from __future__ import annotations

import argparse
import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

DEFAULT_OUT = Path("runs/warn/risk-retrained.pt")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "retrain",
        help="retrain the learned risk model on the site's history and operators' verdicts; replay before/after",
    )
    p.add_argument("--database-url", help="default: MINEGUARD_DATABASE_URL or sqlite:///var/mineguard.db")
    p.add_argument("--until", help="end of the stretch, ISO time with zone (default: now)")
    p.add_argument("--train-days", type=float, default=14.0, help="days of history to train on (default 14)")
    p.add_argument("--replay-days", type=float, default=3.0, help="the newest days, replayed, never trained on")
    p.add_argument("--before", help="the model to compare with (default: the risk_model setting)")
    p.add_argument("--series", type=int, default=500, help="simulated trajectories added to the site's windows")
    p.add_argument("--epochs", type=int, default=30, help="most epochs (early stop on the validation loss)")
    p.add_argument("--step-s", type=float, default=60.0, help="replay step, seconds (the risk job's period)")
    p.add_argument("--lookback-s", type=float, default=1800.0, help="how far before an alarm a warning counts")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"where to save the model (default {DEFAULT_OUT})")
    p.add_argument("--report", type=Path, help="also write the before/after figures as JSON here")
    p.add_argument(
        "--register",
        action="store_true",
        help="add the new model to the model registry as a risk version (not served until the super-manager "
        "promotes it)",
    )
    p.set_defaults(func=cmd_retrain)


def _until(text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC)
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"--until {text!r}: write an ISO time, e.g. 2026-12-06T08:00:00+00:00") from None
    if when.tzinfo is None:
        raise ValueError(f"--until {text!r}: give the time zone, e.g. 2026-12-06T08:00:00+00:00")
    return when


def _check(args: argparse.Namespace) -> None:
    if not args.train_days > 0 or not args.replay_days > 0:
        raise ValueError("--train-days and --replay-days must be > 0")
    if args.series < 5 or args.epochs < 1 or args.threads < 1:
        raise ValueError("--series must be >= 5, --epochs and --threads >= 1")
    if args.step_s <= 0 or args.lookback_s <= 0:
        raise ValueError("--step-s and --lookback-s must be > 0")
    if args.out.suffix != ".pt":
        raise ValueError(f"--out {args.out}: name the file *.pt (a path ending in .pt is what the platform loads)")


def cmd_retrain(args: argparse.Namespace) -> int:
    _check(args)
    until = _until(args.until)
    replay_from = until - timedelta(days=args.replay_days)
    since = replay_from - timedelta(days=args.train_days)
    import torch

    from mineguard.services.alerts.feedback import site_alarms, site_series, verdicts
    from mineguard.services.settings import Settings
    from mineguard.services.storage.db import has_schema, make_engine, session_factory
    from mineguard.warning.risk import load_risk_model
    from mineguard.warning.risk.retrain import retrain_risk

    settings = Settings(**({"database_url": args.database_url} if args.database_url else {}))
    before = load_risk_model(args.before or settings.risk_model)
    engine = make_engine(settings.database_url)
    try:
        if not has_schema(engine):
            where = engine.url.render_as_string(hide_password=True)
            raise ValueError(f"no MineGuard database at {where} — pass --database-url or set MINEGUARD_DATABASE_URL")
        with session_factory(engine)() as session:
            series = site_series(session, since, until)
            alarms = site_alarms(session, since, until)
            labels = verdicts(session, since, until)
    finally:
        engine.dispose()
    torch.set_num_threads(args.threads)
    try:
        result = retrain_risk(
            series,
            alarms,
            labels,
            before=before,
            since_s=since.timestamp(),
            replay_from_s=replay_from.timestamp(),
            until_s=until.timestamp(),
            n_series=args.series,
            epochs=args.epochs,
            seed=args.seed,
            step_s=args.step_s,
            lookback_s=args.lookback_s,
        )
    except ValueError as exc:
        raise ValueError(
            f"{exc} (the {args.train_days:g} days before {replay_from.isoformat()}; move --until)"
        ) from None
    after, metrics, scores, counts = result.model, result.metrics, result.scores, result.verdicts
    after.training |= {
        "site_stretch": [since.isoformat(), replay_from.isoformat()],
        "replay": {"stretch": [replay_from.isoformat(), until.isoformat()], **scores},
    }
    path = after.save(args.out)
    print(
        f"retrained on {result.site_windows:,} windows of {len(series)} sensors ({since:%Y-%m-%d %H:%M} to "
        f"{replay_from:%Y-%m-%d %H:%M} UTC) + {args.series} simulated trajectories; verdicts used: "
        + ", ".join(f"{k} {v}" for k, v in counts.items())
        + f"; best epoch {metrics.best_epoch} of {metrics.epochs_run}, {metrics.seconds:.0f} s"
    )
    stretch = f"{replay_from:%Y-%m-%d %H:%M} to {until:%Y-%m-%d %H:%M} UTC"
    print(f"replay of {args.replay_days:g} days ({stretch}, never trained on):")
    print(f"  {'model':<10} {'warnings':>8} {'false/day':>9} {'alarms':>6} {'warned':>6} {'missed':>6} {'lead':>8}")
    for name, label in (("before", getattr(before, "name", "before")), ("after", "retrained")):
        s = scores[name]
        lead = "-" if s["median_lead_s"] is None else f"{s['median_lead_s']:.0f} s"
        print(
            f"  {label:<10} {s['warnings']:>8} {s['false_alarms_per_day']:>9.2f} {s['alarms']:>6} "
            f"{s['warned']:>6} {s['missed']:>6} {lead:>8}"
        )
    print(f"saved {path} — it is served once promoted (super-manager) or named in MINEGUARD_RISK_MODEL")
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(json.dumps({"model": str(path), **after.training}, indent=2, default=str))
    if args.register:
        described = (
            f"the site's cleansed readings {since.isoformat()} to {replay_from.isoformat()} ({result.site_windows:,} "
            f"windows, verdicts {counts}) + {args.series} simulated trajectories (seed {args.seed})"
        )
        version = _register(settings, path, described, result.site_data_sha256, scores)
        print(f"registered risk version {version} — not served until promoted: mineguard models promote risk {version}")
    return 0


def _register(settings, path: Path, described: str, data_sha256: str, scores: dict[str, dict]) -> int:
    """Add the model at ``path`` to the registry as a new ``risk`` version (not active); its number."""
    from mineguard.services.bootstrap import bootstrap
    from mineguard.services.model_store import store
    from mineguard.services.storage.types import utc_now

    metrics = {
        f"replay_{side}_{name}": float(value)
        for side, figures in scores.items()
        for name, value in figures.items()
        if isinstance(value, int | float) and math.isfinite(value) and name != "days"
    }
    booted = bootstrap(settings)
    try:
        with booted.sessions() as session, session.begin():
            row = store.add(
                session,
                booted.site_id,
                "risk",
                path.read_bytes(),
                filename=str(path),
                actor="cli:warn-retrain",
                now=utc_now(),
                training_data=store.TrainingData.described(described, data_sha256),
                metrics=metrics,
                note="retrained by `mineguard warn retrain`; read the replay figures before promoting",
            )
            return row.version
    finally:
        booted.engine.dispose()
