"""``mineguard warn ...`` as a user runs it: forecast a sensor CSV (with gaps), and bad input gets one
clear line and exit status 2."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from mineguard.cli import main


@pytest.fixture(scope="module")
def rising_csv(tmp_path_factory) -> Path:
    """Methane climbing steadily (0.001 %/reading) with small noise, every 30 s, with a 2-hour gap."""
    rng = np.random.default_rng(0)
    path = tmp_path_factory.mktemp("warn") / "ch4.csv"
    start = datetime(2026, 1, 5, tzinfo=UTC)
    rows = ["created_at,field1,field2"]
    for i in range(3000):
        if 1000 <= i < 1240:
            continue  # the logger was silent
        t = start + timedelta(seconds=30 * i)
        ch4 = 0.3 + 0.2 * np.sin(i / 300) + rng.normal(0, 0.002)
        rows.append(f"{t.isoformat()},{ch4:.4f},{20 + rng.normal(0, 0.1):.2f}")
    path.write_text("\n".join(rows) + "\n")
    return path


def test_forecast_prints_skill_and_the_forecast(rising_csv, tmp_path, capsys):
    out = tmp_path / "f.json"
    code = main(["warn", "forecast", str(rising_csv), "--columns", "field1=methane,field2=temperature",
                 "--target", "methane", "--model", "trend", "--input-steps", "20", "--horizons", "2,6",
                 "--json", str(out)])  # fmt: skip
    assert code == 0
    text = capsys.readouterr().out
    assert "trend vs persistence" in text and "methane: now" in text
    result = json.loads(out.read_text())
    assert result["horizons_min"] == [1.0, 3.0]
    ratio = np.array(result["mae_ratio"])
    assert ratio.shape == (2, 1) and (ratio < 1.0).all()  # a smooth trend is easier for a line than for "no change"
    assert len(result["forecast"]["values"]) == 2


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--model", "oracle"], "unknown forecaster 'oracle'"),
        (["--columns", "field1"], "write file-column=name pairs"),
        (["--horizons", "two"], "--horizons 'two'"),
        (["--columns", "field1=methane", "--target", "co"], "not sensors of the series"),
        (["--columns", "field1=methane", "--input-steps", "2900"], "too little gap-free history"),
    ],
)
def test_forecast_bad_input_is_one_clear_line(rising_csv, capsys, argv, message):
    assert main(["warn", "forecast", str(rising_csv), *argv]) == 2
    assert message in capsys.readouterr().err


def test_forecast_missing_file(tmp_path, capsys):
    assert main(["warn", "forecast", str(tmp_path / "none.csv")]) == 2
    assert "no such file" in capsys.readouterr().err
