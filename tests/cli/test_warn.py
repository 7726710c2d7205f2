"""``mineguard warn ...`` as a user runs it: forecast a sensor CSV (with gaps); train the fusion model on
a few simulated episodes with a small MSHA-format text folder and evaluate it against the rule; build
the similar-incident index from that folder and search it; bad input gets one clear line and exit
status 2."""

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
    code = main(
        [
            "warn",
            "forecast",
            str(rising_csv),
            "--columns",
            "field1=methane,field2=temperature",
            "--target",
            "methane",
            "--model",
            "trend",
            "--input-steps",
            "20",
            "--horizons",
            "2,6",
            "--json",
            str(out),
        ]
    )
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


def test_forecast_trains_saves_and_serves_lightgbm_with_bands(rising_csv, tmp_path, capsys):
    common = ["warn", "forecast", str(rising_csv), "--columns", "field1=methane,field2=temperature"]
    saved, first, again = tmp_path / "lgbm.json", tmp_path / "first.json", tmp_path / "again.json"
    argv = [*common, "--target", "methane", "--model", "lightgbm", "--input-steps", "20", "--horizons", "2,6"]
    assert main([*argv, "--save", str(saved), "--json", str(first)]) == 0
    text = capsys.readouterr().out
    assert f"saved the fitted lightgbm forecaster to {saved}" in text and "80% band, methane" in text
    assert "methane: 95% band" in text
    result = json.loads(first.read_text())
    assert set(result["interval_coverage"]) == {"0.8", "0.95"}
    live = result["forecast"]
    assert all(
        lo <= v <= hi
        for lo, v, hi in zip(
            live["intervals"]["0.95"]["lower"][0], live["values"][0], live["intervals"]["0.95"]["upper"][0], strict=True
        )
    )
    assert main([*common, "--load", str(saved), "--json", str(again)]) == 0  # targets and steps from the file
    served = json.loads(again.read_text())
    assert served["targets"] == ["methane"] and served["horizons_min"] == [1.0, 3.0]
    np.testing.assert_allclose(served["forecast"]["values"], live["values"])
    np.testing.assert_allclose(served["mae_ratio"], result["mae_ratio"])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--model", "trend", "--save", "{tmp}/t.json"], "does not save to a file — use --model lightgbm"),
        (["--load", "{tmp}/none.json"], "no such forecaster file"),
    ],
)
def test_forecast_save_and_load_errors(rising_csv, tmp_path, capsys, argv, message):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert main(["warn", "forecast", str(rising_csv), "--columns", "field1=methane", "--input-steps", "20", *argv]) == 2
    assert message in capsys.readouterr().err


def test_forecast_missing_file(tmp_path, capsys):
    assert main(["warn", "forecast", str(tmp_path / "none.csv")]) == 2
    assert "no such file" in capsys.readouterr().err


CLASSES = {  # an MSHA class per hazard, with a few words that make each narrative distinct
    "Ignition or Explosion of Gas or Dust": "methane ignited at the face after the fan stopped",
    "Fire": "a fire started at the belt drive and smoke filled the entry",
    "Machinery": "the conveyor belt caught the miner at the tail pulley",
    "Fall of Roof or Back": "a roof fall struck the miner between bolted rows",
    "Slip or Fall of Person": "the miner slipped on the walkway and struck his head",
    "Electrical": "the electrician contacted an energized cable",
}


@pytest.fixture(scope="module")
def msha_text(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("text")
    (root / "msha_fatality_reports").mkdir()
    (root / "msha_accidents_sample").mkdir()
    header = (
        "report-key|report-url|accidnet-classification|location|mine-type|mine-controller|mined-mineral|"
        "incident-date|location-processed|state|f-p-desc-of-accident"
    )
    rows = [header]
    for k, (label, words) in enumerate(CLASSES.items()):
        for j in range(3):
            rows.append(
                f"/r/{k}-{j}|https://example.invalid/{k}-{j}|{label}|Mine {k}|Coal|Co|Coal|"
                f"2015-0{j + 1}-1{k}T10:00:00-05:00|X|WV|report {j}: {words}"
            )
    (root / "msha_fatality_reports" / "base_fatality_reports.csv").write_text("\n".join(rows) + "\n")
    sample = ["MINE_ID,OPERATOR_NAME,ACCIDENT_DT,CLASSIFICATION,NARRATIVE,COAL_METAL_IND"]
    for k, (label, words) in enumerate(CLASSES.items()):
        sample.append(f"1,Op,03/0{k + 1}/2010,{label.upper()},{words} (sample),C")
    (root / "msha_accidents_sample" / "us_data_2000_sample.csv").write_text("\n".join(sample) + "\n")
    return root


def test_train_fusion_then_eval_against_the_rule(msha_text, tmp_path, capsys):
    model = tmp_path / "fusion.pt"
    code = main(
        [
            "warn",
            "train",
            "fusion",
            "--text-data",
            str(msha_text),
            "--episodes",
            "12",
            "--val-episodes",
            "6",
            "--epochs",
            "1",
            "--d-model",
            "16",
            "--out",
            str(model),
            "--threads",
            "1",
        ]
    )
    assert code == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert "epoch   1" in out and f"saved {model}" in out and model.is_file()
    report = tmp_path / "eval.json"
    code = main(
        [
            "warn",
            "eval",
            str(model),
            "--text-data",
            str(msha_text),
            "--episodes",
            "6",
            "--json",
            str(report),
            "--threads",
            "1",
        ]
    )
    assert code == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert "threshold rule:" in out and "without vision" in out
    result = json.loads(report.read_text())
    assert result["seed"] == 2000 and result["episodes"] == 6  # never the training seed
    assert 0.0 <= result["all used"]["hazard_accuracy"] <= 1.0
    assert result["alarm"]["events"] == sum(e != "none" for e in result["episode_hazards"])
    assert set(result) >= {"all used", "without sensors", "without vision", "without text", "alarm"}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train", "fusion", "--modalities", "sensors,audio"], "choose a comma-separated subset"),
        (["train", "fusion", "--epochs", "0"], "--epochs must be >= 1"),
        (["train", "fusion", "--text-data", "/nonexistent/text"], "no MSHA text folder"),
        (["eval", "/nonexistent/fusion.pt"], "no such checkpoint"),
    ],
)
def test_fusion_bad_input_is_one_clear_line(argv, message, capsys):
    assert main(["warn", *argv]) == 2
    assert message in capsys.readouterr().err


def test_train_risk_saves_a_model_the_platform_loads(tmp_path, capsys):
    from mineguard.warning.risk import load_risk_model

    path = tmp_path / "risk.pt"
    code = main(["warn", "train", "risk", "--series", "20", "--epochs", "2", "--out", str(path)])
    assert code == 0, capsys.readouterr().err
    assert "MINEGUARD_RISK_MODEL" in capsys.readouterr().out
    model = load_risk_model(str(path))
    t = np.arange(0.0, 300.0, 10.0)
    assert model.assess(t, 0.3 + 0.002 * t, limit=1.0).model == "learned"
    assert main(["warn", "train", "risk", "--out", str(tmp_path / "risk.bin")]) == 2
    assert "name the file *.pt" in capsys.readouterr().err


def test_index_then_similar_finds_the_gas_narrative_first(msha_text, tmp_path, capsys):
    out = tmp_path / "incidents"
    assert main(["warn", "index", "--text-data", str(msha_text), "--out", str(out)]) == 0, capsys.readouterr().err
    text = capsys.readouterr().out
    assert "indexed 24 past incidents of 12 MSHA classes" in text  # 18 reports + 6 sample rows; case differs
    assert f"MINEGUARD_INCIDENT_INDEX={out} mineguard serve" in text and (out / "index.json").is_file()
    assert (
        main(
            [
                "warn",
                "similar",
                "Methane heading for its limit at the face, fan stopped",
                "--index",
                str(out),
                "-k",
                "2",
            ]
        )
        == 0
    )
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("2 of 24 past incidents most similar")
    assert lines[1].startswith(" 1. ") and "IGNITION OR EXPLOSION OF GAS OR DUST" in lines[1].upper()
    assert "methane ignited at the face after the fan stopped" in lines[2]
    assert main(["warn", "similar", "gateway silent", "--index", str(out)]) == 0
    assert "shares anything" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["similar", "methane", "--index", "/nonexistent/incidents"], "no incident index there"),
        (["similar", "methane", "-k", "0"], "-k 0: ask for at least one incident"),
        (["index", "--text-data", "/nonexistent/text"], "no MSHA text folder"),
        (["index", "--text-data", ".", "--embedder", "bert"], "unknown text embedder 'bert'"),
    ],
)
def test_index_bad_input_is_one_clear_line(argv, message, capsys):
    assert main(["warn", *argv]) == 2
    assert message in capsys.readouterr().err


def test_train_and_eval_fusion_on_the_real_msha_text(shared_data, tmp_path, capsys):
    """The real narratives as the text modality (TF-IDF), a few simulated episodes: runs end to end."""
    model = tmp_path / "fusion.pt"
    text = str(shared_data / "text")
    assert (
        main(
            [
                "warn",
                "train",
                "fusion",
                "--text-data",
                text,
                "--episodes",
                "8",
                "--val-episodes",
                "4",
                "--epochs",
                "1",
                "--d-model",
                "16",
                "--out",
                str(model),
                "--threads",
                "1",
            ]
        )
        == 0
    )
    assert main(["warn", "eval", str(model), "--text-data", text, "--episodes", "4", "--threads", "1"]) == 0
    assert "threshold rule:" in capsys.readouterr().out
