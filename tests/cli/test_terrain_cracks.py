"""``mineguard terrain cracks`` as a user runs it: a folder per class in, best.pt and one JSON line of
test scores out; a missing folder is an error that names it (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from crack_folders import write_crack_folder
from mineguard.cli import main
from mineguard.terrain.network import load_network

TINY = '{"width": 4, "growth": 4, "dense_layers": 1}'


def test_cracks_trains_writes_best_pt_and_prints_test_scores(tmp_path: Path, capsys) -> None:
    torch.set_num_threads(1)
    numbers = {"Positive": list(range(1, 41)), "Negative": list(range(1, 41))}
    data = write_crack_folder(tmp_path / "walls", numbers, side=16)
    (data / "Negative" / "00099.jpg").write_bytes(b"broken")
    out = tmp_path / "run"
    args = ["terrain", "cracks", "--data", str(data), "--out", str(out), "--size", "12", "--epochs", "2"]
    assert main([*args, "--model-kwargs", TINY, "--sequence-block", "4", "--buffer", "0", "--optimizer", "adam"]) == 0
    [line] = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")]
    assert set(line["test"]) >= {"precision", "recall", "overall_accuracy", "f1", "kappa"}
    assert line["split"]["test"]["crack"] > 0 and line["split"]["test"]["no_crack"] > 0
    assert len(line["split"]["skipped_files"]) == 1 and "00099.jpg" in line["split"]["skipped_files"][0]
    loaded = load_network(line["weights"])
    assert loaded.band_names == ("R", "G", "B") and loaded.slice_size == 12
    assert loaded.checkpoint["crack_split"]["sequence_block"] == 4


def test_missing_folder_exits_2_and_names_it(tmp_path: Path, capsys) -> None:
    args = ["terrain", "cracks", "--data", str(tmp_path / "nowhere"), "--out", str(tmp_path / "run")]
    assert main(args) == 2
    assert "nowhere: no such folder" in capsys.readouterr().err
