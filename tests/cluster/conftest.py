"""A local Ray cluster for the cluster tests: a head without camera or ingest slots and two worker
nodes with them, so the actors land on the workers, as on a real cluster whose head runs the service."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local_ray import local_ray_cluster  # before ray is imported: it puts Ray on loopback


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[object]:
    pytest.importorskip("ray", reason="the optional extra mineguard[cluster] is not installed")
    with local_ray_cluster(2) as cluster:
        yield cluster
