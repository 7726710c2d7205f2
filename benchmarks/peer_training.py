"""Figure: the peer (Ultralytics) side by side with our engine — training speed and test mAP on one split.

On one YOLO data.yaml (``configs/helmets_cpu320.yaml``'s by default; ``--config`` takes another
training config, e.g. ``configs/hazards_cpu320.yaml``, whose data, epochs, img_size, batch_size and
seed are used), trains in the same run

- ours: zoo models (default ``yolov10n ca-yolov10n yolov3-gc-s``) through ``engine.trainer.Trainer``
  with the config's recipe, and
- the peer: Ultralytics' ``yolov10n.yaml``, ``yolov3u.yaml`` and its newest nano default
  ``yolo26n.yaml``, built from their model yaml (from scratch: no weights are downloaded) and
  trained with its own recipe (optimiser, augmentation, schedule) at the same epochs, image size,
  batch and seed,

all on the CPU with ``workers=0`` and one torch thread, then scores EVERY model's ``best.pt`` on the
test split with OUR evaluator (``evaluation.detection.evaluate_detections``: COCO 101-point), so
both sides are scored identically. The peer predicts with its own ``predict`` (conf 0.001, IoU 0.7,
max_det 300, the same image size); its boxes (original-image pixels) become ``Detections``.

Ultralytics is AGPL-3.0 and never a MineGuard dependency: it is imported only inside the functions
that need it and installed with ``pip install -e '.[bench-vision]'``. It is kept off the network
(``YOLO_OFFLINE``, ``YOLO_AUTOINSTALL=false``, settings ``sync`` off, ``plots=False``, ``amp=False``,
and a local font under the name its data-set check would otherwise fetch from GitHub); its settings
file is written under ``--out``, not the home folder. It does write ``labels.cache`` files beside
the data set's label folders. ``yolov3u.yaml`` is the full YOLOv3 (~104 M parameters): on the CPU it
costs more than all the other rows together.

    YOLO_OFFLINE=1 .venv/bin/python benchmarks/peer_training.py [--config configs/hazards_cpu320.yaml]
        [--ours yolov10n,ca-yolov10n,yolov3-gc-s] [--peer yolov10n.yaml,yolov3u.yaml,yolo26n.yaml]
        [--out runs/peer] [--threads 1] [--write [--results docs/results/detector.md]]

Every model trains in its own folder under ``--out`` (``ours-<model>``, ``peer-<model>``) and leaves a
``side_by_side.json`` there; a model whose record matches the data, epochs, size, batch and seed is
not trained again, so a rerun only trains what is missing.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shlex
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml

from mineguard.data.datasets.data_yaml import load_data_yaml
from mineguard.data.datasets.detection import DetectionDataset
from mineguard.data.records import Detections
from mineguard.evaluation.detection import DetectionMetrics, evaluate_detections

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from results_file import run_lines, write_section  # noqa: E402

HEADING = "## Side by side with the peer (Ultralytics): training speed and test mAP on the same split"
OURS = ("yolov10n", "ca-yolov10n", "yolov3-gc-s")
PEER = ("yolov10n.yaml", "yolov3u.yaml", "yolo26n.yaml")
SHARED = ("data", "epochs", "img_size", "batch_size", "seed")  # what both sides train with
RECORD = "side_by_side.json"
INSTALL_HINT = "the peer needs Ultralytics: pip install -e '.[bench-vision]' (a benchmark-only extra)"


def detections_from_peer(boxes: Any) -> Detections:
    """An Ultralytics ``Results.boxes`` (``xyxy`` (N, 4) original-image pixels, ``cls`` (N,), ``conf``
    (N,); tensors or arrays) as our ``Detections``."""

    def array(value: Any) -> np.ndarray:
        value = value.detach().cpu().numpy() if hasattr(value, "detach") else value
        return np.asarray(value)

    if boxes is None:
        return Detections.empty()
    xyxy = array(boxes.xyxy).astype(np.float32).reshape(-1, 4)
    class_id = np.rint(array(boxes.cls)).astype(np.int64).reshape(-1)
    return Detections(xyxy, class_id, array(boxes.conf).astype(np.float32).reshape(-1))


def images_per_second(train_images: int, epochs: int, seconds: float) -> float:
    """Training throughput: images seen (``train_images`` x ``epochs``) per second of training wall time."""
    return train_images * epochs / seconds if seconds > 0 else float("nan")


def peer_loop_seconds(results_csv: Path) -> float:
    """Seconds of the peer's epochs (training and each epoch's validation) from its own ``results.csv``:
    its ``time`` column is the time since its training began (ours: ``engine.trainer.logged_time``)."""
    with results_csv.open() as f:
        rows = [{k.strip(): v for k, v in row.items()} for row in csv.DictReader(f)]
    return float(rows[-1]["time"])


def metric_numbers(metrics: DetectionMetrics) -> dict[str, float]:
    return {
        "map50": float(metrics.map50),
        "map50_95": float(metrics.map50_95),
        "precision": float(metrics.mean_precision),
        "recall": float(metrics.mean_recall),
    }


def scored_dataset(data: Path, img_size: int) -> DetectionDataset:
    """The test split of ``data``, letterboxed to ``img_size`` (labels in original pixels)."""
    spec = load_data_yaml(data)
    return DetectionDataset(spec.images("test"), spec.names, img_size=img_size)


# ---------------------------------------------------------------- ours


def train_ours(model: str, values: dict[str, Any], run_dir: Path) -> dict[str, Any]:
    """Train ``model`` with our engine and score its ``best.pt`` on the test split."""
    from mineguard.engine.config import load_train_config
    from mineguard.engine.report import evaluate_checkpoint
    from mineguard.engine.trainer import Trainer, logged_time

    config = load_train_config(
        {**values, "model": model, "out_dir": str(run_dir), "device": "cpu", "workers": 0}, source=str(run_dir)
    )
    start = time.perf_counter()  # from building the data set and model, as the peer's train() does
    trainer = Trainer(config)
    summary = trainer.fit()
    seconds = time.perf_counter() - start
    report = evaluate_checkpoint(summary.best_checkpoint, config.data, split="test", out_dir=run_dir, device="cpu")
    return {
        "params": report.summary["params_inference"],
        "train_images": len(trainer.train_set),
        "train_seconds": seconds,
        "loop_seconds": logged_time(run_dir)[1],
        "test_images": report.result.metrics.num_images,
        **metric_numbers(report.result.metrics),
    }


# ---------------------------------------------------------------- the peer


def _peer_yolo(out: Path, threads: int) -> Any:
    """Ultralytics' ``YOLO`` class, imported offline with its settings under ``out``, held to ``threads``.

    Besides ``YOLO_OFFLINE``, its data-set check fetches ``Arial.ttf`` whatever ``plots`` says (a
    ``requests.head`` to its assets site): a font of matplotlib's own, copied under that name into its
    config folder, is found first. Its device selection sets torch's threads to its ``NUM_THREADS`` (cores
    - 1) on the CPU, so that is set to ``threads``.
    """
    os.environ.setdefault("YOLO_OFFLINE", "1")
    os.environ.setdefault("YOLO_AUTOINSTALL", "false")
    os.environ.setdefault("YOLO_CONFIG_DIR", str(out / ".ultralytics"))
    try:
        from ultralytics import YOLO, settings
        from ultralytics.utils import USER_CONFIG_DIR, torch_utils
    except ImportError as exc:
        raise SystemExit(INSTALL_HINT) from exc
    from matplotlib import font_manager

    settings.update({"sync": False})
    torch_utils.NUM_THREADS = threads
    font = Path(font_manager.findfont("DejaVu Sans"))
    for name in ("Arial.ttf", "Arial.Unicode.ttf"):
        if not (USER_CONFIG_DIR / name).is_file():
            shutil.copyfile(font, USER_CONFIG_DIR / name)
    return YOLO


def peer_params(model: Any) -> int:
    """Parameters the peer's network uses at inference: a head with a one-to-one (NMS-free) copy of its
    box and class branches runs only one of the two (each the same size), as our ``params_inference``
    counts a YOLOv10 head."""
    net = model.model
    total = sum(p.numel() for p in net.parameters())
    head = net.model[-1]
    if getattr(head, "one2one_cv2", None) is not None:
        total -= sum(p.numel() for name in ("one2one_cv2", "one2one_cv3") for p in getattr(head, name).parameters())
    return total


def train_peer(cfg: str, values: dict[str, Any], run_dir: Path, threads: int) -> dict[str, Any]:
    """Train the peer's ``cfg`` from scratch with its own recipe; score its ``best.pt`` with our evaluator."""
    YOLO = _peer_yolo(run_dir.parent, threads)
    model = YOLO(cfg, task="detect")
    start = time.perf_counter()
    model.train(
        data=str(values["data"]),
        epochs=values["epochs"],
        imgsz=values["img_size"],
        batch=values["batch_size"],
        seed=values["seed"],
        deterministic=True,
        workers=0,
        device="cpu",
        pretrained=False,
        amp=False,
        plots=False,
        val=True,
        project=str(run_dir.parent),
        name=run_dir.name,
        exist_ok=True,
        verbose=False,
    )
    seconds = time.perf_counter() - start
    best = Path(model.trainer.best)
    dataset = scored_dataset(Path(values["data"]), values["img_size"])
    trained = YOLO(str(best), task="detect")
    metrics = score_peer(trained, dataset, values["img_size"])
    (run_dir / "metrics_test.json").write_text(json.dumps(metrics.to_dict(), indent=2))
    return {
        "params": peer_params(YOLO(cfg, task="detect")),
        "train_images": len(load_data_yaml(values["data"]).images("train")),
        "train_seconds": seconds,
        "loop_seconds": peer_loop_seconds(run_dir / "results.csv"),
        "test_images": metrics.num_images,
        "nms_free": bool(getattr(trained.model.model[-1], "end2end", False)),
        **metric_numbers(metrics),
    }


def score_peer(model: Any, dataset: DetectionDataset, img_size: int) -> DetectionMetrics:
    """The peer's predictions on every image of ``dataset`` (its ``predict``: conf 0.001, IoU 0.7,
    max_det 300), scored against the labels with our evaluator."""
    predictions = []
    for path in dataset.image_paths:
        (result,) = model.predict(
            str(path), imgsz=img_size, conf=0.001, iou=0.7, max_det=300, device="cpu", verbose=False
        )
        predictions.append(detections_from_peer(result.boxes))
    truths = [dataset.load_ground_truth(i) for i in range(len(dataset))]
    return evaluate_detections(predictions, truths, list(dataset.names))


# ---------------------------------------------------------------- one table


def run_model(side: str, model: str, values: dict[str, Any], out: Path, threads: int) -> dict[str, Any]:
    """One model's record: reused from its folder when it was trained with the same shared settings."""
    run_dir = out / f"{side}-{model.removesuffix('.yaml')}"
    record_path = run_dir / RECORD
    shared = {k: values[k] for k in SHARED}
    if record_path.is_file():
        record = json.loads(record_path.read_text())
        if record.get("shared") == shared:
            print(f"{run_dir}: reusing {RECORD}", flush=True)
            return record
    run_dir.mkdir(parents=True, exist_ok=True)
    numbers = train_ours(model, values, run_dir) if side == "ours" else train_peer(model, values, run_dir, threads)
    record = {"side": side, "model": model, "shared": shared, "torch_threads": torch.get_num_threads(), **numbers}
    record["images_per_s"] = images_per_second(record["train_images"], values["epochs"], record["train_seconds"])
    record_path.write_text(json.dumps(record, indent=2))
    return record


def format_table(records: list[dict[str, Any]], epochs: int) -> list[str]:
    lines = [
        "| side | model | params (M) | training (min) | training images/s | s an epoch (its log) "
        "| mAP50 | mAP50-95 | P | R |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in records:
        side = "MineGuard" if r["side"] == "ours" else "Ultralytics"
        lines.append(
            f"| {side} | `{r['model']}` | {r['params'] / 1e6:.2f} | {r['train_seconds'] / 60:.1f} | "
            f"{r['images_per_s']:.1f} | {r['loop_seconds'] / epochs:.1f} | {r['map50']:.3f} | "
            f"{r['map50_95']:.3f} | {r['precision']:.3f} | {r['recall']:.3f} |"
        )
    return lines


def section(records: list[dict[str, Any]], values: dict[str, Any], command: str, config: Path) -> str:
    r0 = records[0]
    lines = [
        HEADING,
        "",
        run_lines(command, load=True),
        f"Data: `{values['data']}`, trained on {r0['train_images']} images, scored on the test split "
        f"({r0['test_images']} images). Both sides: {values['epochs']} epochs, {values['img_size']} px, batch "
        f"{values['batch_size']}, seed {values['seed']}, CPU, `workers=0`, {r0['torch_threads']} torch thread(s), "
        "from scratch. Ours trains with the recipe of "
        f"`{config.relative_to(ROOT) if config.is_relative_to(ROOT) else config}`; the peer with its own defaults "
        "(optimiser `auto`, its augmentations incl. mosaic, its schedule), `amp=False`, `plots=False`.",
        "",
        *format_table(records, values["epochs"]),
        "",
        "Training time is the wall time of the whole training call (building the data set and model, the epochs, "
        "each epoch's validation on the val split; the peer's also re-validates its best.pt at the end); "
        "images/s = training images x epochs / that time. 's an epoch' is each side's own log of its epochs "
        "(training and validation). Every row is scored by our evaluator (`evaluate_detections`, COCO "
        "101-point) on the same test labels; the peer predicts with its own `predict` (conf 0.001, IoU 0.7, "
        "max_det 300, its default `nms=None`: its end-to-end models, too, predict with their one-to-many "
        "branch and NMS). Params: at inference, one of a head's two branches (one-to-many and one-to-one) "
        "counted, on both sides.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=ROOT / "configs" / "helmets_cpu320.yaml")
    parser.add_argument("--ours", default=",".join(OURS), help="our zoo models, comma-separated")
    parser.add_argument("--peer", default=",".join(PEER), help="the peer's model yamls, comma-separated ('' for none)")
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "peer")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--write", action="store_true", help="write the table into --results")
    parser.add_argument("--results", type=Path, default=ROOT / "docs" / "results" / "detector.md")
    args = parser.parse_args()
    ours, peer = [m for m in args.ours.split(",") if m], [m for m in args.peer.split(",") if m]
    if not ours and not peer:
        parser.error("no models: give --ours and/or --peer")
    torch.set_num_threads(args.threads)
    values = yaml.safe_load(args.config.read_text())
    data = Path(values["data"])
    data = data if data.is_absolute() else (ROOT / data)
    if not data.is_file():
        raise SystemExit(
            f"{data}: no data.yaml — build the set first ('mineguard data merge-helmets --out data_cache/helmets' "
            "for the helmet set, 'mineguard data hazards' for the hazard set)"
        )
    values["data"] = str(data.resolve())
    out = args.out.resolve()
    records = [run_model("ours", m, values, out, args.threads) for m in ours]
    records += [run_model("peer", m, values, out, args.threads) for m in peer]
    text = section(records, values, "python " + shlex.join(["benchmarks/peer_training.py", *sys.argv[1:]]), args.config)
    print(text)
    if args.write:
        write_section(args.results, text)
        print(f"wrote {args.results}")


if __name__ == "__main__":
    main()
