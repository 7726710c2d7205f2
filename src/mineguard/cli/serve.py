"""``mineguard serve`` (the platform API) and ``mineguard users add`` (accounts from the shell).

Settings come from ``MINEGUARD_*`` environment variables; the flags override them. With no
settings at all the service keeps its data in ``var/mineguard.db`` (SQLite) and loads the
bundled sample coal mine.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path


def _settings(args: argparse.Namespace):
    from mineguard.services.settings import Settings

    overrides = {
        k: v
        for k, v in {
            "database_url": args.database_url,
            "site_file": getattr(args, "site", None),
            "host": getattr(args, "host", None),
            "port": getattr(args, "port", None),
        }.items()
        if v is not None
    }
    return Settings(**overrides)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from mineguard.services.api.main import create_app

    settings = _settings(args)
    app = create_app(settings)
    if app.state.admin_password:
        print(
            f"created super-manager '{settings.admin_username}' with password {app.state.admin_password!r} — "
            "store it now, it is not shown again",
            file=sys.stderr,
        )
    print(f"MineGuard API on http://{settings.host}:{settings.port} (docs at /docs)", file=sys.stderr)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")
    return 0


def cmd_users_add(args: argparse.Namespace) -> int:
    from mineguard.mine.roles import Role
    from mineguard.services.auth.users import UserConflict, create_user
    from mineguard.services.bootstrap import bootstrap

    password = os.environ.get("MINEGUARD_NEW_PASSWORD") or getpass.getpass(f"password for {args.username}: ")
    booted = bootstrap(_settings(args))
    try:
        with booted.sessions() as session, session.begin():
            user = create_user(
                session,
                username=args.username,
                password=password,
                role=Role(args.role),
                crew=args.crew,
                asset_id=args.asset,
                actor="cli",
            )
            print(f"created {user.role} {user.username}")
    except UserConflict as exc:
        raise ValueError(str(exc)) from None
    finally:
        booted.engine.dispose()
    return 0


def register(groups: argparse._SubParsersAction) -> None:
    p = groups.add_parser("serve", help="run the platform API (SQLite + sample site by default)")
    p.add_argument("--host", help="bind address (default 127.0.0.1, MINEGUARD_HOST)")
    p.add_argument("--port", type=int, help="port (default 8000, MINEGUARD_PORT)")
    p.add_argument("--database-url", help="sqlite:///file.db or postgresql://... (MINEGUARD_DATABASE_URL)")
    p.add_argument("--site", type=Path, help="site YAML (default: the bundled sample coal mine)")
    p.set_defaults(func=cmd_serve)

    users = groups.add_parser("users", help="user accounts")
    commands = users.add_subparsers(dest="users_command", required=True, metavar="SUBCOMMAND")
    p = commands.add_parser("add", help="add a user (password from MINEGUARD_NEW_PASSWORD or a prompt)")
    p.add_argument("username")
    p.add_argument("--role", required=True, choices=["operator", "supervisor", "manager", "super_manager"])
    p.add_argument("--crew")
    p.add_argument("--asset", help="the person asset id this user is (operators)")
    p.add_argument("--database-url")
    p.add_argument("--site", type=Path)
    p.set_defaults(func=cmd_users_add)
