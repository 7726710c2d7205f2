"""The app's background services are built, started and stopped by ``services/lifecycle.py``, in order.

``create_app`` only wires: its lifespan hands everything to one :class:`ServiceRuntime`. These tests
run the real app (FastAPI ``TestClient`` over ``create_app``) and record what starts and stops when.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from mineguard.services import lifecycle as runtime_module
from mineguard.services.ingest.broker_check import BrokerCheckFailed
from mineguard.services.lifecycle import ServiceRuntime
from mineguard.services.settings import Settings

TICKERS = [
    "mineguard-ticker",
    "mineguard-sensor-health",
    "mineguard-ingest-health",
    "mineguard-risk",
    "mineguard-seismic",
    "mineguard-fusion",
    "mineguard-audit",
    "mineguard-evidence",
    "mineguard-headcount",
]


def _record(log: list[str], name: str, part: object, methods: tuple[str, ...] = ("start", "stop")) -> None:
    """Wrap ``part.start`` and ``part.stop`` so each call is logged as ``name.start`` / ``name.stop``."""
    for method in methods:
        real = getattr(part, method)

        def logged(*args, _real=real, _event=f"{name}.{method}", **kwargs):
            log.append(_event)
            return _real(*args, **kwargs)

        setattr(part, method, logged)


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], list[ServiceRuntime]]:
    """Every runtime the app builds, with the start and stop of each of its parts logged."""
    log: list[str] = []
    built: list[ServiceRuntime] = []

    class Recording(ServiceRuntime):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            built.append(self)
            _record(log, "refusals", self.refusals)
            _record(log, "ingest", self.ingest)
            _record(log, "bus", self.bus)
            for ticker in self.tickers:
                _record(log, ticker._thread.name, ticker)

    real_load = runtime_module.load_dispatcher

    def load_dispatcher(*args, **kwargs):
        log.append("dispatcher.load")
        dispatcher = real_load(*args, **kwargs)
        _record(log, "dispatcher", dispatcher, ("stop",))  # its lanes start when it is built
        return dispatcher

    monkeypatch.setattr("mineguard.services.api.main.ServiceRuntime", Recording)
    monkeypatch.setattr(runtime_module, "load_dispatcher", load_dispatcher)
    return log, built


def _notifiers(tmp_path: Path) -> Path:
    path = tmp_path / "notifiers.yaml"
    path.write_text("- type: webhook\n  name: control-room\n  url: http://127.0.0.1:9/hook\n", encoding="utf-8")
    return path


def test_the_app_starts_and_stops_its_background_services_in_order(
    database_url: str, tmp_path: Path, recorded: tuple[list[str], list[ServiceRuntime]]
) -> None:
    from mineguard.services.api.main import create_app

    log, built = recorded
    settings = Settings(database_url=database_url, admin_password="admin-password", notifiers_file=_notifiers(tmp_path))
    app = create_app(settings)
    assert (log, built) == ([], [])  # building the app starts nothing
    with TestClient(app) as client:
        (runtime,) = built
        ctx = app.state.ctx
        assert (ctx.pipeline, ctx.bus, ctx.ingest, ctx.broker_check) == (
            runtime.pipeline,
            runtime.bus,
            runtime.ingest,
            None,
        )
        assert ctx.cleanser is runtime.cleanser is runtime.ingest.cleanser  # one cleanser: HTTP and bus alike
        assert log == ["dispatcher.load", "refusals.start", "ingest.start", "bus.start"] + [
            f"{t}.start" for t in TICKERS
        ]
        health = client.get("/api/v1/health")
        assert health.status_code == 200 and health.json()["ingest"]["running"], health.text
        log.clear()
    app.state.ctx.engine.dispose()
    assert log == [f"{t}.stop" for t in TICKERS] + ["bus.stop", "ingest.stop", "refusals.stop", "dispatcher.stop"]
    assert not runtime.ingest.status().running


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_failed_strict_broker_check_starts_and_loads_nothing_else(
    database_url: str, tmp_path: Path, recorded: tuple[list[str], list[ServiceRuntime]]
) -> None:
    from mineguard.services.api.main import create_app

    log, built = recorded
    settings = Settings(
        database_url=database_url,
        admin_password="admin-password",
        notifiers_file=_notifiers(tmp_path),
        mqtt_url=f"mqtt://127.0.0.1:{_closed_port()}",
        mqtt_check="strict",
        mqtt_check_timeout_s=1.0,
    )
    app = create_app(settings)
    with pytest.raises(BrokerCheckFailed, match="MINEGUARD_MQTT_CHECK=strict"), TestClient(app):
        pass
    app.state.ctx.engine.dispose()
    (runtime,) = built
    assert log == [] and runtime.dispatcher is None  # no notifier lanes, ingest, transport or ticker started
    assert runtime.broker_check is not None and runtime.broker_check.result.status != "ok"


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_ingest_worker_processes_split_the_stream_and_feed_the_service(database_url: str) -> None:
    """``MINEGUARD_INGEST_WORKERS=2``: two processes in a shared subscription store the stream; their
    batches reach the service's rules, its totals and ``/metrics`` as the single worker's do."""
    import json
    import time
    from datetime import UTC, datetime, timedelta

    from local_broker import BrokerUnavailable, local_broker
    from mineguard.services.api.main import create_app
    from mineguard.services.ingest.bus import topic_for
    from mineguard.services.ingest.mqtt import MqttCommunicator
    from mineguard.services.ingest.pool import IngestPool

    try:
        broker_cm = local_broker()
        broker = broker_cm.__enter__()
    except BrokerUnavailable as exc:
        pytest.skip(str(exc))
    settings = Settings(
        database_url=database_url,
        admin_password="admin-password",
        mqtt_url=f"mqtt://{broker.host}:{broker.port}",
        mqtt_check="off",
        ingest_workers=2,
        ingest_mqtt5=True,  # the pool's default is 3.1.1 (test_pool_faults.py): here MQTT 5
    )
    app = create_app(settings)
    gateway = MqttCommunicator(broker.host, broker.port, client_id="gw-lifecycle")
    try:
        with TestClient(app) as client:
            pool = app.state.ctx.ingest
            assert isinstance(pool, IngestPool) and pool.config.mqtt5 and pool.wait_ready(120)
            gateway.start()
            start = datetime.now(UTC) - timedelta(minutes=10)
            for seq in range(300):
                for device, kind, value in (("ch4-1101-t", "methane", 0.3), ("co-belt", "co", 3.0)):
                    t = (start + timedelta(seconds=seq)).isoformat()
                    body = {"device_id": device, "kind": kind, "seq": seq, "t": t, "value": value, "unit": "%"}
                    body["unit"] = "%" if kind == "methane" else "ppm"
                    gateway.publish(topic_for("sample-coal-mine", device, kind), json.dumps(body).encode())
            assert gateway.wait_published(30)
            deadline = time.monotonic() + 60
            while pool.totals.accepted < 600 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert pool.totals.accepted == 600
            feed = app.state.ctx.pipeline.feed.counts()
            assert sum(feed.values()) == 600, feed  # every stored reading reached the rule feed
            assert 'mineguard_readings_total{outcome="accepted",transport="mqtt"} 600.0' in client.get("/metrics").text
            health = client.get("/api/v1/health").json()
            assert health["ingest"]["running"] and health["ingest"]["accepted"] == 600, health
        assert not pool.status().running
    finally:
        gateway.stop()
        app.state.ctx.engine.dispose()
        broker_cm.__exit__(None, None, None)


def test_ingest_workers_need_a_broker(tmp_path: Path) -> None:
    from mineguard.services.api.main import create_app

    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'db.sqlite'}", admin_password="pw-12345678", ingest_workers=2
    )
    app = create_app(settings)
    with pytest.raises(ValueError, match="MINEGUARD_INGEST_WORKERS=2 needs an MQTT broker"), TestClient(app):
        pass
    app.state.ctx.engine.dispose()


def test_the_risk_round_serves_the_registry_without_a_restart(database_url: str, tmp_path: Path) -> None:
    """``_risk_round`` judges with the active version as promoted while running, and with ``trend`` plus a
    model-health alert when that version answers NaN; a rollback clears the alert at the next round."""
    from datetime import timedelta

    from mineguard.services.bootstrap import bootstrap
    from mineguard.services.ingest.store import ingest
    from mineguard.services.lifecycle import Models
    from mineguard.services.model_store import store
    from mineguard.services.storage.types import utc_now
    from tiny_risk_models import nan_risk_model, tiny_learned_risk

    settings = Settings(database_url=database_url, admin_password="admin-password")
    booted = bootstrap(settings)
    changes: list = []
    runtime = ServiceRuntime(settings, booted, Models.load(settings), on_alert=changes.append)
    now = utc_now()
    rising = [
        {
            "device_id": "ch4-1101-t",
            "kind": "methane",
            "seq": i,
            "t": (now - timedelta(seconds=10 * (30 - i))).isoformat(),
            "value": 0.5 + 0.05 * i / 6,
            "unit": "%",
        }
        for i in range(30)
    ]  # the last 5 min, 0.05 %/min towards the 1.0 % limit
    with booted.sessions() as session, session.begin():
        ingest(session, rising, source="test", now=now)
        for name, model in (("good.pt", tiny_learned_risk()), ("nan.pt", nan_risk_model())):
            data = model.save(tmp_path / name).read_bytes()
            row = store.add(session, booted.site_id, "risk", data, filename=name, actor="test", now=now)
            store.promote(session, booted.site_id, "risk", row.version, actor="test", now=now)
    try:
        runtime._risk_round()
        assert runtime.served.risk().label == "risk v2"
        raised = {c.alert.rule_id: c.alert for c in changes if c.kind == "raised"}
        assert raised["risk.methane"].evidence["model"] == "trend"  # the NaN model's sensor, judged by trend
        # the action is the site file's (early_warning:), passed to both warning jobs
        assert raised["risk.methane"].message.endswith(
            "— increase ventilation at Longwall face 1101 and find the source"
        )
        assert runtime.seismic.texts == booted.early_warning and booted.early_warning.seismic_action
        assert raised["model-health"].title == "Risk model v2 failing: warnings use the trend model"
        assert runtime.metrics.model_failures_total.labels("risk")._value.get() == 1
        with booted.sessions() as session, session.begin():
            store.rollback(session, booted.site_id, "risk", actor="test", now=utc_now())
        changes.clear()
        runtime._risk_round()
        assert runtime.served.risk().label == "risk v1"
        assert [(c.kind, c.alert.rule_id) for c in changes if c.alert.rule_id == "model-health"] == [
            ("resolved", "model-health")
        ]
    finally:
        booted.engine.dispose()


def test_the_fusion_round_runs_only_with_an_active_multimodal_version(database_url: str, tmp_path: Path) -> None:
    """``_fusion_round`` does nothing with no ``multimodal`` version; promoted while running, its warning comes
    at the next round; with the version gone, its open warnings resolve once and the round is off again."""
    from datetime import timedelta

    import numpy as np
    from sqlalchemy import delete

    from mineguard.services.bootstrap import bootstrap
    from mineguard.services.ingest.store import ingest
    from mineguard.services.lifecycle import Models
    from mineguard.services.model_store import store
    from mineguard.services.storage.models import ActiveModel
    from mineguard.services.storage.types import utc_now
    from tiny_window_gbm import CLIMB, STEP_S, STEPS, window_gbm_file

    settings = Settings(database_url=database_url, admin_password="admin-password")
    booted = bootstrap(settings)
    changes: list = []
    runtime = ServiceRuntime(settings, booted, Models.load(settings), on_alert=changes.append)
    data = window_gbm_file(tmp_path).read_bytes()  # trained first: the rounds below run within seconds of now
    now = utc_now()
    climbing = [
        {
            "device_id": "ch4-1101-t",
            "kind": "methane",
            "seq": k,
            "t": (now - timedelta(seconds=STEP_S * (STEPS - k) - 5)).isoformat(),
            "value": v,
            "unit": "%",
        }
        for k, v in enumerate(np.linspace(*CLIMB, STEPS))
    ]  # one reading a step through the last minute, the last 5 s ago
    try:
        with booted.sessions() as session, session.begin():
            ingest(session, climbing, source="test", now=now)
        runtime._fusion_round()
        runtime._fusion_round()  # the first round looks for warnings left open; then it is off
        assert changes == []
        with booted.sessions() as session, session.begin():
            row = store.add(session, booted.site_id, "multimodal", data, filename="m.json", actor="test", now=now)
            store.promote(session, booted.site_id, "multimodal", row.version, actor="test", now=now)
        runtime._fusion_round()
        assert [(c.kind, c.alert.key, c.alert.rule_id) for c in changes] == [
            ("raised", "fusion:face_1101:gas", "fusion.gas")
        ]
        with booted.sessions() as session, session.begin():
            session.execute(delete(ActiveModel))
        changes.clear()
        runtime._fusion_round()
        assert [(c.kind, c.alert.key) for c in changes] == [("resolved", "fusion:face_1101:gas")]
        runtime._fusion_round()
        assert len(changes) == 1
    finally:
        booted.engine.dispose()
