"""``mineguard face ...`` as a user runs it: train on a small generated set of people, enrol,
identify (known and unknown, and as platform events), verify, erase; bad input gets one clear
line and exit status 2, and enrolment refuses (and stores nothing for) a photo with no face, two
faces or too dark, a face enrolled under another id, or a photo enrolled already. The real-data
protocol run (``face eval``) is in the benchmark and in a real-data test below."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from mineguard.cli import main

PEOPLE = 4


def _face(person: int, k: int, size: int = 160) -> np.ndarray:
    """A drawn face; people differ in skin tone, eye spacing and mouth width, images in noise and shift."""
    rng = np.random.default_rng(1000 * person + k)
    img = np.full((size, size), 55, np.uint8)
    c = size // 2 + int(rng.integers(-3, 4))
    skin = 120 + 30 * person
    cv2.ellipse(img, (c, size // 2), (int(size * 0.32), int(size * 0.42)), 0, 0, 360, skin, -1)
    dx = int(size * (0.10 + 0.025 * person))
    for side in (-1, 1):
        cv2.circle(img, (c + side * dx, int(size * 0.42)), int(size * 0.04), 20, -1)
    cv2.ellipse(img, (c, int(size * 0.72)), (int(size * (0.06 + 0.03 * person)), 6), 0, 0, 360, 60, -1)
    return np.clip(img + rng.normal(0, 5, img.shape), 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def faces(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("faces")
    for person in range(PEOPLE + 1):  # the last one is never enrolled: the unknown
        folder = root / ("train" if person < PEOPLE else "visitors") / f"miner-{person}"
        folder.mkdir(parents=True)
        for k in range(6):
            cv2.imwrite(str(folder / f"{k}.png"), _face(person, k))
    return root


@pytest.fixture(scope="module")
def weights(faces: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run")
    rc = main(
        [
            "face",
            "train",
            "--data",
            str(faces / "train"),
            "--out",
            str(out),
            "--width",
            "0.125",
            "--img-size",
            "64",
            "--epochs",
            "8",
            "--batch-size",
            "8",
            "--lr",
            "0.05",
            "--threads",
            "2",
        ]
    )
    assert rc == 0
    assert (out / "best.pt").is_file() and len((out / "log.csv").read_text().splitlines()) == 9
    return out / "best.pt"


def test_enrol_identify_verify_erase(faces: Path, weights: Path, tmp_path: Path, capsys) -> None:
    gallery = tmp_path / "gallery"
    for person in range(PEOPLE):
        photos = [str(faces / "train" / f"miner-{person}" / f"{k}.png") for k in range(3)]
        assert (
            main(
                [
                    "face",
                    "enrol",
                    *photos,
                    "--person",
                    f"miner-{person}",
                    "--weights",
                    str(weights),
                    "--gallery",
                    str(gallery),
                ]
            )
            == 0
        )
    out = capsys.readouterr().out
    assert "enrolled miner-3: 3 photo(s)" in out and "4 people in all" in out
    assert len(list((gallery / "images" / "miner-0").iterdir())) == 3  # the photos are kept with the gallery

    probes = [str(faces / "train" / f"miner-{p}" / "5.png") for p in range(PEOPLE)]
    assert (
        main(["face", "identify", *probes, "--weights", str(weights), "--gallery", str(gallery), "--threshold", "-1"])
        == 0
    )  # accept anyone: closed-set
    lines = capsys.readouterr().out.splitlines()
    named = [line.split(": ")[1].split()[0] for line in lines]
    assert sum(n == f"miner-{p}" for p, n in enumerate(named)) >= PEOPLE - 1, lines

    assert (
        main(
            ["face", "identify", probes[0], "--weights", str(weights), "--gallery", str(gallery), "--threshold", "1.01"]
        )
        == 0
    )
    assert "unknown (nearest" in capsys.readouterr().out  # above any score: never forced onto a miner

    argv = ["face", "identify", probes[0], "--weights", str(weights), "--gallery", str(gallery), "--threshold"]
    assert main([*argv, "gallery"]) == 0  # calibrated on the gallery's own photos (faces.calibrate)
    from mineguard.faces.calibrate import calibrate_gallery_threshold
    from mineguard.faces.gallery import NpzGallery

    expected = calibrate_gallery_threshold(NpzGallery(gallery)).threshold
    assert f"threshold {expected:.3f}" in capsys.readouterr().out
    assert main([*argv, "high"]) != 0
    assert "give a cosine similarity such as 0.6, or 'gallery'" in capsys.readouterr().err

    assert (
        main(
            [
                "face",
                "identify",
                probes[1],
                "--weights",
                str(weights),
                "--gallery",
                str(gallery),
                "--threshold",
                "-1",
                "--camera",
                "cam-face-gate-1101",
            ]
        )
        == 0
    )
    event = json.loads(capsys.readouterr().out)
    from mineguard.services.ingest.events import EventIn

    parsed = EventIn.model_validate(event)  # the platform's event schema
    assert parsed.signal_key == "face.identified" and parsed.device_id == "cam-face-gate-1101" and parsed.asset_id

    def verify(threshold: str) -> int:
        argv = [
            "face",
            "verify",
            probes[2],
            "--person",
            "miner-2",
            "--weights",
            str(weights),
            "--gallery",
            str(gallery),
        ]
        return main([*argv, "--threshold", threshold])

    rc = verify("-1")
    assert rc == 0 and "ACCEPTED as miner-2" in capsys.readouterr().out
    rc = verify("1.01")
    assert rc == 1 and "REJECTED" in capsys.readouterr().out

    assert main(["face", "erase", "--person", "miner-1", "--gallery", str(gallery)]) == 0
    assert "erased miner-1: 3 embedding(s)" in capsys.readouterr().out
    assert not (gallery / "images" / "miner-1").exists()
    assert main(["face", "erase", "--person", "miner-1", "--gallery", str(gallery)]) == 1  # nothing left


def test_bad_input_gets_one_clear_line(faces: Path, weights: Path, tmp_path: Path, capsys) -> None:
    gallery = str(tmp_path / "g")
    corrupt = tmp_path / "broken.png"
    corrupt.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    grey = tmp_path / "grey.png"
    cv2.imwrite(str(grey), np.full((120, 120), 128, np.uint8))
    scenery = tmp_path / "scenery.png"
    cv2.imwrite(str(scenery), (np.random.default_rng(0).random((480, 900)) * 255).astype(np.uint8))
    enrol = ["face", "enrol", "--weights", str(weights), "--gallery", gallery, "--person"]
    probe = str(faces / "train" / "miner-0" / "0.png")
    cases = [
        ([*enrol, "m1", str(corrupt)], "broken.png"),
        ([*enrol, "m1", str(grey)], "grey.png"),
        ([*enrol, "m1", str(scenery)], "scenery.png"),
        ([*enrol, "../etc", probe], "etc"),
        (["face", "identify", probe, "--weights", str(tmp_path / "none.pt"), "--gallery", gallery], "none.pt"),
        (
            ["face", "identify", probe, "--weights", str(weights), "--gallery", gallery, "--threshold", "0.5"],
            "no gallery here",
        ),
        (["face", "train", "--data", str(tmp_path / "nowhere")], "nowhere"),
    ]
    for argv, fragment in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith("error: ") and fragment in err and "Traceback" not in err, err
    assert not (tmp_path / "g" / "index.json").exists()  # nothing was enrolled from bad photos


def test_eval_on_att_orl_writes_the_threshold(weights: Path, shared_data: Path, tmp_path: Path, capsys) -> None:
    orl = shared_data / "faces" / "att_orl"
    if not orl.is_dir():
        pytest.skip("../shared/data/faces/att_orl is absent")
    copy = tmp_path / "w.pt"
    copy.write_bytes(weights.read_bytes())
    results = tmp_path / "r.json"
    assert (
        main(["face", "eval", "--weights", str(copy), "--data", str(orl), "--levels", "none", "--json", str(results)])
        == 0
    )
    out = capsys.readouterr().out
    assert "| none |" in out and (tmp_path / "threshold.json").is_file()
    saved = json.loads(results.read_text())
    assert len(saved["protocol"]["known_ids"]) == 32 and saved["results"][0]["level"] == "none"


def _refusals(tmp_path: Path, first: np.ndarray, second: np.ndarray) -> dict[str, Path]:
    """Photos enrolment must refuse, made from two people's faces: none, two, and a dark one."""
    pair = np.full((first.shape[0] + 40, first.shape[1] + second.shape[1] + 60), 60, np.uint8)
    pair[20 : 20 + first.shape[0], 20 : 20 + first.shape[1]] = first
    pair[20 : 20 + second.shape[0], 40 + first.shape[1] : 40 + first.shape[1] + second.shape[1]] = second
    photos = {
        "no_face": (np.random.default_rng(0).random((480, 900)) * 255).astype(np.uint8),
        "several_faces": pair,
        "too_dark": (first * 0.2).astype(np.uint8),
    }
    for name, image in photos.items():
        cv2.imwrite(str(tmp_path / f"{name}.png"), image)
    return {name: tmp_path / f"{name}.png" for name in photos}


def _check_refusals(weights: Path, gallery: Path, known: list[Path], refused: dict[str, Path], capsys) -> None:
    """``known[0:2]`` are enrolled as ``m1``; every bad enrolment after that exits 2 with the reason
    and leaves the gallery as it was."""

    def enrol(person: str, *photos: Path, threshold: str | None = None) -> int:
        extra = ["--threshold", threshold] if threshold else []
        argv = ["face", "enrol", *map(str, photos), "--person", person, "--weights", str(weights)]
        return main([*argv, "--gallery", str(gallery), *extra])

    assert enrol("m1", *known[:2]) == 0
    capsys.readouterr()
    cases = [
        (("m2", refused["no_face"]), "no face found"),
        (("m2", refused["several_faces"]), "2 faces of similar size found"),
        (("m2", refused["too_dark"]), "mean grey level"),
        (("m2", known[2], refused["too_dark"]), "too_dark.png"),  # one bad photo: none of the call is stored
        (("m2", known[0]), "this photo is already enrolled as 'm1'"),  # one face, two ids
        (("m1", known[1]), "this photo is already enrolled for 'm1'"),
        (("m2", known[2], known[2]), "the same photo as"),
    ]
    for args, says in cases:
        assert enrol(*args) == 2, args
        err = capsys.readouterr().err
        assert err.startswith("error: ") and says in err and "Traceback" not in err, err
    assert enrol("m2", known[2], threshold="1.5") == 2
    assert "--threshold 1.5" in capsys.readouterr().err
    index = json.loads((gallery / "index.json").read_text())
    assert {p: e["count"] for p, e in index["people"].items()} == {"m1": 2}
    assert sorted(f.name for f in (gallery / "images" / "m1").iterdir()) == [
        f"000{i}_{p.name}" for i, p in enumerate(known[:2])
    ]


def test_enrolment_refuses_bad_photos_and_duplicates_with_the_reason(
    faces: Path, weights: Path, tmp_path: Path, capsys
) -> None:
    known = [faces / "train" / "miner-0" / f"{k}.png" for k in range(3)]
    refused = _refusals(
        tmp_path, cv2.imread(str(known[0]), 0), cv2.imread(str(faces / "train" / "miner-1" / "0.png"), 0)
    )
    _check_refusals(weights, tmp_path / "g", known, refused, capsys)


def test_enrolment_refusals_on_real_faces(weights: Path, shared_data: Path, tmp_path: Path, capsys) -> None:
    orl = shared_data / "faces" / "att_orl"
    if not orl.is_dir():
        pytest.skip("../shared/data/faces/att_orl is absent")
    known = [orl / "s1" / f"{k}.pgm" for k in (1, 2, 3)]
    big = lambda path: cv2.resize(cv2.imread(str(path), 0), None, fx=2.5, fy=2.5)  # noqa: E731
    refused = _refusals(tmp_path, big(orl / "s2" / "1.pgm"), big(orl / "s3" / "1.pgm"))
    _check_refusals(weights, tmp_path / "g", known, refused, capsys)


@pytest.mark.skipif(
    __import__("importlib.util").util.find_spec("dlib") is None,
    reason='dlib\'s embedder is the optional extra: pip install "mineguard[faces-dlib]"',
)
def test_dlib_by_name_enrols_and_identifies(faces: Path, tmp_path: Path, capsys) -> None:
    gallery = str(tmp_path / "g")
    for person in range(2):
        photos = [str(faces / "train" / f"miner-{person}" / f"{k}.png") for k in range(2)]
        argv = ["face", "enrol", *photos, "--person", f"miner-{person}", "--weights", "dlib-dedust", "--gallery"]
        assert main([*argv, gallery]) == 0
    probe = str(faces / "train" / "miner-0" / "5.png")
    identify = ["face", "identify", probe, "--weights", "dlib-dedust", "--gallery", gallery]
    assert main([*identify, "--threshold", "-1"]) == 0
    assert "threshold -1.000" in capsys.readouterr().out
    assert main(identify) == 2  # no threshold file beside a named embedder: say what to pass
    err = capsys.readouterr().err
    assert "dlib-dedust has no threshold file" in err and "--threshold" in err
