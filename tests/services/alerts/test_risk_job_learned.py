"""Early warning with the learned risk model read from its saved file, as the platform loads it from the
``risk_model`` setting: a methane rise heading for the 1.0 % limit raises the warning; a steady sensor does not."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
import torch

from mineguard.services.alerts.risk_job import check_risk
from mineguard.services.storage.db import session_factory
from mineguard.warning.risk import load_risk_model
from mineguard.warning.risk.trajectories import train_learned_risk

from .conftest import NOW, store_readings


@pytest.fixture(scope="module")
def model_file(tmp_path_factory) -> str:
    torch.set_num_threads(1)
    model, _ = train_learned_risk(120, seed=0, epochs=12)
    return str(model.save(tmp_path_factory.mktemp("warn") / "risk.pt"))


def test_learned_model_from_a_file_warns_of_a_methane_rise(engine, session, model_file) -> None:
    sessions = session_factory(engine)
    rng = np.random.default_rng(1)
    times = [NOW - timedelta(seconds=10 * i) for i in range(30, 0, -1)]  # the last 5 min, every 10 s
    store_readings(sessions, "ch4-1101-t", "methane", "%", times, [0.5 + 0.05 * (30 - i) / 6 for i in range(30, 0, -1)])
    store_readings(sessions, "co-belt", "co", "ppm", times, 3 + rng.normal(0, 0.2, 30))  # steady: no risk
    model = load_risk_model(model_file)
    changes = check_risk(sessions, NOW, model=model)
    assert [(c.kind, c.alert.rule_id, c.alert.subject_id) for c in changes] == [
        ("raised", "risk.methane", "ch4-1101-t")
    ]
    alert = changes[0].alert
    assert alert.severity == "warning" and alert.evidence["model"] == "learned"
    assert alert.evidence["probability"] >= 0.8 and alert.evidence["predicted"] > 1.0
    assert alert.message.startswith(
        "Methane 0.742 % in Longwall face 1101, rising 0.05 %/min; learned forecast: the 1 % limit in about"
    )
    assert check_risk(sessions, NOW, model=model) == []  # same readings: no second alert
