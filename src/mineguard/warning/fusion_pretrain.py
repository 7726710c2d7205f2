"""Per-modality pre-training of the cross-modal fusion model (issue 18: "pre-train per modality").

Each modality's encoder first learns the labels alone: a model with ``modalities=(m,)`` is trained
(``train_fusion``, no modality dropout) on the training windows where ``m`` is present, selected on
the validation windows where it is present; its encoder (``fusion.ENCODERS``) and modality
embedding are copied into one fresh fused model, which ``train_fusion(..., model=...)`` then trains
whole, with modality dropout. The idea: a fused model trained from scratch leans on the easiest
stream and under-trains the others (the "modality competition" of Du et al. 2023, "On uni-modal
feature learning in supervised multi-modal learning", ICML); warm encoders start it from what
each stream can tell on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import torch

from mineguard.engine.loop import seed_everything
from mineguard.warning.fusion import CrossModalFusion, FusionConfig
from mineguard.warning.fusion_train import FusionInputs, FusionRun, Normaliser, TrainConfig, train_fusion
from mineguard.warning.multimodal import MODALITIES


@dataclass(frozen=True)
class PretrainRecord:
    modality: str
    windows: int  # training windows where the modality is present
    best_epoch: int
    val_hazard_macro_f1: float  # the modality alone, on the validation windows that have it
    val_risk_macro_f1: float
    seconds: float


def _rows(inputs: FusionInputs, modality: str) -> FusionInputs:
    return inputs.batch(torch.nonzero(inputs.present[:, MODALITIES.index(modality)]).squeeze(1))


def pretrain_encoders(
    train: FusionInputs,
    val: FusionInputs,
    model_config: FusionConfig,
    config: TrainConfig,
    *,
    epochs: int,
    normaliser: Normaliser,
    text_embedder: str,
    on_epoch: Callable[[str, dict], None] | None = None,
) -> tuple[CrossModalFusion, list[PretrainRecord]]:
    """A fresh fused model whose encoders were each trained ``epochs`` epochs on their modality alone."""
    if epochs < 1:
        raise ValueError(f"pre-training needs epochs >= 1, got {epochs}")
    seed_everything(config.seed)
    fused = CrossModalFusion(model_config)
    solo_config = replace(config, epochs=epochs, modality_dropout=0.0, patience=epochs)
    records = []
    for modality in model_config.modalities:
        mine, mine_val = _rows(train, modality), _rows(val, modality)
        if len(mine) == 0:
            continue  # nothing to learn from: the encoder stays as initialised
        show = (lambda row, m=modality: on_epoch(m, row)) if on_epoch else None
        run = train_fusion(
            mine,
            mine_val if len(mine_val) else val,
            replace(model_config, modalities=(modality,)),
            solo_config,
            normaliser=normaliser,
            text_embedder=text_embedder,
            on_epoch=show,
        )
        fused.load_encoder(run.model, modality)
        best = run.history[run.best_epoch - 1] if run.best_epoch else {}
        records.append(
            PretrainRecord(
                modality,
                len(mine),
                run.best_epoch,
                float(best.get("val_hazard_macro_f1", float("nan"))),
                float(best.get("val_risk_macro_f1", float("nan"))),
                run.seconds,
            )
        )
    return fused, records


def train_pretrained(
    train: FusionInputs,
    val: FusionInputs,
    model_config: FusionConfig,
    config: TrainConfig,
    *,
    pretrain_epochs: int,
    normaliser: Normaliser,
    text_embedder: str,
    on_epoch: Callable[[dict], None] | None = None,
    on_pretrain_epoch: Callable[[str, dict], None] | None = None,
) -> tuple[FusionRun, list[PretrainRecord]]:
    """``pretrain_encoders`` then the whole fused model by ``train_fusion``; ``pretrain_epochs`` 0 skips the first."""
    start = None
    records: list[PretrainRecord] = []
    if pretrain_epochs:
        start, records = pretrain_encoders(
            train,
            val,
            model_config,
            config,
            epochs=pretrain_epochs,
            normaliser=normaliser,
            text_embedder=text_embedder,
            on_epoch=on_pretrain_epoch,
        )
    run = train_fusion(
        train,
        val,
        model_config,
        config,
        normaliser=normaliser,
        text_embedder=text_embedder,
        on_epoch=on_epoch,
        model=start,
    )
    run.seconds += sum(r.seconds for r in records)
    return run, records
