"""``mineguard warn train multimodal``: the early-warning model of the multimodal set, LightGBM by default.

``--model window-gbm`` (the default) trains ``warning.window_gbm.WindowGBM`` — LightGBM on window
summaries, the best model on the simulated episodes (``docs/results/warning_multimodal.md``) — and
saves one JSON file (``--save``: LightGBM's text models and our metadata, the fitted text embedder
and the alarm threshold; no pickle). ``--model fusion`` trains the cross-attention fusion model of
seed 003 §3.2 instead (as ``warn train fusion``; ``--pretrain-epochs N`` pre-trains each modality's
encoder alone first) and saves a ``.pt`` checkpoint. Episodes, text and the threshold are as in
``warn_fusion``: generator seeds ``seed`` (train) and ``seed + 1000`` (validation: early stopping and
the alarm threshold, the lowest within the threshold rule's false alarms/day). ``mineguard warn eval
FILE`` scores either on fresh episodes.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from mineguard.cli import warn_fusion

MODELS = ("window-gbm", "fusion")
DEFAULT_SAVE = {"window-gbm": Path("runs/warn/window_gbm.json"), "fusion": Path("runs/warn/fusion.pt")}


def add_train_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "multimodal", help="the multimodal early-warning model: LightGBM on window summaries (default) or fusion"
    )
    p.add_argument("--model", choices=MODELS, default="window-gbm")
    p.add_argument("--save", type=Path, help="where to write it (default runs/warn/window_gbm.json or fusion.pt)")
    warn_fusion.add_text_data_argument(p)
    p.add_argument("--episodes", type=int, default=300, help="training episodes (30 min each)")
    p.add_argument("--val-episodes", type=int, default=100)
    p.add_argument("--text", default="tfidf", help="text embedder: tfidf or minilm")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int)
    f = p.add_argument_group("fusion only")
    f.add_argument("--modalities", default="sensors,vision,text")
    f.add_argument("--modality-dropout", type=float, default=0.3)
    f.add_argument("--epochs", type=int, default=15)
    f.add_argument("--pretrain-epochs", type=int, default=0, help="per-modality pre-training epochs first")
    f.add_argument("--batch-size", type=int, default=128)
    f.add_argument("--d-model", type=int, default=64)
    p.set_defaults(func=cmd_train)


def cmd_train(args: argparse.Namespace) -> int:
    save = args.save or DEFAULT_SAVE[args.model]
    if args.model == "fusion":
        args.out = save
        return warn_fusion.cmd_train(args)
    return train_window_gbm(args, save)


def train_window_gbm(args: argparse.Namespace, save: Path) -> int:
    from mineguard.warning.fusion_eval import choose_threshold
    from mineguard.warning.fusion_train import Predictions, embed_texts, evaluate
    from mineguard.warning.text_embedders import get_text_embedder
    from mineguard.warning.window_gbm import WindowGBM

    narratives = warn_fusion.narratives(args.text_data)
    train_sim = warn_fusion.episodes(args.episodes, args.seed, narratives)
    val_sim = warn_fusion.episodes(args.val_episodes, args.seed + 1000, narratives)
    train, val = train_sim.data, val_sim.data
    embedder = get_text_embedder(args.text).fit([t for t in train.texts if t])
    vectors = [embed_texts(d.texts, embedder) for d in (train, val)]
    print(
        f"training LightGBM on {len(train):,} windows of {args.episodes} simulated episodes "
        f"(early stopping on {len(val):,} windows of {args.val_episodes})"
    )
    model = WindowGBM(seed=args.seed, num_threads=args.threads or 1)
    model.fit(train, vectors[0], val=val, val_vectors=vectors[1])
    hazard, risk = model.predict_proba(val, vectors[1])
    threshold, budget = choose_threshold(1.0 - hazard[:, 0], val, val_sim.rule_alarms_s)
    scores = evaluate(Predictions(hazard, risk), warn_fusion.labels(val))
    model.embedder = embedder
    model.metrics = {
        "val": scores,
        "alarm_threshold": threshold,
        "rule_fa_per_day_val": budget,
        "seed": args.seed,
        "episodes": args.episodes,
        "val_episodes": args.val_episodes,
    }
    path = model.save(save)
    rounds = model.best_iterations_
    print(
        f"boosting rounds: hazard {rounds['hazard']}, risk {rounds['risk']}; val hazard macro-F1 "
        f"{scores['hazard_macro_f1']:.3f}, risk macro-F1 {scores['risk_macro_f1']:.3f}\n"
        f"alarm threshold {threshold:.3f} (the rule's {budget:.1f} false alarms/day on validation); saved {path}\n"
        f"evaluate it on fresh episodes: mineguard warn eval {path}"
    )
    return 0
