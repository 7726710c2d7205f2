"""The served forecaster: known answers on a ramp (every change equal, so the forecast is last + rate x steps),
the crossing time, short history, and artefacts that do not load naming the file and the field."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mineguard.warning.risk import TrendModel
from mineguard.warning.risk.forecaster import crossing_minutes, load_forecast_artefact, write_forecast_artefact
from tiny_forecasters import forecast_file, tiny_forecaster

T0 = 1_700_000_010.0


@pytest.fixture(scope="module")
def path(tmp_path_factory):
    return forecast_file(tmp_path_factory.mktemp("forecaster"))


def ramp(n: int = 20, start: float = 20.0, rate: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    return T0 + 30.0 * np.arange(n), start + rate * np.arange(n)


def test_a_ramp_is_forecast_exactly_with_its_crossing_time(path) -> None:
    model = load_forecast_artefact(path)
    assert (model.serves.sensor_kind, model.serves.target, model.horizon_s) == ("co", "co", 300.0)
    t, v = ramp()
    fc = model.forecast(t, v)
    assert fc is not None and fc.last == pytest.approx(21.9)
    np.testing.assert_allclose(fc.predicted, [22.1, 22.5, 22.9], atol=1e-6)  # +0.2 per minute
    np.testing.assert_allclose(fc.band(0.95)[1], fc.predicted, atol=1e-6)  # no residual: a band of zero width
    risk = model.assess(t, v, limit=22.4)
    assert risk is not None and risk.model == "lightgbm-forecast"
    assert (risk.probability, risk.rate_per_min) == (1.0, pytest.approx(0.2))
    assert risk.minutes_to_limit == pytest.approx(2.5)  # 21.9 -> 22.4 at 0.2/min
    below = model.assess(t, v, limit=30.0)
    assert below.probability == 0.0 and below.minutes_to_limit is None


def test_a_forecaster_trained_in_another_unit_gets_readings_in_its_unit_and_answers_in_the_service_unit(
    tmp_path,
) -> None:
    """Trained on dust in ug/m3 (the ramp 20, 20.1, ... ug/m3); the service stores dust in mg/m3."""
    path = write_forecast_artefact(tiny_forecaster(), tmp_path / "dust.json", sensor_kind="dust", unit="ug/m3")
    model = load_forecast_artefact(path)
    assert (model.serves.sensor_kind, model.serves.unit) == ("dust", "ug/m3")
    t, v = ramp(start=0.020, rate=0.0001)  # mg/m3: the same ramp
    fc = model.forecast(t, v)
    assert fc is not None and fc.last == pytest.approx(0.0219)
    np.testing.assert_allclose(fc.predicted, [0.0221, 0.0225, 0.0229], atol=1e-9)
    risk = model.assess(t, v, limit=0.0224)
    assert risk.probability == 1.0 and risk.minutes_to_limit == pytest.approx(2.5)
    assert risk.rate_per_min == pytest.approx(0.0002)
    canonical = load_forecast_artefact(forecast_file(tmp_path, "co.json"))
    assert canonical.serves.unit == "ppm"  # no unit given: the kind's canonical unit
    with pytest.raises(ValueError, match=r"serves\.unit: dust in 'ppm' is not a known unit"):
        write_forecast_artefact(tiny_forecaster(), tmp_path / "bad.json", sensor_kind="dust", unit="ppm")
    assert not (tmp_path / "bad.json").exists()  # nothing written that would not load


def test_the_unit_conversion_is_resolved_once_when_the_artefact_loads(tmp_path, monkeypatch) -> None:
    """Loading resolves ug/m3 -> mg/m3 (x 0.001); forecasting reuses it and never looks a unit up again."""
    from mineguard.mine.units import Conversion, UnitError
    from mineguard.warning.risk import forecaster

    path = write_forecast_artefact(tiny_forecaster(), tmp_path / "dust.json", sensor_kind="dust", unit="ug/m3")
    model = load_forecast_artefact(path)
    assert model.serves.conversion == Conversion(1e-3)

    def no_lookup(kind: str, unit: str) -> Conversion:
        raise AssertionError(f"conversion({kind!r}, {unit!r}) looked up per forecast")

    monkeypatch.setattr(forecaster, "conversion", no_lookup)
    t, v = ramp(start=0.020, rate=0.0001)
    fc = model.forecast(t, v)
    assert fc is not None and fc.last == pytest.approx(0.0219)
    np.testing.assert_allclose(fc.predicted, [0.0221, 0.0225, 0.0229], atol=1e-9)
    assert model.with_short_history(TrendModel()).forecast(t, v) is not None  # the same Serves, no new look-up
    monkeypatch.undo()
    with pytest.raises(UnitError, match="dust in 'ppm' is not a known unit"):
        forecaster.Serves("dust", "dust", "ppm")  # no Serves without its conversion


def test_crossing_minutes_known_answers() -> None:
    h = np.array([60.0, 180.0, 300.0])
    assert crossing_minutes(1.0, h, np.array([2.0, 3.0, 4.0]), 2.5, ">=") == pytest.approx(2.0)
    assert crossing_minutes(3.0, h, np.array([2.0, 1.0, 1.0]), 2.5, ">=") == 0.0  # already past
    assert crossing_minutes(20.0, h, np.array([19.0, 18.0, 17.0]), 18.5, "<=") == pytest.approx(2.0)
    assert crossing_minutes(1.0, h, np.array([1.0, 1.0, 1.0]), 2.0, ">=") is None


def test_short_history_says_nothing_or_defers(path) -> None:
    model = load_forecast_artefact(path)
    t, v = ramp(5)  # under one window of 10 steps
    assert model.forecast(t, v) is None and model.assess(t, v, limit=30.0) is None
    t, v = ramp(9)
    deferred = model.with_short_history(TrendModel(min_span_s=60.0)).assess(t, v, limit=30.0)
    assert deferred is not None and deferred.model == "trend"


def test_bad_artefacts_name_the_file_and_field(tmp_path, path) -> None:
    raw = json.loads(path.read_text())
    cases = {
        "text.json": ("not json", "not a forecast model (not a JSON file"),
        "noserves.json": (json.dumps({k: v for k, v in raw.items() if k != "serves"}), "field 'serves' missing"),
        "badserves.json": (json.dumps({**raw, "serves": {"sensor_kind": ""}}), "field 'serves' must be an object"),
        "target.json": (json.dumps({**raw, "serves": {"sensor_kind": "co", "target": "x"}}), "serves.target 'x'"),
        "boosters.json": (json.dumps({**raw, "boosters": [["garbage"]]}), "not a saved LightGBM forecaster"),
        "kind.json": (json.dumps({**raw, "serves": {"sensor_kind": "gas"}}), "serves.sensor_kind 'gas' is not a"),
        "ppt.json": (json.dumps({**raw, "serves": {"sensor_kind": "co", "unit": "J"}}), "serves.unit: co in 'J'"),
        "mass.json": (json.dumps({**raw, "serves": {"sensor_kind": "co", "unit": "mg/m3"}}), "cannot be converted"),
        "number.json": (json.dumps({**raw, "serves": {"sensor_kind": "co", "unit": 1}}), "serves.unit must be a"),
    }
    for name, (text, message) in cases.items():
        (tmp_path / name).write_text(text)
        with pytest.raises(ValueError, match=r"^" + str(tmp_path / name) + ".*") as err:
            load_forecast_artefact(tmp_path / name)
        assert message in str(err.value), name


def test_a_forecaster_reading_other_sensors_cannot_serve(tmp_path) -> None:
    model = tiny_forecaster()
    model.layout_ = {**model.layout_, "names": ["co", "no2"]}
    with pytest.raises(ValueError, match="reads one sensor's own readings, this one reads"):
        write_forecast_artefact(model, tmp_path / "two.json", sensor_kind="co")
