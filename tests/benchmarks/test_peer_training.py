"""benchmarks/peer_training.py: the peer's boxes become our Detections; the table; no Ultralytics needed."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import yaml

from mineguard.engine.config import load_train_config

_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "peer_training.py"
_SPEC = importlib.util.spec_from_file_location("peer_training", _PATH)
peer_training = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(peer_training)


def test_ultralytics_is_imported_only_inside_functions():
    tree = ast.parse(_PATH.read_text())
    top = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    names = [a.name for n in top for a in n.names] + [n.module or "" for n in top if isinstance(n, ast.ImportFrom)]
    assert not [n for n in names if n.startswith("ultralytics")]


def test_the_peers_boxes_become_detections_in_the_same_pixels():
    boxes = SimpleNamespace(
        xyxy=torch.tensor([[10.0, 20.0, 30.5, 40.0], [0.0, 0.0, 5.0, 5.0]]),
        cls=torch.tensor([1.0, 0.0]),
        conf=torch.tensor([0.9, 0.001]),
    )
    dets = peer_training.detections_from_peer(boxes)
    np.testing.assert_allclose(dets.xyxy, [[10, 20, 30.5, 40], [0, 0, 5, 5]])
    assert dets.class_id.dtype == np.int64 and dets.class_id.tolist() == [1, 0]
    np.testing.assert_allclose(dets.confidence, [0.9, 0.001], rtol=1e-6)


def test_no_boxes_give_empty_detections():
    empty = SimpleNamespace(xyxy=np.zeros((0, 4)), cls=np.zeros(0), conf=np.zeros(0))
    assert len(peer_training.detections_from_peer(empty)) == 0
    assert len(peer_training.detections_from_peer(None)) == 0


def test_converted_boxes_score_like_our_own():
    truth = peer_training.Detections(np.array([[10, 10, 50, 50]]), np.array([0]))
    boxes = SimpleNamespace(xyxy=np.array([[10, 10, 50, 50]]), cls=np.array([0.0]), conf=np.array([0.8]))
    metrics = peer_training.evaluate_detections([peer_training.detections_from_peer(boxes)], [truth], ["a", "b"])
    assert metrics.map50 == pytest.approx(1.0) and metrics.map50_95 == pytest.approx(1.0)


def test_images_per_second_counts_every_epoch():
    assert peer_training.images_per_second(100, 3, 60.0) == pytest.approx(5.0)
    assert np.isnan(peer_training.images_per_second(100, 3, 0.0))


def test_the_table_has_one_row_a_model():
    record = {
        "side": "peer",
        "model": "yolo26n.yaml",
        "params": 2_500_000,
        "train_seconds": 120.0,
        "loop_seconds": 100.0,
        "images_per_s": 10.0,
        "map50": 0.5,
        "map50_95": 0.25,
        "precision": 0.6,
        "recall": 0.4,
    }
    lines = peer_training.format_table([record, {**record, "side": "ours", "model": "yolov10n"}], epochs=2)
    assert len(lines) == 4
    assert lines[2] == "| Ultralytics | `yolo26n.yaml` | 2.50 | 2.0 | 10.0 | 50.0 | 0.500 | 0.250 | 0.600 | 0.400 |"
    assert lines[3].startswith("| MineGuard | `yolov10n` |")


def test_the_peers_loop_seconds_are_the_last_row_of_its_cumulative_time(tmp_path):
    peer = tmp_path / "peer.csv"
    peer.write_text("epoch,  time,train/box_loss\n1,  8.0,1.0\n2,  17.25,0.9\n")  # the peer's time is cumulative
    assert peer_training.peer_loop_seconds(peer) == pytest.approx(17.25)


def test_the_helmet_side_by_side_budget_is_the_hazard_one_on_the_helmet_set() -> None:
    configs = Path(__file__).resolve().parents[2] / "configs"
    helmet = yaml.safe_load((configs / "helmets_peer_cpu320.yaml").read_text())
    hazard = yaml.safe_load((configs / "hazards_cpu320.yaml").read_text())
    recipe = yaml.safe_load((configs / "helmets_cpu320.yaml").read_text())
    assert {k: v for k, v in helmet.items() if k != "data"} == {k: v for k, v in hazard.items() if k != "data"}
    assert helmet["data"] == recipe["data"]
    config = load_train_config({**helmet, "model": "ca-yolov10n"}, source="helmets_peer_cpu320.yaml")
    assert config.epochs == 12 and config.img_size == 320


def test_the_underground_hazard_budget_is_the_side_by_side_one_plus_the_corruptions() -> None:
    configs = Path(__file__).resolve().parents[2] / "configs"
    augmented = yaml.safe_load((configs / "hazards_underground_cpu320.yaml").read_text())
    plain = yaml.safe_load((configs / "hazards_cpu320.yaml").read_text())
    assert {k: v for k, v in augmented.items() if k != "augment"} == plain
    config = load_train_config({**augmented, "model": "yolov10n"}, source="hazards_underground_cpu320.yaml")
    assert config.augment.underground == 0.5 and config.epochs == 12
