"""``mineguard warn train seismic`` as a user runs it: a JSON model the registry's ``seismic`` kind loads;
a wrong file name or a missing CSV is one clear line and exit status 2."""

from __future__ import annotations

from pathlib import Path

from mineguard.cli import main
from mineguard.services.model_store.kinds import get_model_kind
from seismic_shifts import generated_rows, write_csv


def test_train_seismic_saves_a_file_the_seismic_kind_loads(tmp_path: Path, capsys) -> None:
    data = write_csv(tmp_path / "shifts.csv", generated_rows(600, seed=1))
    path = tmp_path / "seismic.json"
    assert main(["warn", "train", "seismic", "--data", str(data), "--save", str(path)]) == 0
    out = capsys.readouterr().out
    assert "test (latest 25%): ROC-AUC" in out and "mineguard models add seismic" in out
    kind = get_model_kind("seismic")
    model = kind.load(path)
    facts = kind.facts(model)
    assert facts.training_data.endswith("rows 0-449 of 600 (time order)") and "test_auc" in facts.metrics
    assert main(["warn", "train", "seismic", "--data", str(data), "--save", str(tmp_path / "m.pkl")]) == 2
    assert "name the file *.json" in capsys.readouterr().err
    assert main(["warn", "train", "seismic", "--data", str(tmp_path / "none.csv"), "--save", str(path)]) == 2
    assert "file not found" in capsys.readouterr().err
