"""The ``multimodal`` kind: a window-gbm JSON file loads (with its training record), anything else is refused
with the file named (the registry names the file it was given)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mineguard.services.model_store import store
from mineguard.services.model_store.kinds import get_model_kind, model_kinds
from tiny_window_gbm import window_gbm_file

SITE = "sample-coal-mine"
NOW = datetime(2026, 12, 6, 5, 0, tzinfo=UTC)


def test_the_multimodal_kind_loads_a_window_gbm_file(tmp_path) -> None:
    assert "multimodal" in model_kinds()
    kind = get_model_kind("multimodal")
    assert (kind.suffix, kind.label, kind.fallback().name, kind.serves_without_version) == (
        ".json",
        "multimodal model",
        "rules-only",
        False,
    )
    model = kind.load(window_gbm_file(tmp_path))
    assert model.name == "window-gbm" and model.layout.channels == ("methane", "temperature")
    assert model.threshold == 0.5 and kind.facts(model).metrics == {"alarm_threshold": 0.5, "episodes": 24.0}


def test_a_file_that_is_not_a_window_gbm_model_is_refused_naming_it(tmp_path) -> None:
    load = get_model_kind("multimodal").load
    (tmp_path / "seismic.json").write_text('{"format": "mineguard.seismic-hazard"}')
    with pytest.raises(ValueError, match=r"seismic\.json: holds .*, this version reads \('window-gbm', 1\)"):
        load(tmp_path / "seismic.json")
    with pytest.raises(ValueError, match=r"missing\.json: no such window-gbm model file"):
        load(tmp_path / "missing.json")


def test_the_registry_stores_a_version_and_refuses_a_bad_one(session, tmp_path) -> None:
    data = window_gbm_file(tmp_path).read_bytes()
    row = store.add(session, SITE, "multimodal", data, filename="fusion.json", actor="mgr", now=NOW)
    assert row.version == 1 and row.metrics["alarm_threshold"] == 0.5
    assert row.training_data == "simulated multimodal episodes (sim/episodes.py), 24 training episodes"
    with pytest.raises(store.ModelStoreError, match=r"broken\.json: does not load as a multimodal model: not a saved"):
        store.add(session, SITE, "multimodal", b"{not json", filename="broken.json", actor="mgr", now=NOW)
    with pytest.raises(store.ModelStoreError, match=r"m\.pt: a multimodal model file ends in \.json"):
        store.add(session, SITE, "multimodal", data, filename="m.pt", actor="mgr", now=NOW)
