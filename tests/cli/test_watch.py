"""``mineguard watch`` as a user runs it: a site file's camera view, a detector file, a video; events
printed as JSON lines, or sent to a real service where they raise the site's camera rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from local_service import local_service
from mineguard.cli import main
from mineguard.mine.site import SAMPLE_SITE
from tiny_detectors import tiny_checkpoint
from videos import write_video

SITE = Path(__file__).resolve().parents[2] / "src" / "mineguard" / "mine" / "sites" / SAMPLE_SITE


def site_with_view(tmp_path: Path, view: dict) -> Path:
    site = yaml.safe_load(SITE.read_text())
    for device in site["devices"]:
        if device["id"] == "cam-face-gate-1101":
            device["view"] = view
    out = tmp_path / "site.yaml"
    out.write_text(yaml.safe_dump(site))
    return out


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_checkpoint(tmp_path_factory.mktemp("model") / "tiny.pt", "yolov10n", img_size=64)


def still_clip(path: Path, frames: int = 12) -> Path:
    """A camera looking at an unchanging scene: the untrained model sees the same boxes every frame."""
    return write_video(path, frames, still=True)


VIEW = {"events": [{"detector_class": "helmet", "label": "no_helmet", "min_confidence": 0.0}], "raise_s": 0.2}


def run_watch(capsys, *args: str) -> tuple[int, list[dict]]:
    code = main(["watch", *args])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    return code, lines


def test_print_mode_writes_events_and_evidence(tmp_path: Path, model: Path, capsys) -> None:
    site = site_with_view(tmp_path, VIEW)
    clip = still_clip(tmp_path / "gate.mp4")
    args = ["--site", str(site), "--model", str(model), "--conf", "0.05", "--offline", "--print"]
    code, lines = run_watch(capsys, *args, "--camera", f"cam-face-gate-1101={clip}", "--save", str(tmp_path / "ev"))
    assert code == 0
    events = [line["event"] for line in lines if "event" in line]
    assert events and all(e["label"] == "no_helmet" and e["device_id"] == "cam-face-gate-1101" for e in events)
    raised = [e for e in events if e["value"] is True]
    assert raised and (tmp_path / "ev" / raised[0]["attributes"]["evidence"]["snapshot"]).is_file()
    [summary] = [line["camera_summary"] for line in lines if "camera_summary" in line]
    assert summary["cam-face-gate-1101"]["frames"] == 12 and summary["cam-face-gate-1101"]["error"] is None


def test_bad_input_names_the_camera_and_field(tmp_path: Path, model: Path, capsys) -> None:
    clip = still_clip(tmp_path / "gate.mp4", 3)
    base = ["--model", str(model), "--offline", "--print"]
    assert main(["watch", *base, "--camera", f"cam-nowhere={clip}"]) == 2
    assert "cam-nowhere: not a camera of site" in capsys.readouterr().err
    outside = site_with_view(
        tmp_path, {**VIEW, "regions": [{"name": "bay", "kind": "watch", "polygon": [[0, 0], [900, 0], [0, 40]]}]}
    )
    code, lines = run_watch(capsys, "--site", str(outside), *base, "--camera", f"cam-face-gate-1101={clip}")
    [summary] = [line["camera_summary"]["cam-face-gate-1101"] for line in lines if "camera_summary" in line]
    assert code == 1 and "view.regions[bay].polygon[1] = [900.0, 0.0] is outside the 64x48 picture" in summary["error"]
    wrong_class = site_with_view(tmp_path, {"events": [{"detector_class": "smoke", "label": "smoke"}]})
    assert main(["watch", "--site", str(wrong_class), *base, "--camera", f"cam-face-gate-1101={clip}"]) == 2
    assert (
        "detector_class 'smoke' is not a class of the detector (its classes: helmet, no_helmet)"
        in capsys.readouterr().err
    )
    assert main(["watch", *base]) == 2  # the sample's views read $CAM_FACE_GATE_1101, which is not set
    assert "names $CAM_FACE_GATE_1101, which is not set" in capsys.readouterr().err


def test_events_reach_the_service_and_raise_the_camera_rule_with_evidence(tmp_path: Path, model: Path, capsys) -> None:
    site = site_with_view(tmp_path, VIEW)
    clip = still_clip(tmp_path / "gate.mp4", 20)
    with local_service(tmp_path) as service, service.client() as client:
        client.login()
        secret_file = tmp_path / "gw.secret"
        secret_file.write_text(client.register_gateway("gw-faces"))
        code = main(
            [
                *("watch", "--site", str(site), "--model", str(model), "--conf", "0.05"),
                *("--camera", f"cam-face-gate-1101={clip}", "--url", service.url),
                *("--gateway", "gw-faces", "--secret-file", str(secret_file)),
            ]
        )
        assert code == 0
        alerts = [a for a in client.alerts() if a["rule_id"] == "no-helmet-at-gate"]
        assert alerts, [a["rule_id"] for a in client.alerts()]
        media = alerts[0]["evidence"].get("media")
        assert media and media[0]["snapshot"].startswith("/api/v1/evidence/")
