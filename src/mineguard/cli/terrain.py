"""``mineguard terrain``: open pits from satellite scenes (seed 004) — maps and change alerts."""

from __future__ import annotations

import argparse

from mineguard.cli.terrain_maps import add_map_commands


def register(groups: argparse._SubParsersAction) -> None:
    p = groups.add_parser("terrain", help="open-pit maps and change alerts from satellite scenes")
    commands = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_map_commands(commands)
