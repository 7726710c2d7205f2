"""Cross-modal fusion model: shapes and masks with missing modalities, loss weights, train/save/load."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from mineguard.models.checkpoint import CheckpointError
from mineguard.warning.fusion import CrossModalFusion, FusionConfig, class_weights, modality_dropout
from mineguard.warning.fusion_train import (
    FusionInputs,
    Normaliser,
    Predictions,
    TrainConfig,
    embed_texts,
    evaluate,
    load_fusion,
    make_inputs,
    predict,
    save_fusion,
    train_fusion,
)
from mineguard.warning.multimodal import HAZARDS, RISK_LEVELS, EpisodeInfo, MultimodalSet

T, S, V, D = 8, 3, 2, 5


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def config(**kw) -> FusionConfig:
    return FusionConfig(
        n_channels=S, n_vision=V, text_dim=D, window_steps=T, d_model=16, n_heads=2, vision_pool=2, **kw
    )


def batch(b: int = 4, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    return (
        torch.randn(b, T, S, generator=g),
        torch.ones(b, T, S),
        torch.rand(b, T, V, generator=g),
        torch.randn(b, D, generator=g),
    )


def test_outputs_have_one_logit_per_class_with_any_modalities_missing():
    model = CrossModalFusion(config()).eval()
    present = torch.tensor([[1, 1, 1], [1, 0, 0], [0, 1, 0], [0, 0, 0]], dtype=torch.bool)
    hazard, risk = model(*batch(), present)
    assert hazard.shape == (4, len(HAZARDS)) and risk.shape == (4, len(RISK_LEVELS))
    assert torch.isfinite(hazard).all() and torch.isfinite(risk).all()  # even with nothing present


@pytest.mark.parametrize("absent", [0, 1, 2])
def test_an_absent_modality_has_no_influence_on_the_output(absent):
    model = CrossModalFusion(config()).eval()
    sensors, observed, vision, text = batch()
    present = torch.ones(4, 3, dtype=torch.bool)
    present[:, absent] = False
    other = [t.clone() for t in (sensors, vision, text)]
    other[absent] = other[absent] * 7.0 + 3.0  # whatever the absent stream holds
    with torch.no_grad():
        a = model(sensors, observed, vision, text, present)
        b = model(other[0], observed, other[1], other[2], present)
    assert torch.allclose(a[0], b[0], atol=1e-5) and torch.allclose(a[1], b[1], atol=1e-5)
    with torch.no_grad():  # and a present one does influence it
        present[:, absent] = True
        c = model(sensors, observed, vision, text, present)
        d = model(other[0], observed, other[1], other[2], present)
    assert not torch.allclose(c[0], d[0], atol=1e-4)


def test_an_ablated_model_ignores_the_modalities_it_does_not_use():
    model = CrossModalFusion(config(modalities=("sensors",))).eval()
    sensors, observed, vision, text = batch()
    present = torch.ones(4, 3, dtype=torch.bool)
    with torch.no_grad():
        a = model(sensors, observed, vision, text, present)
        b = model(sensors, observed, vision * 5, text - 2, present)
    assert torch.allclose(a[0], b[0], atol=1e-5)


def test_config_rejects_bad_values():
    with pytest.raises(ValueError, match="subset"):
        config(modalities=("audio",))
    with pytest.raises(ValueError, match="multiple of n_heads"):
        FusionConfig(n_channels=S, n_vision=V, text_dim=D, window_steps=T, d_model=15, n_heads=2, vision_pool=2)
    with pytest.raises(ValueError, match="sensor_patch"):
        FusionConfig(n_channels=S, n_vision=V, text_dim=D, window_steps=T, d_model=16, n_heads=2, sensor_patch=3)
    with pytest.raises(ValueError, match="vision_pool"):
        FusionConfig(n_channels=S, n_vision=V, text_dim=D, window_steps=T, d_model=16, n_heads=2, vision_pool=3)
    with pytest.raises(ValueError, match="windows of 8 steps"):
        CrossModalFusion(config())(
            torch.zeros(1, 4, S),
            torch.ones(1, 4, S),
            torch.zeros(1, 4, V),
            torch.zeros(1, D),
            torch.ones(1, 3, dtype=torch.bool),
        )


def test_modality_dropout_never_removes_every_modality_and_never_adds_one():
    g = torch.Generator().manual_seed(0)
    present = torch.rand(2000, 3, generator=g) < 0.7
    kept = modality_dropout(present, 0.9, g)
    assert not (kept & ~present).any()  # nothing comes back that was not there
    had = present.any(dim=1)
    assert kept[had].any(dim=1).all()  # a sample keeps at least one of its modalities
    assert kept.sum() < present.sum() * 0.5  # and p = 0.9 does drop most
    assert torch.equal(modality_dropout(present, 0.0), present)
    with pytest.raises(ValueError, match="dropout"):
        modality_dropout(present, 1.0)


def test_class_weights_known_answers():
    labels = np.array([0, 0, 0, 1])  # N = 4, K = 2 classes seen (class 2 never)
    np.testing.assert_allclose(class_weights(labels, 3), [4 / 6, 2.0, 0.0], rtol=1e-6)
    np.testing.assert_allclose(class_weights(labels, 3, power=0.5), [np.sqrt(4 / 6), np.sqrt(2.0), 0.0], rtol=1e-6)
    np.testing.assert_allclose(class_weights(np.array([0, 1, 2]), 3), [1, 1, 1])
    np.testing.assert_allclose(class_weights(np.array([0] * 99 + [1]), 2, cap=10.0), [100 / 198, 10.0], rtol=1e-6)
    with pytest.raises(ValueError, match="n_classes"):
        class_weights(np.array([0, 3]), 2)


def _scored(hazard_true, hazard_pred, risk_true, risk_pred) -> dict[str, float]:
    """``evaluate`` of one-hot predictions against labels; the model inputs are not read."""
    n = len(hazard_true)
    inputs = FusionInputs(
        *(torch.zeros(n, 1) for _ in range(5)), torch.as_tensor(hazard_true), torch.as_tensor(risk_true)
    )
    pred = Predictions(np.eye(len(HAZARDS))[hazard_pred], np.eye(len(RISK_LEVELS))[risk_pred])
    return evaluate(pred, inputs)


def test_evaluate_known_answers():
    alarm = len(RISK_LEVELS) - 1
    scores = _scored([0, 0, 1, 1], [0, 1, 1, 1], [0, alarm, alarm, alarm], [0, alarm, 0, alarm])
    assert scores["hazard_accuracy"] == 0.75 and scores["risk_accuracy"] == 0.75
    assert scores["hazard_macro_f1"] == pytest.approx((2 / 3 + 0.8) / 2)  # class 0: P 1 R 1/2; class 1: P 2/3 R 1
    assert scores["risk_macro_f1"] == pytest.approx((2 / 3 + 0.8) / 2)
    assert scores["alarm_recall"] == pytest.approx(2 / 3)
    assert math.isnan(_scored([0], [0], [0], [alarm])["alarm_recall"])  # no alarm rows: nothing to recall
    empty = _scored(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64))
    assert set(empty) == set(scores) and all(math.isnan(v) for v in empty.values())


def toy_set(n_episodes: int = 40, seed: int = 0) -> MultimodalSet:
    """Episodes where a hazard (gas) shows as channel 0 climbing in the second half; others stay flat."""
    rng = np.random.default_rng(seed)
    sensors, vision, texts, present, hazard, risk, episode, t_s, infos = [], [], [], [], [], [], [], [], []
    for e in range(n_episodes):
        gas = e % 2 == 1
        infos.append(EpisodeInfo(e, "gas" if gas else "none", 300.0 if gas else None, 400.0 if gas else None, 600, e))
        for w in range(10):
            x = rng.normal(0, 0.1, (T, S))
            late = gas and w >= 5
            if late:
                x[:, 0] += np.linspace(0, 3, T)
            x[rng.random((T, S)) < 0.05] = np.nan
            sensors.append(x)
            vision.append(rng.poisson(0.5, (T, V)).astype(float))
            texts.append("" if w < 3 else ("gas ignition" if late else "slip on the walkway"))
            present.append([True, w % 4 != 0, w >= 3])
            hazard.append(HAZARDS.index("gas") if late else 0)
            risk.append(3 if late and w >= 7 else 1 if late else 0)
            episode.append(e)
            t_s.append(60.0 * (w + 1))
    return MultimodalSet(
        np.asarray(sensors, np.float32),
        np.asarray(vision, np.float32),
        tuple(texts),
        np.asarray(present),
        np.asarray(hazard),
        np.asarray(risk),
        np.asarray(episode),
        np.asarray(t_s),
        ("ch4", "co", "vib"),
        ("person", "no_helmet"),
        5.0,
        300.0,
        tuple(infos),
    )


class BagOfLetters:
    name = "letters"

    def fit(self, texts):
        return self

    def transform(self, texts):
        out = np.zeros((len(texts), D), np.float32)
        for i, t in enumerate(texts):
            for ch in t:
                out[i, ord(ch) % D] += 1.0
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


def test_normaliser_and_inputs_mark_lost_readings():
    data = toy_set(4)
    norm = Normaliser.fit(data)
    assert norm.center.shape == (S,) and (norm.scale > 0).all()
    inputs = make_inputs(data, embed_texts(data.texts, BagOfLetters()), norm)
    lost = ~np.isfinite(data.sensors)
    assert (inputs.observed.numpy()[lost] == 0).all() and (inputs.sensors.numpy()[lost] == 0).all()
    assert (inputs.text.numpy()[np.array(data.texts) == ""] == 0).all()
    with pytest.raises(ValueError, match="rows"):
        make_inputs(data, np.zeros((3, D)), norm)


def test_a_small_train_and_eval_learns_the_toy_hazard_and_survives_save_load(tmp_path):
    data = toy_set()
    train, val, test = data.split_by_episode((0.6, 0.2, 0.2), seed=0)
    assert not set(train.episode) & set(test.episode) and not set(val.episode) & set(test.episode)
    norm = Normaliser.fit(train)
    emb = BagOfLetters()
    ins = [make_inputs(d, embed_texts(d.texts, emb), norm) for d in (train, val, test)]
    cfg = FusionConfig(n_channels=S, n_vision=V, text_dim=D, window_steps=T, d_model=16, n_heads=2, vision_pool=2)
    run = train_fusion(
        ins[0], ins[1], cfg, TrainConfig(epochs=12, batch_size=32, lr=3e-3), normaliser=norm, text_embedder="letters"
    )
    scores = evaluate(predict(run.model, ins[2]), ins[2])
    assert scores["hazard_accuracy"] > 0.85, scores
    no_sensors = evaluate(predict(run.model, ins[2], drop=("sensors",)), ins[2])
    assert no_sensors["hazard_accuracy"] <= scores["hazard_accuracy"] + 1e-9  # the text hint alone is weaker or equal
    path = save_fusion(run, tmp_path / "fusion.pt", metrics=scores)
    again = load_fusion(path)
    np.testing.assert_allclose(predict(again.model, ins[2]).hazard, predict(run.model, ins[2]).hazard, atol=1e-6)
    assert again.text_embedder == "letters" and again.best_epoch == run.best_epoch
    with pytest.raises(ValueError, match="modalities"):
        predict(run.model, ins[2], drop=("audio",))


def test_load_fusion_rejects_missing_and_foreign_files(tmp_path):
    with pytest.raises(CheckpointError, match="warn train"):
        load_fusion(tmp_path / "none.pt")
    torch.save(
        {"kind": "something else", "config": {}, "state": {}, "center": 0, "scale": 0, "text_embedder": ""},
        tmp_path / "other.pt",
    )
    with pytest.raises(ValueError, match="not a MineGuard fusion model"):
        load_fusion(tmp_path / "other.pt")
