"""The one door to Ray: imported only when the extra is installed, with a clear error otherwise."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

INSTALL_HINT = "pip install 'mineguard[cluster]'"


class ClusterUnavailable(ValueError):
    """Ray is not installed or the cluster cannot be reached; the message says what to do.

    A ``ValueError`` so that the command line prints it as a user error (``error: ...``, exit 2)."""


def require_ray() -> ModuleType:
    """The ``ray`` module, or :class:`ClusterUnavailable` naming the extra to install."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no usage report leaves a mine's network
    try:
        import ray
    except ImportError as exc:
        raise ClusterUnavailable(
            f"running on a Ray cluster needs the optional extra: {INSTALL_HINT} (ray is not installed: {exc})"
        ) from None
    return ray


def connect(address: str | None) -> ModuleType:
    """Join the Ray cluster at ``address`` (``HOST:PORT`` of the head, or ``auto``) unless already joined."""
    ray = require_ray()
    if ray.is_initialized():
        return ray
    try:
        ray.init(address=address or "auto", logging_level="WARNING", log_to_driver=False)
    except ConnectionError as exc:
        raise ClusterUnavailable(
            f"no Ray cluster at {address or 'auto'}: {exc} — start one (`ray start --head` on the head node, "
            "`ray start --address HEAD:6379` on the others) and pass the head's address"
        ) from None
    return ray


@contextmanager
def joined(address: str | None) -> Iterator[ModuleType]:
    """:func:`connect` for the time of a ``with``; leaves the cluster again if it joined it here."""
    ray = require_ray()
    already = ray.is_initialized()
    connect(address)
    try:
        yield ray
    finally:
        if not already:
            ray.shutdown()


def node_here() -> str:
    """The id of the Ray node this code runs on (inside an actor)."""
    return require_ray().get_runtime_context().get_node_id()
