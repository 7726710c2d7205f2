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


def test_a_passage_reaches_the_headcount_of_a_running_service(tmp_path: Path, shared_data: Path) -> None:
    """End to end: the gate camera's decision goes through the sink to ``POST /api/v1/events`` as the
    camera gateway, and the rescue list of ``mineguard serve`` then shows the person underground. The
    gallery holds the person's best crop of this walk, embedded by the same (untrained) network: what is
    tested is the path from camera to headcount, not how well the network tells people apart."""
    from local_service import local_service
    from mineguard.faces.embed import FaceEmbedder
    from mineguard.faces.gate import GateSettings, GateWatch
    from mineguard.faces.identify import Identifier
    from mineguard.runtime.scene.gate_line import GateLine
    from mineguard.runtime.video import CameraReader, SourceOptions

    frames = save(tmp_path / "walk", walk(background(shared_data), orl_faces(shared_data, "s1", [6, 7, 8]), down(16)))
    weights = face_weights(tmp_path / "best.pt")
    embedder = FaceEmbedder.from_checkpoint(weights)
    probe_gallery = NpzGallery(tmp_path / "probe")
    probe_gallery.add("someone", np.ones(128, np.float32))
    line = GateLine((0.0, LINE_Y), (float(WIDTH), LINE_Y), (WIDTH / 2, 390.0))
    reader = CameraReader("cam-surface-gate", str(frames), SourceOptions(fps=10), realtime=False)
    watch = GateWatch(
        "cam-surface-gate",
        "surface_gate",
        reader,
        GateSettings(line),
        embedder,
        Identifier(probe_gallery, threshold=0.99),
    )
    reader.start()
    decisions = []
    while (outcome := watch.step(2.0)) is not None:
        decisions += outcome.events
    decisions += watch.close()
    [first] = decisions
    gallery = NpzGallery(tmp_path / "gallery")
    gallery.add("miner-001", embedder.embed([first.best_crop]))
    with local_service(tmp_path) as service, service.client() as client:
        client.login()
        secret_file = tmp_path / "gw.secret"
        secret_file.write_text(client.register_gateway("gw-pit-bottom"))
        code = main(
            [
                *("watch", "--site", str(gate_site(tmp_path)), "--face-weights", str(weights)),
                *("--gallery", str(tmp_path / "gallery"), "--face-threshold", "0.9", "--offline"),
                *("--camera", f"cam-surface-gate={frames}", "--url", service.url),
                *("--gateway", "gw-pit-bottom", "--secret-file", str(secret_file)),
            ]
        )
        assert code == 0
        listing = client.get("/rescue-list")
        assert "miner-001" in [p["person_id"] for p in listing["people"]], listing
