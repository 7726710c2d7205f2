"""``mineguard watch`` with a gate camera (``view.role: gate``): att_orl faces walking down across the
gate line as a folder of frames; one face event with direction "in" and the best crop saved as its
snapshot; a gate camera without face weights is refused naming the camera. Skips without ../shared."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
import yaml

from gate_sequences import LINE_Y, WIDTH, background, down, orl_faces, save, walk
from mineguard.cli import main
from mineguard.faces.gallery import NpzGallery
from mineguard.faces.train import FaceTrainConfig
from mineguard.mine.site import SAMPLE_SITE
from mineguard.models import get_model
from mineguard.models.checkpoint import save_checkpoint

SITE = Path(__file__).resolve().parents[2] / "src" / "mineguard" / "mine" / "sites" / SAMPLE_SITE
GATE = {"line": [[0, LINE_Y], [WIDTH, LINE_Y]], "underground_side": [WIDTH / 2, 390]}


def gate_site(tmp_path: Path) -> Path:
    site = yaml.safe_load(SITE.read_text())
    for device in site["devices"]:
        if device["id"] == "cam-surface-gate":
            device["view"] = {"role": "gate", "gate": GATE, "fps": 10}
    out = tmp_path / "site.yaml"
    out.write_text(yaml.safe_dump(site))
    return out


def face_weights(path: Path) -> Path:
    """An untrained width-0.125 DSR-Inception checkpoint: the test judges the wiring, not identities."""
    torch.manual_seed(0)
    kwargs = {"width": 0.125}
    model = get_model("dsr-inception", num_classes=3, in_channels=1, **kwargs)
    config = FaceTrainConfig(model_kwargs=kwargs, img_size=64, in_channels=1, epochs=1)
    payload = {
        "model_name": "dsr-inception",
        "model_config": {"num_classes": 3, "in_channels": 1, **kwargs},
        "model": model.state_dict(),
        "train_config": config.dump(),
        "class_names": ["a", "b", "c"],
        "epoch": 0,
        "val_acc": 0.0,
        "centers": torch.zeros(3, 128),
        "img_size": 64,
    }
    save_checkpoint(path, payload)
    return path


def test_a_gate_camera_prints_one_passage_with_evidence(tmp_path: Path, shared_data: Path, capsys) -> None:
    frames = save(tmp_path / "walk", walk(background(shared_data), orl_faces(shared_data, "s1", [6, 7, 8]), down(16)))
    weights = face_weights(tmp_path / "best.pt")
    gallery = NpzGallery(tmp_path / "gallery")
    gallery.add("miner-001", np.ones(128, np.float32))
    args = ["watch", "--site", str(gate_site(tmp_path)), "--face-weights", str(weights), "--gallery"]
    args += [str(tmp_path / "gallery"), "--face-threshold", "0.99", "--offline", "--print"]
    code = main([*args, "--camera", f"cam-surface-gate={frames}", "--save", str(tmp_path / "ev")])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert code == 0
    [event] = [line["event"] for line in lines if "event" in line]
    assert event["source"] == "face" and event["zone_id"] == "surface_gate"
    assert event["attributes"]["direction"] == "in" and event["label"] in ("identified", "unknown_face")
    assert (tmp_path / "ev" / event["attributes"]["evidence"]["snapshot"]).is_file()


def test_a_gate_camera_needs_face_weights(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "walk"
    folder.mkdir()
    assert main(["watch", "--site", str(gate_site(tmp_path)), "--print", "--camera", f"cam-surface-gate={folder}"]) == 2
    assert "gate camera(s) cam-surface-gate identify faces: pass --face-weights" in capsys.readouterr().err
