"""The tests' throw-away servers (``tests/support/``), for the benchmarks that measure on them.

The helpers are test code, not part of the ``mineguard`` package; this is the one place that puts
their folder on ``sys.path`` for the benchmarks (run from the repository root as
``.venv/bin/python benchmarks/x.py``, which puts ``benchmarks/`` itself on the path), so a
benchmark writes ``from local_servers import create_database, local_postgres``.
"""

from __future__ import annotations

import sys
from pathlib import Path

SUPPORT = Path(__file__).resolve().parents[1] / "tests" / "support"
if str(SUPPORT) not in sys.path:
    sys.path.insert(0, str(SUPPORT))

from local_broker import local_broker  # noqa: E402
from local_postgres import create_database, local_cluster, local_postgres  # noqa: E402
from local_ray import local_ray_cluster  # noqa: E402

__all__ = ["create_database", "local_broker", "local_cluster", "local_postgres", "local_ray_cluster"]
