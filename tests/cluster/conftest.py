"""A local Ray cluster on loopback for the cluster tests: a head and two worker nodes, small, torn down always.

The head has no camera or ingest slots (``mineguard_camera``, ``mineguard_ingest``), so those
actors land on the workers, as on a real cluster whose head also runs the service. Node deaths
are noticed after ~2 s (health checks every 0.5 s, 4 misses) instead of Ray's default ~15 s.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
WORKER = {"num_cpus": 4, "resources": {"mineguard_camera": 2, "mineguard_ingest": 2}}
HEALTH = {"health_check_period_ms": 500, "health_check_failure_threshold": 4, "health_check_initial_delay_ms": 0}


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[object]:
    pytest.importorskip("ray", reason="the optional extra mineguard[cluster] is not installed")
    import ray
    from ray.cluster_utils import Cluster

    cluster = Cluster(
        initialize_head=True,
        head_node_args={"num_cpus": 1, "include_dashboard": False, "_system_config": HEALTH},
    )
    try:
        cluster.workers = [cluster.add_node(**WORKER) for _ in range(2)]
        ray.init(address=cluster.address, logging_level="WARNING", log_to_driver=False)
        cluster.wait_for_nodes()
        yield cluster
    finally:
        ray.shutdown()
        cluster.shutdown()
