"""``mineguard terrain``: open pits from satellite scenes (seed 004) — train, eval, maps and change alerts."""

from __future__ import annotations

import argparse

from mineguard.cli.terrain_cracks import add_crack_commands
from mineguard.cli.terrain_maps import add_map_commands
from mineguard.cli.terrain_train import add_train_commands


def register(groups: argparse._SubParsersAction) -> None:
    p = groups.add_parser("terrain", help="open-pit classifier, maps and change alerts from satellite scenes")
    commands = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_train_commands(commands)
    add_map_commands(commands)
    add_crack_commands(commands)
