"""A throw-away Ray cluster on loopback for tests (the optional extra ``mineguard[cluster]``).

``ray.cluster_utils.Cluster``: a head and ``workers`` worker nodes as local processes, small CPU
counts, every address 127.0.0.1, no dashboard, no usage report, node deaths noticed after ~2 s
(health checks every 0.5 s, 4 misses; Ray's defaults take several times longer), shut down even
when the test fails. The head offers the
``head_resources`` it is given (none by default: camera and ingest slots only on the workers).
A test helper, not part of the package (``from local_ray import local_ray_cluster``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
# Ray's single-machine mode: its nodes' address is 127.0.0.1, not the machine's. Ray reads this when it is
# first imported, so import this module before ray (the cluster tests and the benchmark do).
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
LOOPBACK = "127.0.0.1"  # every node and the driver on loopback (Ray would pick the machine's address)
SLOTS = {"mineguard_camera": 2, "mineguard_ingest": 2}
HEALTH = {"health_check_period_ms": 500, "health_check_failure_threshold": 4, "health_check_initial_delay_ms": 0}


@contextmanager
def local_ray_cluster(
    workers: int = 2, *, head_cpus: int = 1, head_resources: dict[str, float] | None = None, connect: bool = True
) -> Iterator[Any]:
    """The cluster (``.address``; ``.workers``: the worker nodes, each with ``.node_id``); ``connect``:
    this process joins it (``ray.init``) for the time of the ``with``."""
    import ray
    from ray.cluster_utils import Cluster

    head = {"num_cpus": head_cpus, "include_dashboard": False, "_system_config": HEALTH, "node_ip_address": LOOPBACK}
    if head_resources:
        head["resources"] = head_resources
    cluster = Cluster(initialize_head=True, head_node_args=head)
    try:
        cluster.workers = [
            cluster.add_node(num_cpus=4, resources=SLOTS, node_ip_address=LOOPBACK) for _ in range(workers)
        ]
        if connect:
            ray.init(address=cluster.address, logging_level="WARNING", log_to_driver=False, _node_ip_address=LOOPBACK)
        cluster.wait_for_nodes()
        yield cluster
    finally:
        ray.shutdown()
        cluster.shutdown()
