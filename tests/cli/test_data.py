"""``mineguard data ...`` sub-commands run as a user would, through an argparse parser."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
from PIL import Image

from mineguard.cli import data as data_cli


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="mineguard")
    data_cli.register(parser.add_subparsers(dest="group"))
    args = parser.parse_args(["data", *argv])
    return args.func(args)


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth")
    assert run(["synth", "--out", str(out), "--n-train", "8", "--n-val", "3", "--n-test", "3", "--img-size", "96"]) == 0
    return out / "data.yaml"


def test_synth_and_validate(synth: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert run(["validate", str(synth), "--strict"]) == 0
    out = capsys.readouterr().out
    assert "no problems found" in out and "helmet" in out and "train" in out


def test_validate_warnings_exit_0_strict_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "images").mkdir()
    Image.new("RGB", (10, 10)).save(tmp_path / "images" / "a.jpg")
    (tmp_path / "data.yaml").write_text("train: images\nnames: [helmet]\n")
    assert run(["validate", str(tmp_path / "data.yaml")]) == 0
    assert "missing label file" in capsys.readouterr().out
    assert run(["validate", str(tmp_path / "data.yaml"), "--strict"]) == 1


def test_user_error_exit_2_without_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "data.yaml").write_text("train: images\nnc: 1\n")
    assert run(["validate", str(tmp_path / "data.yaml")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "'names' missing — list the class names" in err
    assert "Traceback" not in err
    assert run(["validate", str(tmp_path / "nope.yaml")]) == 2
    assert "data.yaml not found" in capsys.readouterr().err


def test_split_and_kfold(synth: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["split", str(synth), "--out", str(tmp_path / "s"), "--fractions", "0.5", "0.25", "0.25"]) == 0
    assert "train 7, val 4, test 3" in capsys.readouterr().out
    assert run(["split", str(synth), "--out", str(tmp_path / "k"), "--kfold", "3"]) == 0
    assert capsys.readouterr().out.count("fold_") == 3
    assert run(["split", str(synth), "--out", str(tmp_path / "b"), "--fractions", "0.5", "0.2"]) == 2
    assert "sum to 1" in capsys.readouterr().err


def test_import_voc_and_coco(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "img").mkdir()
    Image.new("RGB", (100, 50)).save(tmp_path / "img" / "a.jpg")
    (tmp_path / "ann").mkdir()
    (tmp_path / "ann" / "a.xml").write_text(
        "<annotation><filename>a.jpg</filename><size><width>100</width><height>50</height></size><object>"
        "<name>helmet</name><bndbox><xmin>10</xmin><ymin>10</ymin><xmax>30</xmax><ymax>40</ymax></bndbox>"
        "</object></annotation>"
    )
    assert run(["import-voc", str(tmp_path / "ann"), str(tmp_path / "img"), "--out", str(tmp_path / "v")]) == 0
    assert "all 1 images" in capsys.readouterr().out
    coco = {
        "images": [{"id": 1, "file_name": "a.jpg", "width": 100, "height": 50}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 3, "bbox": [10, 10, 20, 30]}],
        "categories": [{"id": 3, "name": "helmet"}],
    }
    (tmp_path / "c.json").write_text(json.dumps(coco))
    assert run(["import-coco", str(tmp_path / "c.json"), str(tmp_path / "img"), "--out", str(tmp_path / "c")]) == 0
    assert (tmp_path / "c/labels/a.txt").read_text() == (tmp_path / "v/labels/a.txt").read_text()
    assert run(["import-coco", str(tmp_path / "gone.json"), str(tmp_path / "img"), "--out", str(tmp_path / "x")]) == 2
    assert "error: " in capsys.readouterr().err


def test_merge_helmets_missing_sources(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["merge-helmets", "--out", str(tmp_path / "m"), "--shared", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "roboflow_v3/ and shwd_dev/ not found" in err and "--shared" in err


def test_merge_helmets_real(shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "merged"
    assert run(["merge-helmets", "--out", str(out), "--shared", str(shared_data.parent)]) == 0
    text = capsys.readouterr().out
    assert "classes: ['helmet', 'no_helmet']" in text and "dropped from shwd_dev" in text
    assert run(["merge-helmets", "--out", str(out), "--shared", str(shared_data.parent)]) == 2
    assert "--overwrite" in capsys.readouterr().err


def test_hazards_and_coverage_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "root"
    for i in range(6):
        image = root / "cracks" / f"p{i}_0_{i}.jpg"
        image.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (32, 32)).save(image)
        image.with_suffix(".txt").write_text("0 0.5 0.5 0.2 0.2\n")
    (tmp_path / "t.yaml").write_text(
        "name: t\nreference: test\n"
        "groups: [{name: natural, code: ZR, title: Natural, classes: [crack, water]}]\n"
        "classes: [{name: crack, title: Crack, description: c}, {name: water, title: Water, description: w}]\n"
        "sources: [{name: cracks, path: cracks, licence: test, names: [crack], images: {train: '.'},"
        " mapping: {crack: crack}, group_pattern: '^(.*?)_\\d+_\\d+\\.'}]\n"
    )
    out = tmp_path / "merged"
    argv = ["hazards", "--out", str(out), "--data", str(root), "--taxonomy", str(tmp_path / "t.yaml")]
    assert run([*argv, "--cap", "cracks=4"]) == 0
    printed = capsys.readouterr().out
    assert "no data for: water" in printed and "crack" in printed
    assert run(["coverage", str(out / "data.yaml"), "--taxonomy", str(tmp_path / "t.yaml")]) == 0
    assert "water" in capsys.readouterr().out
    # 32 px images, 0.2-wide boxes: 6.4 px, i.e. 64 px at a 320 input (scale 10), none under 16 px
    assert run(["coverage", str(out / "data.yaml"), "--taxonomy", str(tmp_path / "t.yaml"), "--img-size", "320"]) == 0
    assert "median box side at 320 px" in (printed := capsys.readouterr().out) and "64/0.00" in printed
    assert run([*argv, "--cap", "cracks=four"]) == 2
    assert "write SOURCE=N" in capsys.readouterr().err
    assert run(argv) == 2  # the output exists
    assert "--overwrite" in capsys.readouterr().err
