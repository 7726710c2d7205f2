"""``mineguard data ...``: validate, split, import, merge and generate detection data sets.

Every sub-command returns an exit code: 0 on success (warnings included), 1 for
``validate --strict`` with problems, 2 for unusable input, printed as ``error: <message>``
without a traceback.
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable
from pathlib import Path

from mineguard.data.datasets.coco import import_coco
from mineguard.data.datasets.voc import import_voc
from mineguard.data.datasets.yolo import load_data_yaml, validate_dataset
from mineguard.data.errors import DatasetError
from mineguard.data.hazard_set import build_hazard_set, hazard_coverage
from mineguard.data.remap import HELMET_NAMES, helmet_sources, merge_sources
from mineguard.data.split import write_kfold, write_split
from mineguard.data.synthetic import generate_helmet_dataset
from mineguard.data.taxonomy import load_taxonomy

Command = Callable[[argparse.Namespace], int]
DEFAULT_SHARED = Path("../shared")


def _user_errors(command: Command) -> Command:
    """Turn a DatasetError into ``error: <message>`` on stderr and exit code 2."""

    @functools.wraps(command)
    def run(args: argparse.Namespace) -> int:
        try:
            return command(args)
        except DatasetError as exc:
            if getattr(args, "debug", False):
                raise
            print(f"error: {exc}", file=sys.stderr)
            return 2

    return run


def _split_counts(yaml_path: Path) -> str:
    spec = load_data_yaml(yaml_path)
    return ", ".join(f"{split} {len(paths)}" for split, paths in spec.splits.items())


def cmd_validate(args: argparse.Namespace) -> int:
    report = validate_dataset(load_data_yaml(args.data_yaml))
    print(report.format(max_listed=args.max_listed))
    return 1 if args.strict and not report.ok else 0


def cmd_split(args: argparse.Namespace) -> int:
    if args.kfold:
        paths = write_kfold(args.source, args.out, k=args.kfold, seed=args.seed, names=args.names)
        print(f"wrote {len(paths)} folds:")
        for path in paths:
            print(f"  {path}  ({_split_counts(path)})")
        return 0
    path = write_split(args.source, args.out, fractions=args.fractions, seed=args.seed, names=args.names)
    print(f"wrote {path}  ({_split_counts(path)})")
    return 0


def cmd_import_voc(args: argparse.Namespace) -> int:
    path = import_voc(args.xml_dir, args.images_dir, args.out, names=args.names, copy=args.copy)
    print(f"wrote {path}  ({_split_counts(path)} images)")
    return 0


def cmd_import_coco(args: argparse.Namespace) -> int:
    path = import_coco(args.json_path, args.images_dir, args.out, copy=args.copy)
    print(f"wrote {path}  ({_split_counts(path)} images)")
    return 0


def _helmets_dir(shared: Path) -> Path:
    candidates = [shared / "data" / "helmets", shared / "helmets", shared]
    for candidate in candidates:
        if (candidate / "roboflow_v3").is_dir() and (candidate / "shwd_dev").is_dir():
            return candidate
    tried = ", ".join(str(c) for c in candidates)
    raise DatasetError(
        f"helmet sources roboflow_v3/ and shwd_dev/ not found (tried {tried}) — pass --shared with the "
        "shared folder (the one holding data/helmets)"
    )


def cmd_merge_helmets(args: argparse.Namespace) -> int:
    sources = helmet_sources(_helmets_dir(args.shared))
    summary = merge_sources(sources, HELMET_NAMES, args.out, seed=args.seed, overwrite=args.overwrite)
    print(summary.format())
    return 0


def _caps(pairs: list[str] | None) -> dict[str, int | None]:
    caps: dict[str, int | None] = {}
    for pair in pairs or []:
        name, _, value = pair.partition("=")
        if not name or not (value.isdigit() or value == "none"):
            raise DatasetError(f"--cap {pair!r}: write SOURCE=N (e.g. helmets_rf=100) or SOURCE=none for no cap")
        caps[name] = None if value == "none" else int(value)
    return caps


def cmd_hazards(args: argparse.Namespace) -> int:
    taxonomy = load_taxonomy(args.taxonomy)
    summary = build_hazard_set(
        taxonomy,
        args.data,
        args.out,
        sources=args.sources,
        max_images=_caps(args.cap),
        fractions=args.fractions,
        seed=args.seed,
        overwrite=args.overwrite,
    )
    print(summary.format())
    coverage = hazard_coverage(taxonomy, summary.data_yaml)
    print(coverage.format())
    if coverage.missing:
        print(f"no data for: {', '.join(coverage.missing)}")
    return 0


def cmd_coverage(args: argparse.Namespace) -> int:
    coverage = hazard_coverage(load_taxonomy(args.taxonomy), args.data_yaml, args.img_size)
    print(coverage.format())
    if coverage.missing:
        print(f"no data for: {', '.join(coverage.missing)}")
    return 0


def cmd_demo_clip(args: argparse.Namespace) -> int:
    from mineguard.data.demo_clip import make_demo_clip

    frames = args.frames or args.shared / "data" / "frames" / "underground_coalmine"
    if not frames.is_dir():
        raise DatasetError(f"{frames}: no such folder — pass --frames or --shared")
    out = make_demo_clip(frames, args.out, width=args.width, fps=args.fps, hold_s=args.hold_s)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB)")
    return 0


def cmd_synth(args: argparse.Namespace) -> int:
    path = generate_helmet_dataset(
        args.out, n_train=args.n_train, n_val=args.n_val, n_test=args.n_test, img_size=args.img_size, seed=args.seed
    )
    print(f"wrote {path}  ({_split_counts(path)})")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``data`` command group to the main parser's ``subparsers``."""
    group = subparsers.add_parser(
        "data", help="validate, split, import, merge or generate data sets", description=__doc__.splitlines()[0]
    )
    commands = group.add_subparsers(dest="data_command", required=True, metavar="SUBCOMMAND")

    p = commands.add_parser("validate", help="check a YOLO data.yaml: images, labels, class counts")
    p.add_argument("data_yaml", type=Path, help="the data set's data.yaml")
    p.add_argument("--strict", action="store_true", help="exit 1 when any problem is found")
    p.add_argument("--max-listed", type=int, default=20, help="problems listed of each kind (default 20)")
    p.set_defaults(func=_user_errors(cmd_validate))

    p = commands.add_parser("split", help="stratified train/val/test split (or k folds) without copying")
    p.add_argument("source", type=Path, help="images folder or data.yaml (its splits are pooled)")
    p.add_argument("--out", type=Path, required=True, help="folder for the lists and the new data.yaml")
    p.add_argument("--fractions", type=float, nargs="+", default=[0.65, 0.15, 0.2], help="train val [test]")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--names", nargs="+", help="class names, when no data.yaml is beside the images folder")
    p.add_argument("--kfold", type=int, metavar="K", help="write K cross-validation folds instead")
    p.set_defaults(func=_user_errors(cmd_split))

    p = commands.add_parser("import-voc", help="convert Pascal VOC .xml annotations to a YOLO folder")
    p.add_argument("xml_dir", type=Path, help="folder of .xml files (Annotations/)")
    p.add_argument("images_dir", type=Path, help="folder of images (JPEGImages/)")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--names", nargs="+", help="class names in id order (default: all found, sorted)")
    p.add_argument("--copy", action="store_true", help="copy images instead of symlinking")
    p.set_defaults(func=_user_errors(cmd_import_voc))

    p = commands.add_parser("import-coco", help="convert a COCO detection .json to a YOLO folder")
    p.add_argument("json_path", type=Path, help="COCO instances .json")
    p.add_argument("images_dir", type=Path, help="folder the 'file_name' entries are relative to")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--copy", action="store_true", help="copy images instead of symlinking")
    p.set_defaults(func=_user_errors(cmd_import_coco))

    p = commands.add_parser(
        "merge-helmets", help="merge roboflow_v3 and shwd_dev into one helmet/no_helmet set (symlinks)"
    )
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="shared folder (default ../shared)")
    p.add_argument("--seed", type=int, default=0, help="seed of the shwd_dev split (default 0)")
    p.add_argument("--overwrite", action="store_true", help="replace an earlier merge in --out")
    p.set_defaults(func=_user_errors(cmd_merge_helmets))

    p = commands.add_parser(
        "hazards", help="merge the hazard taxonomy's sources into one YOLO set (symlinks) and count its classes"
    )
    p.add_argument("--out", type=Path, required=True, help="new folder for the merged set (keep it out of git)")
    p.add_argument("--data", type=Path, default=DEFAULT_SHARED / "data", help="data root (default ../shared/data)")
    p.add_argument("--taxonomy", type=Path, help="taxonomy .yaml (default: the shipped coal_mine_hazards)")
    p.add_argument("--sources", nargs="+", metavar="NAME", help="use only these sources of the taxonomy")
    p.add_argument("--cap", nargs="+", metavar="SOURCE=N", help="cap a source's images (replaces max_images)")
    p.add_argument("--fractions", type=float, nargs="+", default=[0.65, 0.15, 0.2], help="train val [test]")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--overwrite", action="store_true", help="replace an earlier merge in --out")
    p.set_defaults(func=_user_errors(cmd_hazards))

    p = commands.add_parser("coverage", help="boxes and images per taxonomy class, group and split of a merged set")
    p.add_argument("data_yaml", type=Path, help="the merged set's data.yaml")
    p.add_argument("--taxonomy", type=Path, help="taxonomy .yaml (default: the shipped coal_mine_hazards)")
    p.add_argument(
        "--img-size",
        type=int,
        help="also give each class's median box side at this network input and the share under 16 px "
        "(too small for the detector: train at a larger size)",
    )
    p.set_defaults(func=_user_errors(cmd_coverage))

    p = commands.add_parser("demo-clip", help="make the demo camera's clip from still frames (underground_coalmine)")
    p.add_argument("--out", type=Path, required=True, help="the .mp4 to write")
    p.add_argument("--frames", type=Path, help="folder of stills (default: the shared underground_coalmine frames)")
    p.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="shared folder (default ../shared)")
    p.add_argument("--width", type=int, default=960)
    p.add_argument("--fps", type=int, default=5)
    p.add_argument("--hold-s", type=float, default=4.0, help="seconds each still is shown")
    p.set_defaults(func=_user_errors(cmd_demo_clip))

    p = commands.add_parser("synth", help="generate a small synthetic helmet data set")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--n-train", type=int, default=64)
    p.add_argument("--n-val", type=int, default=16)
    p.add_argument("--n-test", type=int, default=16)
    p.add_argument("--img-size", type=int, default=160)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=_user_errors(cmd_synth))
