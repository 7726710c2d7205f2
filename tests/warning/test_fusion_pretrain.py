"""Per-modality pre-training: each encoder learns alone, lands in the fused model, then the whole model trains."""

from __future__ import annotations

import math

import pytest
import torch

from mineguard.engine.loop import seed_everything
from mineguard.warning.fusion import ENCODERS, CrossModalFusion, FusionConfig
from mineguard.warning.fusion_pretrain import pretrain_encoders, train_pretrained
from mineguard.warning.fusion_train import Normaliser, TrainConfig, embed_texts, make_inputs

from .test_fusion import BagOfLetters, D, S, T, V, toy_set


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def inputs():
    train, val, _ = toy_set(12).split_by_episode((0.6, 0.4, 0.0), seed=0)
    norm = Normaliser.fit(train)
    return [make_inputs(d, embed_texts(d.texts, BagOfLetters()), norm) for d in (train, val)], norm


CFG = FusionConfig(n_channels=S, n_vision=V, text_dim=D, window_steps=T, d_model=16, n_heads=2, vision_pool=2)


def test_one_pretraining_epoch_moves_every_encoder_and_nothing_else(inputs):
    (train, val), norm = inputs
    tc = TrainConfig(epochs=1, batch_size=32, seed=0)
    fused, records = pretrain_encoders(train, val, CFG, tc, epochs=1, normaliser=norm, text_embedder="letters")
    assert [r.modality for r in records] == ["sensors", "vision", "text"]
    assert all(r.best_epoch == 1 and r.windows > 0 and not math.isnan(r.val_hazard_macro_f1) for r in records)
    assert records[2].windows == int(train.present[:, 2].sum())  # text alone learns from the windows with text
    seed_everything(0)
    fresh = CrossModalFusion(CFG).state_dict()
    trained = fused.state_dict()
    for modality, prefixes in ENCODERS.items():
        moved = [k for k in trained if k.startswith(prefixes)]
        assert moved and any(not torch.equal(trained[k], fresh[k]) for k in moved), modality
    assert torch.equal(trained["hazard_head.1.weight"], fresh["hazard_head.1.weight"])  # heads start fresh


def test_train_pretrained_then_trains_the_fused_model(inputs):
    (train, val), norm = inputs
    rows = []
    run, records = train_pretrained(
        train,
        val,
        CFG,
        TrainConfig(epochs=1, batch_size=32, seed=0),
        pretrain_epochs=1,
        normaliser=norm,
        text_embedder="letters",
        on_pretrain_epoch=lambda m, row: rows.append(m),
    )
    assert rows == ["sensors", "vision", "text"] and len(records) == 3
    assert len(run.history) == 1 and run.best_epoch == 1 and run.seconds > 0
    with pytest.raises(ValueError, match="epochs >= 1"):
        pretrain_encoders(train, val, CFG, TrainConfig(), epochs=0, normaliser=norm, text_embedder="letters")
    with pytest.raises(ValueError, match="unknown modality"):
        run.model.load_encoder(run.model, "audio")
