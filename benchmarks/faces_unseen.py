"""Figure: faces of people the embedder never saw, in coal dust and cap-lamp side light (issue #16).

Protocol (``mineguard.faces.unseen``, seeds 0..4): per seed the 40 att_orl people are split into
20 training people (every photo trains the embedder), 8 calibration people (5 enrolled + 3
strangers: choose thresholds and the method) and 12 test people (8 enrolled + 4 strangers: the
reported figures only). Enrolled people give their first 4 photos (clean) to the gallery; their
other 6 photos and every stranger's 10 photos are probes, each drawn as a 3-frame "gate track"
(frame 0 = the photo; frames 1-2 = the photo shifted by up to 3 px and its gain jittered by
+-10 %), all under the same condition: clean, coal dust light / heavy (``faces.dust``), side
light / low light (``faces.light``) or heavy dust with side light. Corruption seeds depend on the
photo, the condition and the frame only, so every model sees the same probes.

Stages (each cached under ``--out``; run them in any order, in parallel processes):

    .venv/bin/python benchmarks/faces_unseen.py train --models dsr --seeds 0,1,2,3,4
    .venv/bin/python benchmarks/faces_unseen.py embed --models dsr,dlib,pixels --seeds 0,1,2,3,4
    .venv/bin/python benchmarks/faces_unseen.py report --write
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import time
from pathlib import Path

import numpy as np
import torch

from mineguard.faces.dedust import dedust
from mineguard.faces.dlib_embed import load_pretrained
from mineguard.faces.dust import add_coal_dust
from mineguard.faces.embed import FaceEmbedder
from mineguard.faces.illumination import normalise_illumination
from mineguard.faces.light import add_side_light
from mineguard.faces.pipeline import FacePreparer
from mineguard.faces.protocol import load_att_orl
from mineguard.faces.quality import check_quality
from mineguard.faces.train import FaceTrainConfig, FaceTrainer
from mineguard.faces.unseen import UnseenProtocol, make_unseen_protocol

ROOT = Path(__file__).resolve().parents[1]
CONDITIONS = {  # name: (dust level, light level)
    "clean": ("none", "none"),
    "dust-light": ("light", "none"),
    "dust-heavy": ("heavy", "none"),
    "side-light": ("none", "side"),
    "low-light": ("none", "low"),
    "dust-heavy+side": ("heavy", "side"),
}
N_FRAMES, N_ENROL = 3, 4
DSR = {"model": "dsr-inception", "model_kwargs": {"width": 0.5}, "lr0": 0.05, "dust_p": 0.5}
MODELS: dict[str, dict] = {  # name: FaceTrainConfig overrides; None = a peer that is not trained here
    "dsr-dust": DSR,  # issue #5's recipe: dust augmentation only
    "dsr": {**DSR, "light_p": 0.5},  # + side / low light augmentation
    "dsr-clahe": {**DSR, "light_p": 0.5, "illumination": "clahe"},
    "dsr-tt": {**DSR, "light_p": 0.5, "illumination": "tan-triggs"},
    "dsr-arc": {**DSR, "light_p": 0.5, "loss": "arcface"},
    "vgg16-bn": {  # VGG-16-BN on 64 px input: a third of the 112 px cost, the only size that fit this machine
        "model": "vgg16-face",
        "img_size": 64,
        "model_kwargs": {"batch_norm": True},
        "lr0": 0.01,
        "warmup_epochs": 2,
        "dust_p": 0.5,
        "light_p": 0.5,
    },
    "vgg16-bn-ce": {  # the same without center loss: it collapsed vgg16-bn's 4096-d features (log.csv)
        "model": "vgg16-face",
        "img_size": 64,
        "model_kwargs": {"batch_norm": True},
        "lr0": 0.01,
        "warmup_epochs": 2,
        "center_lambda": 0.0,
        "dust_p": 0.5,
        "light_p": 0.5,
    },
    "dlib": None,
    "pixels": None,
}
# `<model>-dedust`: the same embedder on crops de-dusted first (faces.dedust, gallery and probes alike)
MODELS |= {f"{name}-dedust": cfg for name, cfg in list(MODELS.items()) if name in ("dsr", "dsr-dust", "dlib", "pixels")}
MODELS["dlib-restore"] = None  # dlib on crops de-dusted without the last step (CLAHE): the ablation


def protocols(args: argparse.Namespace) -> dict[int, UnseenProtocol]:
    items = load_att_orl(args.data)
    return {s: make_unseen_protocol(items, seed=s) for s in args.seeds}


def photo_index(protocol: UnseenProtocol) -> dict[str, int]:
    """Relative photo path -> row of the crop arrays (natural order, the same for every seed)."""
    rels = sorted(rel for _, rels in protocol.photos for rel in rels)
    return {rel: i for i, rel in enumerate(rels)}


def crops(args: argparse.Namespace, protocol: UnseenProtocol) -> np.ndarray:
    """(400, 112, 112) uint8 prepared crops, no illumination normalisation (cached)."""
    path = args.out / "crops.npy"
    if not path.is_file():
        preparer = FacePreparer(size=112)
        rels = list(photo_index(protocol))
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(
            path.with_suffix(".tmp.npy"), np.stack([preparer.load(Path(protocol.root) / rel).image for rel in rels])
        )
        os.replace(path.with_suffix(".tmp.npy"), path)  # atomic: parallel stages read it
    return np.load(path)


def frame(crop: np.ndarray, photo: int, cond: int, f: int) -> np.ndarray:
    """Frame ``f`` of a photo's gate track under condition number ``cond`` (deterministic)."""
    import cv2

    rng = np.random.default_rng([photo, cond, f])
    out = crop
    if f > 0:
        shift = np.float32([[1, 0, rng.integers(-3, 4)], [0, 1, rng.integers(-3, 4)]])
        out = cv2.warpAffine(crop, shift, crop.shape[::-1], borderMode=cv2.BORDER_REFLECT)
        out = np.clip(out.astype(np.float32) * rng.uniform(0.9, 1.1), 0, 255).astype(np.uint8)
    dust, light = list(CONDITIONS.values())[cond]
    return add_side_light(add_coal_dust(out, level=dust, rng=rng), level=light, rng=rng)


def probe_frames(args: argparse.Namespace, base: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(C, F, 400, 112, 112) uint8 frames and (C, F, 400) quality-passed flags (cached)."""
    path = args.out / "frames.npz"
    if not path.is_file():
        frames = np.stack(
            [
                np.stack([np.stack([frame(c, i, k, f) for i, c in enumerate(base)]) for f in range(N_FRAMES)])
                for k in range(len(CONDITIONS))
            ]
        )
        passed = np.vectorize(lambda k, f, i: check_quality(frames[k, f, i]).passed)(
            *np.indices(frames.shape[:3])
        ).astype(bool)
        np.savez(path.with_suffix(".tmp.npz"), frames=frames, passed=passed)
        os.replace(path.with_suffix(".tmp.npz"), path)
    data = np.load(path)
    return data["frames"], data["passed"]


def checkpoint(args: argparse.Namespace, name: str, seed: int) -> Path:
    return args.out / name / f"s{seed}" / "best.pt"


def config(args: argparse.Namespace, name: str, seed: int) -> FaceTrainConfig:
    epochs = args.vgg_epochs if name.startswith("vgg") else args.epochs
    return FaceTrainConfig(
        **{
            "batch_size": 32,
            "epochs": epochs,
            "seed": seed,
            "threads": 1,
            "out_dir": str(checkpoint(args, name, seed).parent),
            **MODELS[name],
        }
    )


def train(args: argparse.Namespace) -> None:
    for seed, protocol in protocols(args).items():
        for name in args.models:
            if MODELS[name] is None or name.endswith("-dedust") or checkpoint(args, name, seed).is_file():
                continue
            ids = list(protocol.train_ids)
            items = [(str(p), ids.index(pid)) for p, pid in protocol.train_items()]
            started = time.perf_counter()
            FaceTrainer(config(args, name, seed)).fit(items, [], ids)
            print(f"trained {name} seed {seed} in {time.perf_counter() - started:.0f} s", flush=True)


def embedder(args: argparse.Namespace, name: str, seed: int):
    """(embed function, illumination method, MB); ``<model>-dedust`` de-dusts every crop first."""
    base, dedusted = name.removesuffix("-dedust"), name.endswith("-dedust")
    if base == "pixels":
        from face_peers import pixels

        return pixels, "dedust" if dedusted else "none", 0.0
    if name == "dlib-restore":
        peer = load_pretrained("dlib")
        return (lambda faces: peer.embed([dedust(f, local_contrast=False) for f in faces])), "none", peer.model_mb
    if base == "dlib":
        peer = load_pretrained(name)  # "dlib" or "dlib-dedust": the product's adapter
        return peer.embed, peer.illumination, peer.model_mb
    emb = FaceEmbedder.from_checkpoint(checkpoint(args, base, seed))
    mb = sum(t.numel() * t.element_size() for t in emb.model.state_dict().values()) / 2**20
    method = MODELS[base].get("illumination", "none")
    if dedusted and method != "none":
        raise SystemExit(f"{name}: {base} already normalises its input ({method}); de-dust a model trained without")
    return emb.embed, "dedust" if dedusted else method, mb


def embed(args: argparse.Namespace) -> None:
    torch.set_num_threads(1)
    protos = protocols(args)
    base = crops(args, next(iter(protos.values())))
    frames, _ = probe_frames(args, base)
    for name in args.models:
        for seed in [0] if MODELS[name] is None else list(protos):
            path = args.out / "emb" / f"{name}-s{seed}.npz"
            stem = name.removesuffix("-dedust")
            if path.is_file() or (MODELS[name] is not None and not checkpoint(args, stem, seed).is_file()):
                continue
            fn, method, mb = embedder(args, name, seed)
            n_frames = (
                1 if stem in ("dlib", "dlib-restore", "vgg16-bn", "vgg16-bn-ce") else N_FRAMES
            )  # ~100 ms a face here: one frame per probe

            def run(images: np.ndarray, fn=fn, method=method) -> np.ndarray:
                return fn([normalise_illumination(im, method) for im in images])

            clean = run(base)
            probes = np.stack([np.stack([run(frames[k, f]) for f in range(n_frames)]) for k in range(len(CONDITIONS))])
            one = normalise_illumination(base[0], method)
            timed = [time.perf_counter(), fn([one]), time.perf_counter()]
            for _ in range(20):
                fn([one])
            ms = (time.perf_counter() - timed[2]) / 20 * 1000
            path.parent.mkdir(parents=True, exist_ok=True)
            np.savez(path.with_suffix(".tmp.npz"), clean=clean, probes=probes, mb=mb, ms=ms)
            os.replace(path.with_suffix(".tmp.npz"), path)
            print(f"embedded {name} seed {seed}: {probes.shape}, {ms:.1f} ms/face, {mb:.2f} MB", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stage", choices=("train", "embed", "report"))
    parser.add_argument(
        "--data",
        type=Path,
        default=Path(os.environ.get("MINEGUARD_SHARED_DATA", ROOT.parent / "shared" / "data")) / "faces" / "att_orl",
    )
    parser.add_argument("--models", default="dsr")
    parser.add_argument("--seeds", default="0,1,2,3,4")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--vgg-epochs", type=int, default=12)
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "faces_unseen")
    parser.add_argument("--results", type=Path, default=ROOT / "docs" / "results" / "faces_unseen.json")
    parser.add_argument(
        "--carry-over",
        type=Path,
        nargs="?",
        const=ROOT / "docs" / "results" / "faces_unseen.json",
        help="report: keep the rows of models not rerun from this earlier results file (default: --results' own)",
    )
    parser.add_argument("--write", action="store_true", help="rewrite the generated part of docs/results/faces.md")
    args = parser.parse_args()
    args.models = [m.strip() for m in args.models.split(",") if m.strip()]
    args.seeds = [int(s) for s in args.seeds.split(",")]
    unknown = [m for m in args.models if m not in MODELS]
    if unknown:
        raise SystemExit(f"unknown model {unknown[0]!r} — choose from {', '.join(MODELS)}")
    torch.set_num_threads(1)
    if args.stage == "train":
        train(args)
    elif args.stage == "embed":
        embed(args)
    else:
        from faces_unseen_report import report

        report(args, protocols(args), CONDITIONS, MODELS, N_ENROL, dt.datetime.now(dt.UTC))
    _ = json


if __name__ == "__main__":
    main()
