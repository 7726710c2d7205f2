"""LightGBM on window summaries: learns a separable toy set, honours dropped modalities, one-JSON save/load."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mineguard.warning.multimodal import HAZARDS
from mineguard.warning.window_gbm import WindowGBM

from .test_fusion import BagOfLetters, toy_set


@pytest.fixture(scope="module")
def fitted():
    """Gas episodes climb on channel 0 in their second half; a tiny, perfectly separable set."""
    train, val, test = toy_set(30).split_by_episode((0.6, 0.2, 0.2), seed=0)
    emb = BagOfLetters()
    vec = {id(d): emb.transform(d.texts) for d in (train, val, test)}
    model = WindowGBM(text_components=2, n_estimators=60, min_child_samples=5).fit(
        train, vec[id(train)], val=val, val_vectors=vec[id(val)]
    )
    return model, test, vec[id(test)]


def test_fits_and_predicts_the_separable_toy_hazard(fitted):
    model, test, vec = fitted
    hazard, risk = model.predict_proba(test, vec)
    assert hazard.shape == (len(test), len(HAZARDS)) and risk.shape == (len(test), 4)
    np.testing.assert_allclose(hazard.sum(1), 1.0, atol=1e-6)
    np.testing.assert_array_equal(hazard.argmax(1), test.hazard)  # known answer: every window right
    blind, _ = model.predict_proba(test, vec, drop=("sensors",))
    assert (blind.argmax(1) == test.hazard).mean() < 1.0  # without the climbing channel it cannot tell
    assert set(model.best_iterations_) == {"hazard", "risk"}


def test_without_a_validation_set_it_holds_out_training_episodes():
    train, _, test = toy_set(20).split_by_episode((0.8, 0.0, 0.2), seed=1)
    emb = BagOfLetters()
    model = WindowGBM(text_components=2, n_estimators=40, min_child_samples=5).fit(train, emb.transform(train.texts))
    hazard, _ = model.predict_proba(test, emb.transform(test.texts))
    assert (hazard.argmax(1) == test.hazard).mean() > 0.9


def test_save_load_round_trip_gives_the_same_probabilities(fitted, tmp_path):
    model, test, vec = fitted
    model.metrics = {"alarm_threshold": 0.7}
    path = model.save(tmp_path / "m.json")
    raw = json.loads(path.read_text())
    assert raw["model"] == "window-gbm" and raw["boosters"]["hazard"].startswith("tree")  # LightGBM text, no pickle
    again = WindowGBM.load(path)
    for a, b in zip(model.predict_proba(test, vec), again.predict_proba(test, vec), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-12)
    assert again.metrics == {"alarm_threshold": 0.7} and again.config == model.config


def _corrupt(path, field, value):
    raw = json.loads(path.read_text())
    raw[field] = value
    path.write_text(json.dumps(raw))
    return path


def test_load_rejects_bad_files_with_the_file_and_field_named(fitted, tmp_path):
    model = fitted[0]
    with pytest.raises(ValueError, match="no such window-gbm model file"):
        WindowGBM.load(tmp_path / "missing.json")
    (tmp_path / "junk.json").write_text("\x80not json")
    with pytest.raises(ValueError, match=r"junk\.json: not a saved window-gbm model"):
        WindowGBM.load(tmp_path / "junk.json")
    (tmp_path / "other.json").write_text('{"forecaster": "lightgbm"}')
    with pytest.raises(ValueError, match="this version reads"):
        WindowGBM.load(tmp_path / "other.json")
    good = model.save(tmp_path / "good.json")
    with pytest.raises(ValueError, match="bad field 'boosters'"):
        WindowGBM.load(_corrupt(good, "boosters", {"hazard": "garbage", "risk": "garbage"}))
    good = model.save(tmp_path / "good.json")
    with pytest.raises(ValueError, match=r"bad field 'config'.*unknown keys"):
        WindowGBM.load(_corrupt(good, "config", {"depth": 3}))
    good = model.save(tmp_path / "good.json")
    with pytest.raises(ValueError, match="bad field 'text_pca'"):
        WindowGBM.load(_corrupt(good, "text_pca", {"mean": [0.0], "components": [[1.0, 2.0]]}))


def test_unfitted_and_mismatched_inputs_are_clear_errors(fitted):
    model, test, vec = fitted
    with pytest.raises(RuntimeError, match="not fitted"):
        WindowGBM().predict_proba(test, vec)
    with pytest.raises(RuntimeError, match="not fitted"):
        WindowGBM().save("x.json")
    with pytest.raises(ValueError, match="text_dim"):
        model.predict_proba(test, vec[:, :3])
    with pytest.raises(ValueError, match="modalities"):
        model.predict_proba(test, vec, drop=("audio",))
