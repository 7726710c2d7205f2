"""``mineguard face train|enrol|identify|verify|erase|eval``: miner identity (seed 002).

- ``train``: a face classifier on a folder with one subfolder of images per person;
- ``enrol``: add a miner's photos to a gallery (each must hold one face and pass the quality gates,
  and none may be a face already enrolled under another id, or a photo already enrolled);
- ``identify``: who is in each image — a miner of the gallery or *unknown* (open set);
- ``verify``: is this image the named miner (1:1);
- ``erase``: delete a miner's embeddings and stored photos from the gallery;
- ``eval``: the att_orl protocol (32 known, 8 unknown people) at three coal-dust levels; writes
  the chosen open-set threshold next to the weights (``identify`` and ``verify`` use it).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

THRESHOLD_FILE = "threshold.json"
WEIGHTS_HELP = "best.pt of `face train`, or dlib / dlib-dedust (dlib's pre-trained embedder: mineguard[faces-dlib])"


def register(groups: argparse._SubParsersAction) -> None:
    parser = groups.add_parser("face", help="train, enrol, identify and verify miners' faces (seed 002)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="SUBCOMMAND")

    p = sub.add_parser("train", help="train a face model on DATA/<person>/<images>")
    p.add_argument("--data", type=Path, required=True, help="folder with one subfolder of face images per person")
    p.add_argument("--out", type=Path, default=Path("runs/face/train"))
    p.add_argument("--model", default="dsr-inception", help="dsr-inception, googlenet-face, vgg16-face, resnet18-face")
    p.add_argument("--width", type=float, help="dsr-inception width multiplier (1.0 = the paper's 64..1024 channels)")
    p.add_argument("--epochs", type=int, default=150)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--img-size", type=int, default=112)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--dust-p", type=float, default=0.0, help="probability of coal-dust augmentation")
    p.add_argument("--light-p", type=float, default=0.0, help="probability of side / low light augmentation")
    p.add_argument("--illumination", default="none", help="input normalisation: none, clahe, tan-triggs")
    p.add_argument("--loss", default="softmax-center", help="softmax-center (seed 002) or arcface")
    p.add_argument("--init-from", help="checkpoint to start from (transfer learning)")
    p.add_argument("--freeze-stages", type=int, default=0, help="freeze this many leading stages (Table 3: d = 3)")
    p.add_argument("--val-per-person", type=int, default=1, help="images per person held out for validation")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("enrol", help="add a miner's photos to a gallery")
    p.add_argument("images", nargs="+", type=Path)
    p.add_argument("--person", required=True, help="the miner's id (letters, digits, . _ -)")
    p.add_argument("--weights", type=Path, required=True, help=WEIGHTS_HELP)
    p.add_argument("--gallery", type=Path, required=True, help="gallery folder (created if missing)")
    p.add_argument(
        "--threshold",
        type=float,
        help="refuse a photo scoring at least this against another enrolled person (default: "
        f"{THRESHOLD_FILE} beside the weights; without one, only the same photo under another id is refused)",
    )
    p.set_defaults(func=cmd_enrol)

    for name, helptext in (
        ("identify", "who is in each image (a gallery miner or unknown)"),
        ("verify", "is each image the named miner (1:1)"),
    ):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("images", nargs="+", type=Path)
        p.add_argument("--weights", type=Path, required=True, help=WEIGHTS_HELP)
        p.add_argument("--gallery", type=Path, required=True)
        p.add_argument(
            "--threshold",
            help="a cosine similarity, or 'gallery': calibrated on the enrolled people's own photos "
            f"(faces.calibrate, issue #16); default: {THRESHOLD_FILE} beside the weights (face eval)",
        )
        if name == "verify":
            p.add_argument("--person", required=True)
        else:
            p.add_argument("--camera", help="emit platform events (JSON lines) as this camera device id")
            p.add_argument("--zone", help="zone id for the events (default: the camera's zone on the platform)")
        p.set_defaults(func=cmd_identify if name == "identify" else cmd_verify)

    p = sub.add_parser("erase", help="delete a miner's embeddings and photos from a gallery")
    p.add_argument("--person", required=True)
    p.add_argument("--gallery", type=Path, required=True)
    p.set_defaults(func=cmd_erase)

    p = sub.add_parser("eval", help="the att_orl open-set protocol at three coal-dust levels")
    p.add_argument("--weights", type=Path, required=True)
    p.add_argument("--data", type=Path, required=True, help="the att_orl folder (s1..s40)")
    p.add_argument("--seed", type=int, default=0, help="seed of the split (use the one the model was trained on)")
    p.add_argument("--levels", default="none,light,heavy")
    p.add_argument("--json", type=Path, help="also write the results here")
    p.set_defaults(func=cmd_eval)


def _person_folders(root: Path) -> list[tuple[Path, str]]:
    from mineguard.faces.protocol import load_att_orl

    return load_att_orl(root)  # any folder of person subfolders, not only att_orl


def cmd_train(args: argparse.Namespace) -> int:
    from mineguard.faces.train import FaceTrainConfig, FaceTrainer

    items = _person_folders(args.data)
    people = sorted({pid for _, pid in items})
    if len(people) < 2:
        raise ValueError(f"{args.data}: {len(people)} person folder(s) — a face model needs at least 2 people")
    train, val = [], []
    for label, pid in enumerate(people):
        mine = [str(path) for path, q in items if q == pid]
        keep = args.val_per_person if len(mine) > args.val_per_person else 0
        val += [(p, label) for p in mine[:keep]]
        train += [(p, label) for p in mine[keep:]]
    kwargs = {"width": args.width} if args.width is not None else {}
    config = FaceTrainConfig(
        model=args.model,
        model_kwargs=kwargs,
        img_size=args.img_size,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr0=args.lr,
        dust_p=args.dust_p,
        light_p=args.light_p,
        illumination=args.illumination,
        loss=args.loss,
        init_from=args.init_from,
        freeze_stages=args.freeze_stages,
        seed=args.seed,
        threads=args.threads,
        out_dir=str(args.out),
    )
    best = FaceTrainer(config).fit(train, val, people)
    print(f"trained {args.model} on {len(train)} images of {len(people)} people ({len(val)} for validation)")
    print(f"weights: {best}  log: {args.out / 'log.csv'}")
    return 0


def _embedder(weights: Path):
    """A checkpoint of `face train`, or a pre-trained embedder by name (``dlib``, ``dlib-dedust``:
    the optional extra ``mineguard[faces-dlib]``)."""
    from mineguard.faces.dlib_embed import is_pretrained, load_pretrained

    if is_pretrained(weights):
        return load_pretrained(str(weights))
    from mineguard.faces.embed import FaceEmbedder

    return FaceEmbedder.from_checkpoint(weights)


def cmd_enrol(args: argparse.Namespace) -> int:
    from mineguard.faces.gallery import NpzGallery, check_not_duplicate, check_person_id, prepare_embeddings
    from mineguard.faces.pipeline import FacePreparer

    check_person_id(args.person)
    threshold = args.threshold if args.threshold is not None else _saved_threshold(args.weights)
    if threshold is not None and not 0.0 < threshold <= 1.0:
        raise ValueError(f"--threshold {threshold}: give the accept threshold, a cosine score in (0, 1]")
    embedder = _embedder(args.weights)
    preparer = FacePreparer(size=embedder.img_size, check_quality=True, illumination=embedder.illumination)
    crops = [preparer.load(path) for path in args.images]  # every photo must pass before any is stored
    gallery = NpzGallery(args.gallery)
    gallery.check_photos_new(args.person, args.images)
    rows = prepare_embeddings(embedder.embed([c.image for c in crops]), dim=gallery.dim)
    check_not_duplicate(
        gallery.embeddings(), args.person, rows, threshold=threshold, names=[str(p) for p in args.images]
    )
    gallery.add(args.person, rows, images=args.images)
    print(
        f"enrolled {args.person}: {len(crops)} photo(s); the gallery holds {gallery.count(args.person)} "
        f"for them and {len(gallery.people())} people in all"
    )
    return 0


def _saved_threshold(weights: Path) -> float | None:
    """The open-set threshold ``face eval`` wrote beside the weights, or None (always for a named embedder)."""
    from mineguard.faces.dlib_embed import is_pretrained

    if is_pretrained(weights):
        return None
    path = weights.parent / THRESHOLD_FILE
    return float(json.loads(path.read_text())["threshold"]) if path.is_file() else None


def _threshold(args: argparse.Namespace, gallery, *, flag: str = "--threshold") -> float:
    """``args.threshold`` as a number, ``gallery`` (per-gallery calibration), or the file beside the weights;
    ``flag`` is the option's name in the messages."""
    from mineguard.faces.dlib_embed import is_pretrained

    if args.threshold == "gallery":
        from mineguard.faces.calibrate import calibrate_gallery_threshold

        path = args.weights.parent / THRESHOLD_FILE
        saved = path.is_file() and not is_pretrained(args.weights)  # a named embedder has no file beside it
        offset = json.loads(path.read_text()).get("gallery_offset", 0.0) if saved else 0.0
        return calibrate_gallery_threshold(gallery, offset=float(offset)).threshold
    if args.threshold is not None:
        try:
            return float(args.threshold)
        except ValueError:
            raise ValueError(f"{flag} {args.threshold!r}: give a cosine similarity such as 0.6, or 'gallery'") from None
    saved = _saved_threshold(args.weights)
    if saved is None and is_pretrained(args.weights):
        raise ValueError(
            f"--weights {args.weights} has no threshold file: pass {flag} (a cosine such as 0.9, or 'gallery')"
        )
    if saved is None:
        raise ValueError(
            f"no open-set threshold: pass {flag}, or run `mineguard face eval --weights "
            f"{args.weights} --data <validation faces>` to choose one (writes {args.weights.parent / THRESHOLD_FILE})"
        )
    return saved


def _gallery(path: Path):
    from mineguard.faces.gallery import NpzGallery

    if not (path / "index.json").is_file():
        raise FileNotFoundError(f"{path}: no gallery here — enrol miners first with `mineguard face enrol`")
    return NpzGallery(path)


def cmd_identify(args: argparse.Namespace) -> int:
    from mineguard.faces.events import face_event
    from mineguard.faces.identify import Identifier
    from mineguard.faces.pipeline import FacePreparer

    embedder, gallery = _embedder(args.weights), _gallery(args.gallery)  # weights first: the first error named
    threshold = _threshold(args, gallery)
    identifier = Identifier(gallery, threshold=threshold)
    preparer = FacePreparer(size=embedder.img_size, illumination=embedder.illumination)
    for path in args.images:
        crop = preparer.load(path)
        result = identifier.identify(embedder.embed([crop.image])[0])
        if args.camera:
            print(json.dumps(face_event(result, device_id=args.camera, zone_id=args.zone, box=crop.box)))
        else:
            who = result.person_id or f"unknown (nearest {result.nearest_id})"
            print(f"{path}: {who}  score {result.score:.3f}  threshold {threshold:.3f}")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from mineguard.faces.identify import Identifier
    from mineguard.faces.pipeline import FacePreparer

    embedder, gallery = _embedder(args.weights), _gallery(args.gallery)  # weights first: the first error named
    threshold = _threshold(args, gallery)
    identifier = Identifier(gallery, threshold=threshold)
    preparer = FacePreparer(size=embedder.img_size, illumination=embedder.illumination)
    all_accepted = True
    for path in args.images:
        result = identifier.verify(embedder.embed([preparer.load(path).image])[0], args.person)
        all_accepted &= result.accepted
        print(f"{path}: {'ACCEPTED' if result.accepted else 'REJECTED'} as {args.person}  score {result.score:.3f}")
    return 0 if all_accepted else 1


def cmd_erase(args: argparse.Namespace) -> int:
    removed = _gallery(args.gallery).remove(args.person)
    if removed == 0:
        print(f"{args.person} is not in {args.gallery}: nothing to erase", file=sys.stderr)
        return 1
    print(f"erased {args.person}: {removed} embedding(s) and their stored photos")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from mineguard.faces.evaluate import LEVELS, evaluate_faces
    from mineguard.faces.protocol import load_att_orl, make_protocol

    levels = [lv.strip() for lv in args.levels.split(",") if lv.strip()]
    bad = [lv for lv in levels if lv not in LEVELS]
    if bad:
        raise ValueError(f"--levels: unknown level(s) {bad} — use some of {', '.join(LEVELS)}")
    embedder = _embedder(args.weights)
    protocol = make_protocol(load_att_orl(args.data), seed=args.seed)
    results = [
        evaluate_faces(protocol, embedder.embed, level=lv, seed=args.seed, size=embedder.img_size) for lv in levels
    ]
    print("| dust | rank-1 | precision | recall | F1 | false accepts | TAR@FAR1% | threshold |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r.level} | {r.rank1:.3f} | {r.precision:.3f} | {r.recall:.3f} | {r.f1:.3f} | "
            f"{r.false_accept_rate:.3f} | {r.tar_at_far1:.3f} | {r.threshold:.3f} |"
        )
    clean = next((r for r in results if r.level == "none"), results[0])
    threshold_path = args.weights.parent / THRESHOLD_FILE
    threshold_path.write_text(
        json.dumps(
            {
                "threshold": clean.threshold,
                "chosen_on": "att_orl validation probes",
                "level": clean.level,
                "seed": args.seed,
            },
            indent=1,
        )
    )
    print(f"open-set threshold {clean.threshold:.3f} (chosen on validation probes) written to {threshold_path}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {"protocol": json.loads(protocol.to_json()), "results": [r.to_dict() for r in results]}, indent=1
            )
        )
    return 0
