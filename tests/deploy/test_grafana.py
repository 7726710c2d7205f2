"""The Grafana dashboard in ``deploy/`` queries only metrics the service exports (so it cannot rot
silently when a metric is renamed), and every panel has a title, a query and a place on the grid."""

from __future__ import annotations

import json
import re
from pathlib import Path

from fastapi.testclient import TestClient

from mineguard.services.settings import Settings

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "mineguard.json"
METRIC = re.compile(r"\b(mineguard_[a-z_]+)")
SUFFIXES = ("_bucket", "_count", "_sum", "_total")


def exported(tmp_path) -> set[str]:
    """Every metric family name a running service exposes, with and without the sample suffixes."""
    from mineguard.services.api.main import create_app

    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'db.sqlite'}", admin_password="pw-123456"))
    with TestClient(app) as client:
        text = client.get("/metrics").text
    app.state.ctx.engine.dispose()
    names = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            name = line.split()[2]
            names |= {name, *(name + s for s in SUFFIXES)}
    return names


def test_every_queried_metric_is_exported(tmp_path) -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    names = exported(tmp_path)
    queried = set()
    for panel in dashboard["panels"]:
        assert panel["title"] and panel["targets"] and {"h", "w", "x", "y"} <= set(panel["gridPos"]), panel
        for target in panel["targets"]:
            queried |= set(METRIC.findall(target["expr"]))
    assert queried, "the dashboard queries nothing"
    assert queried <= names, f"queried but not exported: {sorted(queried - names)}"
