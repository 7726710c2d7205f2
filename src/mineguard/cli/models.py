"""``mineguard models list|show|add|promote|rollback``: the served model versions, from the shell.

They work on the database the service uses (``MINEGUARD_DATABASE_URL`` or ``--database-url``, and
the site of ``MINEGUARD_SITE_FILE`` or ``--site``), as ``mineguard users add`` does; a running
service serves a promoted or rolled-back version from its next round, without a restart. Each
change is in the audit log with who made it (``cli:<login name>``).
"""

from __future__ import annotations

import argparse
import getpass
import json
from pathlib import Path
from typing import Any

from mineguard.cli.serve import _settings


def _open(args: argparse.Namespace):
    from mineguard.services.bootstrap import bootstrap

    return bootstrap(_settings(args))


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _metrics(args: argparse.Namespace) -> dict[str, float] | None:
    if args.metrics is None and not args.metric:
        return None
    metrics: dict[str, float] = {}
    if args.metrics is not None:
        try:
            raw = json.loads(args.metrics.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise ValueError(
                f"--metrics {args.metrics}: not a readable JSON file ({exc}) — give {{name: number}}"
            ) from None
        if not isinstance(raw, dict) or not all(isinstance(v, int | float) for v in raw.values()):
            raise ValueError(
                f'--metrics {args.metrics}: give a JSON object of names to numbers, e.g. {{"val_loss": 0.1}}'
            )
        metrics.update({str(k): float(v) for k, v in raw.items()})
    for item in args.metric:
        name, eq, value = item.partition("=")
        try:
            metrics[name.strip()] = float(value)
        except ValueError:
            eq = ""
        if not eq or not name.strip():
            raise ValueError(f"--metric {item!r}: write NAME=NUMBER, e.g. --metric val_auc=0.71")
    return metrics


def _row(row: Any, active: bool) -> str:
    shown = {k: v for k, v in row.metrics.items() if k.startswith("val_")} or row.metrics
    metrics = ", ".join(f"{k}={v:.4g}" for k, v in sorted(shown.items())[:4])
    mark = "*" if active else " "
    return (
        f"{mark} {row.kind:<8} v{row.version:<4} {row.sha256[:12]}  {row.created_at:%Y-%m-%d %H:%M}  "
        f"{row.created_by:<16} {row.filename}  {metrics}"
    )


def cmd_list(args: argparse.Namespace) -> int:
    from mineguard.services.model_store import store

    booted = _open(args)
    try:
        with booted.sessions() as session:
            active = store.active_ids(session, booted.site_id)
            rows = store.versions(session, booted.site_id, args.kind)
            if not rows:
                print(f"no model versions at site {booted.site_id} — add one with `mineguard models add KIND FILE`")
            for row in rows:
                print(_row(row, active.get(row.kind) == row.id))
            for kind in sorted({r.kind for r in rows} - active.keys() - {"forecast", "multimodal"}):
                print(f"  ({kind}: no active version — the service uses its setting, e.g. MINEGUARD_RISK_MODEL)")
            if "multimodal" in {r.kind for r in rows} - active.keys():
                print("  (multimodal: no active version — no fusion warnings; the rules and the risk job warn)")
            forecast = next((r for r in rows if active.get(r.kind) == r.id and r.kind == "forecast"), None)
            if forecast is not None:
                print(f"  (forecast: v{forecast.version} serves its sensor kind; the risk model judges the others)")
            elif args.kind in (None, "forecast"):
                print("  (forecast: no active version — the risk model judges every sensor kind)")
    finally:
        booted.engine.dispose()
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from mineguard.services.model_store import store

    booted = _open(args)
    try:
        with booted.sessions() as session:
            row = store.get_version(session, booted.site_id, args.kind, args.version)
            active = store.active_ids(session, booted.site_id).get(row.kind) == row.id
            print(json.dumps({**store.describe(row), "active": active, "site": booted.site_id}, indent=2))
    finally:
        booted.engine.dispose()
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    from mineguard.services.model_store import store
    from mineguard.services.storage.types import utc_now

    if not args.file.is_file():
        raise ValueError(f"{args.file}: no such file — give the model file to add")
    training = None
    if args.data is not None:
        training = store.TrainingData(str(args.data), store.sha256_of_path(args.data))
    elif args.data_description is not None:
        training = store.TrainingData.described(args.data_description)
    metrics = _metrics(args)
    booted = _open(args)
    try:
        with booted.sessions() as session, session.begin():
            row = store.add(
                session,
                booted.site_id,
                args.kind,
                args.file.read_bytes(),
                filename=str(args.file),
                actor=_actor(),
                now=utc_now(),
                training_data=training,
                metrics=metrics,
                note=args.note,
            )
            print(f"added {row.kind} version {row.version} ({row.sha256[:12]}) at site {booted.site_id}")
            if args.promote:
                store.promote(session, booted.site_id, row.kind, row.version, actor=_actor(), now=utc_now())
                print(f"promoted {row.kind} version {row.version}: the service serves it from its next round")
            else:
                print(f"serve it: mineguard models promote {row.kind} {row.version}")
    finally:
        booted.engine.dispose()
    return 0


def cmd_promote(args: argparse.Namespace) -> int:
    from mineguard.services.model_store import store
    from mineguard.services.storage.types import utc_now

    booted = _open(args)
    try:
        with booted.sessions() as session, session.begin():
            row = store.promote(
                session, booted.site_id, args.kind, args.version, actor=_actor(), now=utc_now(), reason=args.reason
            )
            print(f"promoted {row.kind} version {row.version}: the service serves it from its next round")
    finally:
        booted.engine.dispose()
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    from mineguard.services.model_store import store
    from mineguard.services.storage.types import utc_now

    booted = _open(args)
    try:
        with booted.sessions() as session, session.begin():
            row = store.rollback(
                session, booted.site_id, args.kind, actor=_actor(), now=utc_now(), to=args.to, reason=args.reason
            )
            print(f"rolled {row.kind} back to version {row.version}: the service serves it from its next round")
    finally:
        booted.engine.dispose()
    return 0


def _where(p: argparse.ArgumentParser) -> None:
    p.add_argument("--database-url", help="the service's database (MINEGUARD_DATABASE_URL)")
    p.add_argument("--site", type=Path, help="the service's site YAML (MINEGUARD_SITE_FILE; default the sample mine)")


def register(groups: argparse._SubParsersAction) -> None:
    models = groups.add_parser("models", help="served model versions: list, show, add, promote, roll back")
    commands = models.add_subparsers(dest="models_command", required=True, metavar="SUBCOMMAND")
    p = commands.add_parser("list", help="the site's model versions (* = active)")
    p.add_argument("--kind", help="only this model kind (e.g. risk)")
    _where(p)
    p.set_defaults(func=cmd_list)
    p = commands.add_parser("show", help="one version's record (training data, hashes, metrics)")
    p.add_argument("kind")
    p.add_argument("version", type=int)
    _where(p)
    p.set_defaults(func=cmd_show)
    p = commands.add_parser(
        "add", help="add a model file as a new version (checked to load; not active until promoted)"
    )
    p.add_argument("kind", help="the model kind (risk: a .pt from `mineguard warn train risk`)")
    p.add_argument("file", type=Path)
    data = p.add_mutually_exclusive_group()
    data.add_argument("--data", type=Path, help="the training data file or folder (its SHA-256 is recorded)")
    data.add_argument(
        "--data-description", help="what it was trained on, when that is no file (e.g. simulated, seed 0)"
    )
    p.add_argument(
        "--metrics", type=Path, help="a JSON file of {name: number} to record (default: what the file records)"
    )
    p.add_argument("--metric", action="append", default=[], help="NAME=NUMBER to record (repeatable)")
    p.add_argument("--note", help="why this version")
    p.add_argument("--promote", action="store_true", help="make it the active version at once")
    _where(p)
    p.set_defaults(func=cmd_add)
    p = commands.add_parser("promote", help="make a version the one the service serves")
    p.add_argument("kind")
    p.add_argument("version", type=int)
    p.add_argument("--reason", help="why, for the audit log")
    _where(p)
    p.set_defaults(func=cmd_promote)
    p = commands.add_parser("rollback", help="go back to the version active before the current one (or --to N)")
    p.add_argument("kind")
    p.add_argument("--to", type=int, help="the version to go back to")
    p.add_argument("--reason", help="why, for the audit log")
    _where(p)
    p.set_defaults(func=cmd_rollback)
