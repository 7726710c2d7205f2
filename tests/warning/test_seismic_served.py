"""The served seismic model: features of a row, the JSON round trip (never pickle), bad files named field by
field, the rule levels, the guard falling back to the rule, and training on generated shifts."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from mineguard.warning.seismic import load_seismic_bumps
from mineguard.warning.seismic_served import (
    FEATURES,
    FallbackSeismicModel,
    SeismicLogistic,
    SeismicRule,
    feature_vector,
    load_seismic_model,
    rows_of,
    rule_level,
    train_seismic,
)
from seismic_shifts import generated_rows, write_csv

ROW = {
    "shift": "W",
    "genergy": 0.0,
    "gpuls": 0.0,
    "gdenergy": 160.0,
    "gdpuls": -20.0,
    "nbumps": 1.0,
    "nbumps2": 0.0,
    "nbumps3": 0.0,
    "nbumps4": 1.0,
    "nbumps5": 0.0,
    "nbumps6": 0.0,
    "nbumps7": 0.0,
    "nbumps89": 0.0,
    "energy": 20_000.0,
    "maxenergy": 20_000.0,
}


def test_feature_vector_known_answer() -> None:
    x = feature_vector(ROW)
    assert x.shape == (len(FEATURES),)
    named = dict(zip(FEATURES, x, strict=True))
    assert named["shift=W"] == 1 and named["asinh(gdenergy)"] == pytest.approx(math.asinh(160))
    assert named["high_energy_bump"] == 1 and named["rule_level"] == 1
    with pytest.raises(KeyError, match="lacks gpuls"):
        feature_vector({k: v for k, v in ROW.items() if k != "gpuls"})


@pytest.mark.parametrize(("gdenergy", "gdpuls", "level"), [(149, 0, 0), (150, 0, 1), (0, 300, 2), (600, 700, 3)])
def test_rule_levels(gdenergy: float, gdpuls: float, level: int) -> None:
    row = {**ROW, "gdenergy": gdenergy, "gdpuls": gdpuls}
    assert rule_level(row) == level
    assert SeismicRule().assess(row).warn == (level >= 1) and SeismicRule().assess(row).rule_level == "abcd"[level]


def _model() -> SeismicLogistic:
    n = len(FEATURES)
    return SeismicLogistic(np.arange(n) * 0.1, np.ones(n) * 2, np.linspace(-1, 1, n), -0.5, 0.3, {"data": "x"})


def test_json_round_trip(tmp_path: Path) -> None:
    model = _model()
    loaded = load_seismic_model(model.save(tmp_path / "m.json"))
    assert loaded.probability(ROW) == pytest.approx(model.probability(ROW))
    assert (loaded.threshold, loaded.training) == (0.3, {"data": "x"})
    assert json.loads((tmp_path / "m.json").read_text())["format"] == "mineguard.seismic-hazard"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format": "other"}, "field 'format'"),
        ({"features": ["a"]}, "field 'features'"),
        ({"coef": [1.0]}, "field 'coef' must be a list of 10 numbers"),
        ({"mean": ["x"] * 10}, "field 'mean' must hold numbers only"),
        ({"scale": [0.0] * 10}, "field 'scale' must be positive"),
        ({"threshold": 1.5}, "field 'threshold' must be a probability"),
        ({"intercept": None}, "field 'intercept' must be a finite number"),
    ],
)
def test_bad_artefacts_name_the_field(tmp_path: Path, change: dict, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({**_model().to_json(), **change}))
    with pytest.raises(ValueError, match=message):
        load_seismic_model(path)


def test_not_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(b"\x80\x04pickle")
    with pytest.raises(ValueError, match="not a readable JSON file"):
        load_seismic_model(path)


def test_the_guard_falls_back_to_the_rule_and_logs() -> None:
    class Broken:
        name, threshold = "broken", 0.5

        def assess(self, row):
            raise RuntimeError("boom")

    guarded = FallbackSeismicModel(Broken(), SeismicRule())
    out = guarded.assess(ROW)
    assert (out.model, out.probability, out.warn) == ("ghazard-rule", pytest.approx(1 / 3), True)
    assert guarded.take_failures() == ["raised RuntimeError: boom"] and guarded.take_failures() == []


def test_training_on_generated_shifts(tmp_path: Path) -> None:
    shifts = load_seismic_bumps(write_csv(tmp_path / "s.csv", generated_rows(600, seed=3)))
    model = train_seismic(shifts)
    assert 0 < model.threshold < 1 and model.training["C"] in (0.001, 0.01, 0.1, 1.0)
    assert 0 <= model.training["test_auc"] <= 1 and "rows 0-449 of 600" in model.training["data"]
    p = model.scores(rows_of(shifts))
    assert p.shape == (600,) and np.isfinite(p).all()
