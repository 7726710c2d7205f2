"""``mineguard warn train fusion`` and ``mineguard warn eval``: the cross-modal fusion model (seed 003 §3.2).

Both build SIMULATED episodes with the platform simulator's physics
(``mineguard.sim.episodes``) and REAL MSHA narratives as the text modality (the
folder with ``msha_fatality_reports/`` and ``msha_accidents_sample/``, by default
``$MINEGUARD_SHARED_DATA/text`` or ``../shared/data/text``). ``train`` uses generator seeds
``seed`` (train) and ``seed + 1000`` (validation: model selection and the alarm threshold, chosen
as the lowest whose false alarms/day stay within the threshold rule's); ``eval`` defaults to
``seed + 2000`` so it never sees a training episode.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from mineguard.warning.multimodal import MODALITIES

if TYPE_CHECKING:
    from mineguard.warning.fusion_train import FusionInputs

TEXT_DATA_HELP = (
    "folder with msha_fatality_reports/ and msha_accidents_sample/ "
    "(default: $MINEGUARD_SHARED_DATA/text or ../shared/data/text)"
)


def add_text_data_argument(p: argparse.ArgumentParser, text: str = TEXT_DATA_HELP) -> None:
    """``--text-data``: the folder of MSHA narratives (read with :func:`text_folder`)."""
    p.add_argument("--text-data", type=Path, default=None, help=text)


def text_folder(given: Path | None) -> Path:
    """``given``, else ``$MINEGUARD_SHARED_DATA/text`` (``../shared/data/text``); not a folder: FileNotFoundError."""
    folder = given or Path(os.environ.get("MINEGUARD_SHARED_DATA", "../shared/data")) / "text"
    if not folder.is_dir():
        raise FileNotFoundError(
            f"{folder}: no MSHA text folder — pass --text-data with the folder holding "
            "msha_fatality_reports/ and msha_accidents_sample/"
        )
    return folder


def add_train_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("fusion", help="the cross-modal fusion model on simulated episodes with real MSHA text")
    p.add_argument("--out", type=Path, default=Path("runs/warn/fusion.pt"))
    add_text_data_argument(p)
    p.add_argument("--episodes", type=int, default=300, help="training episodes (30 min each)")
    p.add_argument("--val-episodes", type=int, default=100)
    p.add_argument("--text", default="tfidf", help="text embedder: tfidf or minilm")
    p.add_argument("--modalities", default="sensors,vision,text")
    p.add_argument("--modality-dropout", type=float, default=0.3)
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--pretrain-epochs", type=int, default=0, help="per-modality pre-training epochs first")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--d-model", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int)
    p.set_defaults(func=cmd_train)


def add_eval_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "eval",
        help="a saved multimodal model (window-gbm or fusion) on fresh simulated episodes, against the threshold rule",
    )
    p.add_argument(
        "model", type=Path, help="a .json (window-gbm) or .pt (fusion) file written by `mineguard warn train`"
    )
    add_text_data_argument(p, "as for train")
    p.add_argument("--episodes", type=int, default=100)
    p.add_argument("--seed", type=int, help="generator seed (default: the training seed + 2000)")
    p.add_argument("--json", type=Path, help="also write the results here")
    p.add_argument("--threads", type=int)
    p.set_defaults(func=cmd_eval)


def narratives(text_dir: Path | None) -> dict[str, list[str]]:
    from mineguard.warning.text import narratives_by_hazard

    folder = text_folder(text_dir)
    narratives = narratives_by_hazard(folder)
    empty = [h for h, texts in narratives.items() if not texts]
    if empty:
        raise ValueError(f"{folder}: no narratives for hazard(s) {empty} — the text modality needs some of each")
    return narratives


def episodes(n: int, seed: int, narratives: dict[str, list[str]]):
    from mineguard.sim.episodes import build_multimodal_set_with_rule

    if n < 1:
        raise ValueError(f"need at least one episode, got {n}")
    return build_multimodal_set_with_rule(n, seed=seed, narratives=narratives)


def cmd_train(args: argparse.Namespace) -> int:
    from mineguard.warning.fusion import FusionConfig
    from mineguard.warning.fusion_eval import choose_threshold
    from mineguard.warning.fusion_pretrain import train_pretrained
    from mineguard.warning.fusion_train import (
        Normaliser,
        TrainConfig,
        embed_texts,
        evaluate,
        make_inputs,
        predict,
        save_fusion,
    )
    from mineguard.warning.text_embedders import get_text_embedder

    if args.threads:
        torch.set_num_threads(args.threads)
    modalities = tuple(m.strip() for m in args.modalities.split(",") if m.strip())
    if not modalities or set(modalities) - set(MODALITIES):
        raise ValueError(f"--modalities '{args.modalities}': choose a comma-separated subset of {MODALITIES}")
    if args.epochs < 1:
        raise ValueError(f"--epochs must be >= 1, got {args.epochs}")
    if args.pretrain_epochs < 0:
        raise ValueError(f"--pretrain-epochs must be >= 0, got {args.pretrain_epochs}")
    texts = narratives(args.text_data)
    train_sim, val_sim = (
        episodes(args.episodes, args.seed, texts),
        episodes(args.val_episodes, args.seed + 1000, texts),
    )
    train, val = train_sim.data, val_sim.data
    embedder = get_text_embedder(args.text).fit([t for t in train.texts if t])
    vectors = [embed_texts(d.texts, embedder) for d in (train, val)]
    norm = Normaliser.fit(train)
    inputs = [make_inputs(d, v, norm) for d, v in zip((train, val), vectors, strict=True)]
    config = FusionConfig(
        n_channels=len(train.channels),
        n_vision=len(train.vision_labels),
        text_dim=vectors[0].shape[1],
        window_steps=train.sensors.shape[1],
        d_model=args.d_model,
        modalities=modalities,
    )
    tc = TrainConfig(
        epochs=args.epochs, batch_size=args.batch_size, modality_dropout=args.modality_dropout, seed=args.seed
    )
    print(
        f"training on {len(train):,} windows of {args.episodes} simulated episodes "
        f"(val {len(val):,} windows of {args.val_episodes}); modalities {', '.join(modalities)}"
    )

    def show(row: dict) -> None:
        print(
            f"  epoch {row['epoch']:>3}: loss {row['train_loss']:.3f}, val hazard macro-F1 "
            f"{row['val_hazard_macro_f1']:.3f}, risk macro-F1 {row['val_risk_macro_f1']:.3f}"
        )

    def show_pretrain(modality: str, row: dict) -> None:
        print(f"  pre-training {modality} alone,", end="")
        show(row)

    run, pretrained = train_pretrained(
        inputs[0],
        inputs[1],
        config,
        tc,
        pretrain_epochs=args.pretrain_epochs,
        normaliser=norm,
        text_embedder=args.text,
        on_epoch=show,
        on_pretrain_epoch=show_pretrain,
    )
    pred = predict(run.model, inputs[1])
    threshold, budget = choose_threshold(pred.hazard_score, val, val_sim.rule_alarms_s)
    run.embedder = embedder
    run.metrics = {
        "val": evaluate(pred, inputs[1]),
        "alarm_threshold": threshold,
        "rule_fa_per_day_val": budget,
        "seed": args.seed,
        "episodes": args.episodes,
        "val_episodes": args.val_episodes,
        "pretrain": [asdict(r) for r in pretrained],
    }
    path = save_fusion(run, args.out)
    print(
        f"best epoch {run.best_epoch}; alarm threshold {threshold:.3f} (the rule's {budget:.1f} false alarms/day "
        f"on validation); saved {path}\nevaluate it on fresh episodes: mineguard warn eval {path}"
    )
    return 0


def labels(data) -> FusionInputs:
    """The labels of ``data`` in the shape ``fusion_train.evaluate`` reads (its model inputs are not needed)."""
    from mineguard.warning.fusion_train import FusionInputs

    empty = torch.zeros(0)
    return FusionInputs(empty, empty, empty, empty, empty, torch.as_tensor(data.hazard), torch.as_tensor(data.risk))


def _scorer(path: Path, data) -> tuple[Callable, tuple[str, ...], dict]:
    """(predict(drop) -> (hazard, risk) probabilities, modalities used, saved metrics) of a saved model:
    a ``.json`` window-gbm model or a ``.pt`` fusion checkpoint."""
    from mineguard.warning.fusion_train import embed_texts, load_fusion, make_inputs, predict

    if path.suffix == ".json":
        from mineguard.warning.window_gbm import WindowGBM

        gbm = WindowGBM.load(path)
        if gbm.embedder is None:
            raise ValueError(
                f"{path}: saved without its text embedder — retrain with `mineguard warn train multimodal`"
            )
        vectors = embed_texts(data.texts, gbm.embedder)
        return (lambda drop: gbm.predict_proba(data, vectors, drop=drop)), MODALITIES, gbm.metrics
    run = load_fusion(path)
    if run.embedder is None:
        raise ValueError(f"{path}: saved without its text embedder — retrain with `mineguard warn train fusion`")
    inputs = make_inputs(data, embed_texts(data.texts, run.embedder), run.normaliser)

    def fusion(drop: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        p = predict(run.model, inputs, drop=drop)
        return p.hazard, p.risk

    return fusion, run.model.config.modalities, run.metrics


def _saved_seed(path: Path) -> int:
    """The training seed stored with a saved model (0 when absent)."""
    if path.suffix == ".json":
        from mineguard.warning.window_gbm import WindowGBM

        return int(WindowGBM.load(path).metrics.get("seed", 0))
    from mineguard.warning.fusion_train import load_fusion

    return int(load_fusion(path).metrics.get("seed", 0))


def cmd_eval(args: argparse.Namespace) -> int:
    from mineguard.warning.fusion_eval import compare_with_rule
    from mineguard.warning.fusion_train import Predictions, evaluate

    if args.threads:
        torch.set_num_threads(args.threads)
    seed = args.seed if args.seed is not None else _saved_seed(args.model) + 2000
    sim = episodes(args.episodes, seed, narratives(args.text_data))
    data = sim.data
    score_fn, used, metrics = _scorer(args.model, data)
    results: dict = {
        "model": str(args.model),
        "episodes": args.episodes,
        "seed": seed,
        "windows": len(data),
        "episode_hazards": [e.hazard for e in data.episodes],
    }
    print(f"{args.model}: {args.episodes} fresh simulated episodes (seed {seed}), {len(data):,} windows")
    print(f"{'modalities':<22} {'hazard acc':>10} {'hazard F1':>10} {'risk acc':>9} {'risk F1':>8}")
    full = Predictions(*score_fn(()))
    for drop in [(), *((m,) for m in used)]:
        scores = evaluate(Predictions(*score_fn(drop)) if drop else full, labels(data))
        name = "all used" if not drop else f"without {drop[0]}"
        results[name] = scores
        print(
            f"{name:<22} {scores['hazard_accuracy']:>10.3f} {scores['hazard_macro_f1']:>10.3f} "
            f"{scores['risk_accuracy']:>9.3f} {scores['risk_macro_f1']:>8.3f}"
        )
    threshold = float(metrics.get("alarm_threshold", 0.5))
    comp = compare_with_rule(
        full.hazard_score, data, sim.rule_alarms_s, threshold, float(metrics.get("rule_fa_per_day_val", np.nan))
    )
    m, r, lead = comp.model, comp.rule, comp.lead
    print(f"alarm level over {m.days:.2f} simulated days, {m.n_events} hazard episodes:")
    print(
        f"  threshold rule: {r.detected}/{r.n_events} detected, median {r.median_time_to_detect_s:.0f} s after "
        f"onset, {r.false_alarms_per_day:.1f} false alarms/day"
    )
    print(
        f"  model (p >= {threshold:.3f}): {m.detected}/{m.n_events} detected, median "
        f"{m.median_time_to_detect_s:.0f} s after onset, {m.false_alarms_per_day:.1f} false alarms/day"
    )
    print(
        f"  versus the rule: earlier on {lead.earlier}, later on {lead.later} of {lead.both} both caught "
        f"(median lead {lead.median_gain:.0f} s); only the model {lead.only_model}, "
        f"only rule {lead.only_baseline}"
    )
    results["alarm"] = {
        "threshold": threshold,
        "model_detected": m.detected,
        "rule_detected": r.detected,
        "events": m.n_events,
        "model_fa_per_day": m.false_alarms_per_day,
        "rule_fa_per_day": r.false_alarms_per_day,
        "median_lead_s": lead.median_gain,
        "earlier": lead.earlier,
        "later": lead.later,
    }
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2, default=float))
    return 0
