"""``mineguard warn forecast --save FILE --serve-as KIND``: a forecast model for the registry, and the refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from mineguard.cli import main
from mineguard.warning.risk.forecaster import load_forecast_artefact


@pytest.fixture(scope="module")
def csv(tmp_path_factory) -> Path:
    rng = np.random.default_rng(0)
    path = tmp_path_factory.mktemp("serve") / "co.csv"
    start = datetime(2026, 1, 5, tzinfo=UTC)
    rows = ["created_at,field1,field2"]
    for i in range(1500):
        t = start + timedelta(seconds=30 * i)
        rows.append(f"{t.isoformat()},{5 + np.sin(i / 200) + rng.normal(0, 0.01):.4f},{20 + rng.normal(0, 0.1):.2f}")
    path.write_text("\n".join(rows) + "\n")
    return path


def forecast(csv: Path, *extra: str) -> list[str]:
    return ["warn", "forecast", str(csv), "--model", "lightgbm", "--input-steps", "20", "--horizons", "2,6", *extra]


def test_serve_as_writes_a_forecast_model(csv, tmp_path, capsys) -> None:
    saved = tmp_path / "co.json"
    assert main(forecast(csv, "--columns", "field1=co", "--save", str(saved), "--serve-as", "co")) == 0
    out = capsys.readouterr().out
    assert f"saved a forecast model serving co to {saved}" in out and "mineguard models add forecast" in out
    model = load_forecast_artefact(saved)
    assert (model.serves.sensor_kind, model.serves.target, model.horizon_s) == ("co", "co", 180.0)
    assert model.serves.unit == "ppm"  # the kind's canonical unit unless --serve-unit says otherwise


def test_serve_unit_names_the_unit_the_model_was_trained_in(csv, tmp_path, capsys) -> None:
    saved = tmp_path / "dust.json"
    extra = ("--columns", "field1=dust", "--save", str(saved), "--serve-as", "dust", "--serve-unit", "ug/m3")
    assert main(forecast(csv, *extra)) == 0
    assert f"saved a forecast model serving dust (trained in ug/m3) to {saved}" in capsys.readouterr().out
    assert load_forecast_artefact(saved).serves.unit == "ug/m3"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--columns", "field1=co", "--serve-as", "co"], "--serve-as: give --save FILE.json too"),
        (["--columns", "field1=co,field2=t", "--save", "{tmp}/two.json", "--serve-as", "co"], "reads one sensor's"),
        (["--columns", "field1=co", "--save", "{tmp}/u.json", "--serve-unit", "ppm"], "--serve-unit: give --serve-as"),
        (["--columns", "field1=co", "--save", "{tmp}/u.json", "--serve-as", "co", "--serve-unit", "J"], "co in 'J'"),
    ],
)
def test_serve_as_refusals(csv, tmp_path, capsys, extra, message) -> None:
    assert main(forecast(csv, *[a.replace("{tmp}", str(tmp_path)) for a in extra])) == 2
    assert message in capsys.readouterr().err
