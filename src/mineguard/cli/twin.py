"""``mineguard site validate FILE`` and ``mineguard audit verify``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def cmd_site_validate(args: argparse.Namespace) -> int:
    from mineguard.mine.graph import ZoneGraph
    from mineguard.mine.site import load_site

    site = load_site(args.file)
    graph = ZoneGraph.from_site(site)
    lonely = sorted(zone for zone, neighbours in graph.neighbours.items() if not neighbours and len(site.zones) > 1)
    kinds: dict[str, int] = {}
    for device in site.devices:
        kinds[device.kind] = kinds.get(device.kind, 0) + 1
    print(
        f"{args.file}: OK — site {site.id!r}: {len(site.zones)} zones "
        f"({sum(z.danger for z in site.zones)} danger), {len(site.links)} links, {len(site.assets)} assets, "
        f"devices {', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))}"
    )
    if lonely:
        print(f"warning: zones with no links (unreachable on the map): {', '.join(lonely)}")
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from mineguard.services.audit.log import verify
    from mineguard.services.audit.seal import AuditSeal
    from mineguard.services.settings import Settings
    from mineguard.services.storage.db import has_schema, make_engine, session_factory

    given = {"database_url": args.database_url, "audit_key_file": args.key_file, "audit_anchor_file": args.anchor_file}
    settings = Settings(**{name: value for name, value in given.items() if value})
    engine = make_engine(settings.database_url)
    try:
        if not has_schema(engine):
            raise ValueError(
                f"no MineGuard database at {engine.url.render_as_string(hide_password=True)} — "
                "pass --database-url or set MINEGUARD_DATABASE_URL"
            )
        seal = AuditSeal.from_settings(settings, create=False)  # an unreadable key file: a clear error, exit 2
        with session_factory(engine)() as session:
            report = verify(session, seal=seal)
    finally:
        engine.dispose()
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(report.format())
    return 0 if report.ok else 1


def register(groups: argparse._SubParsersAction) -> None:
    site = groups.add_parser("site", help="site files (zones, assets, devices, sensitivities)")
    commands = site.add_subparsers(dest="site_command", required=True, metavar="SUBCOMMAND")
    p = commands.add_parser("validate", help="check a site YAML file; errors name the key and the fix")
    p.add_argument("file", type=Path)
    p.set_defaults(func=cmd_site_validate)

    audit = groups.add_parser("audit", help="the tamper-evident event log")
    commands = audit.add_subparsers(dest="audit_command", required=True, metavar="SUBCOMMAND")
    p = commands.add_parser(
        "verify",
        help="check the keyed hash chain against its checkpoints; exit 1 and name the first bad entry if tampered",
    )
    p.add_argument("--database-url", help="default: MINEGUARD_DATABASE_URL or sqlite:///var/mineguard.db")
    p.add_argument(
        "--key-file",
        type=Path,
        help="the audit HMAC key; default: MINEGUARD_AUDIT_KEY_FILE or "
        "audit.key next to the SQLite database (var/audit.key)",
    )
    p.add_argument(
        "--anchor-file",
        type=Path,
        help="the signed checkpoints; default: MINEGUARD_AUDIT_ANCHOR_FILE or audit-anchors.jsonl next to the key",
    )
    p.set_defaults(func=cmd_audit_verify)
