"""Seismic-bumps hazard-state prediction: loading, time split, encoding, rule baseline, models (issue #6)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from mineguard.data.errors import DatasetError
from mineguard.evaluation.alarms import alarm_report, recall_at_false_alarm_rate, roc_auc
from mineguard.warning.seismic import (
    COLUMNS,
    NUMERIC,
    SeismicEncoder,
    hazard_level,
    load_seismic_bumps,
    rule_alarm,
    shift_split,
    time_folds,
)
from mineguard.warning.seismic_models import get_hazard_model, list_hazard_models, out_of_fold_scores
from seismic_shifts import generated_rows, write_csv

FAST = {
    "logistic": {},
    "boosting": {"max_iter": 40},
    "mlp": {"epochs": 25, "patience": 10},
    "calibrated": {"base": "logistic", "base_kwargs": {"standardise": True}},
}


@pytest.fixture(scope="module")
def generated_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_csv(tmp_path_factory.mktemp("seismic") / "shifts.csv", generated_rows(800))


def test_load_generated(generated_csv: Path) -> None:
    shifts = load_seismic_bumps(generated_csv)
    assert len(shifts) == 800 and shifts.numeric.shape == (800, len(NUMERIC))
    assert set(shifts.categorical["shift"]) <= {"W", "N"} and set(np.unique(shifts.labels)) == {0, 1}
    part = shifts.take(slice(10, 20))
    assert len(part) == 10 and part.categorical["ghazard"].tolist() == shifts.categorical["ghazard"][10:20].tolist()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("ghazard", "e", r"shifts\.csv:3: field 'ghazard' = 'e' — expected one of a, b, c, d"),
        ("shift", "X", r":3: field 'shift' = 'X'"),
        ("genergy", "lots", r":3: field 'genergy' = 'lots' is not a number"),
        ("gpuls", "nan", r":3: field 'gpuls' = 'nan' is not a finite number"),
        ("energy", "-5", r":3: field 'energy' = -5 is negative"),
        ("class", "2", r":3: field 'class' = '2' — expected 0 or 1"),
    ],
)
def test_bad_field_names_file_line_and_field(tmp_path: Path, field: str, value: str, message: str) -> None:
    rows = generated_rows(3)
    rows[1][field] = value  # data row 2 is line 3 of the file
    with pytest.raises(DatasetError, match=message):
        load_seismic_bumps(write_csv(tmp_path / "shifts.csv", rows))


def test_negative_deviation_is_fine(tmp_path: Path) -> None:
    rows = generated_rows(3)
    rows[0]["gdenergy"] = -96
    assert load_seismic_bumps(write_csv(tmp_path / "shifts.csv", rows)).numeric[0, NUMERIC.index("gdenergy")] == -96


def test_bad_files(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="file not found"):
        load_seismic_bumps(tmp_path / "absent.csv")
    no_label = write_csv(tmp_path / "a.csv", generated_rows(2), columns=COLUMNS[:-1])
    with pytest.raises(DatasetError, match=r"a\.csv:1: header lacks 'class'"):
        load_seismic_bumps(no_label)
    header_only = write_csv(tmp_path / "b.csv", [])
    with pytest.raises(DatasetError, match="no data rows"):
        load_seismic_bumps(header_only)
    short = tmp_path / "c.csv"
    short.write_text(",".join(COLUMNS) + "\na,a,N,1\n")
    with pytest.raises(DatasetError, match=r"c\.csv:2: 4 fields but the header has 19"):
        load_seismic_bumps(short)


@pytest.mark.parametrize(("n", "test_frac", "val_frac"), [(2062, 0.25, 0.2), (100, 0.3, 0.0), (7, 0.25, 0.25)])
def test_time_split_never_puts_a_test_shift_before_a_training_one(n: int, test_frac: float, val_frac: float) -> None:
    split = shift_split(n, test_frac=test_frac, val_frac=val_frac)
    index = np.arange(n)
    train, val, test = index[split.train], index[split.val], index[split.test]
    assert train.max() < test.min()
    if val.size:
        assert train.max() < val.min() and val.max() < test.min()
    assert np.array_equal(np.concatenate([train, val, test]), index)  # every shift once, in file order
    assert test.size == max(1, round(n * test_frac))


def test_time_split_bad_fractions() -> None:
    with pytest.raises(ValueError, match="test_frac"):
        shift_split(100, test_frac=0.6, val_frac=0.5)
    with pytest.raises(ValueError, match="too few"):
        shift_split(2, test_frac=0.5, val_frac=0.4)


def test_scaling_uses_training_statistics_only(generated_csv: Path) -> None:
    shifts = load_seismic_bumps(generated_csv)
    split = shift_split(len(shifts))
    train, test = shifts.take(split.train), shifts.take(split.test)
    encoder = SeismicEncoder(compress=False).fit(train)
    mean, scale = encoder.mean_.copy(), encoder.scale_.copy()
    n_cat = len(encoder.feature_names) - len(NUMERIC)
    x_train = encoder.transform(train)[:, n_cat:]
    active = train.numeric.std(axis=0) > 0
    np.testing.assert_allclose(x_train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(x_train.std(axis=0)[active], 1, atol=1e-4)
    x_test = encoder.transform(test)[:, n_cat:]
    np.testing.assert_allclose(x_test, (test.numeric - mean) / scale, rtol=1e-5, atol=1e-5)  # train stats
    np.testing.assert_array_equal(encoder.mean_, mean)  # transforming the test changed nothing
    assert not np.allclose(x_test.mean(axis=0)[active], 0, atol=1e-3)  # so the test is not re-centred
    assert np.all(encoder.scale_[~active] == 1.0)  # a column constant in training keeps scale 1


def test_known_answer_scaling(tmp_path: Path) -> None:
    rows = generated_rows(3)
    for row, energy in zip(rows, (0, 2, 5), strict=True):
        row["genergy"] = energy
    shifts = load_seismic_bumps(write_csv(tmp_path / "s.csv", rows))
    encoder = SeismicEncoder(compress=False).fit(shifts.take(slice(0, 2)))  # genergy 0, 2: mean 1, sd 1
    column = len(encoder.feature_names) - len(NUMERIC) + NUMERIC.index("genergy")
    assert encoder.transform(shifts)[:, column].tolist() == [-1.0, 1.0, 4.0]


def test_categorical_encoding(tmp_path: Path) -> None:
    rows = generated_rows(4)
    for row, level, shift in zip(rows, "abcd", "WNWN", strict=True):
        row["ghazard"], row["shift"] = level, shift
    shifts = load_seismic_bumps(write_csv(tmp_path / "s.csv", rows))
    onehot = SeismicEncoder().fit(shifts)
    names = onehot.feature_names
    x = onehot.transform(shifts)
    assert x.shape == (4, len(names)) and x.dtype == np.float32
    ghazard = x[:, [names.index(f"ghazard={lv}") for lv in "abcd"]]
    np.testing.assert_array_equal(ghazard, np.eye(4))
    assert x[:, names.index("shift=W")].tolist() == [1, 0, 1, 0]
    ordinal = SeismicEncoder(categorical="ordinal").fit(shifts)
    assert ordinal.transform(shifts)[:, ordinal.feature_names.index("ghazard")].tolist() == pytest.approx(
        [0, 1 / 3, 2 / 3, 1]
    )
    with pytest.raises(RuntimeError, match="not fitted"):
        SeismicEncoder().transform(shifts)
    with pytest.raises(ValueError, match="onehot"):
        SeismicEncoder(categorical="binary")  # type: ignore[arg-type]


def test_rule_baseline_mapping(tmp_path: Path) -> None:
    rows = generated_rows(4)
    for row, level in zip(rows, "abcd", strict=True):
        row["ghazard"] = row["seismic"] = level
    shifts = load_seismic_bumps(write_csv(tmp_path / "s.csv", rows))
    assert hazard_level(shifts).tolist() == [0, 1, 2, 3]
    assert rule_alarm(shifts).tolist() == [False, True, True, True]  # ghazard >= b (low hazard and up)
    assert rule_alarm(shifts, at_least="c").tolist() == [False, False, True, True]
    assert rule_alarm(shifts, at_least="d", column="seismic").tolist() == [False, False, False, True]
    with pytest.raises(ValueError, match="at_least"):
        rule_alarm(shifts, at_least="e")
    with pytest.raises(ValueError, match="column"):
        hazard_level(shifts, column="shift")


@pytest.mark.parametrize("name", ["boosting", "logistic"])
def test_sklearn_models_weigh_both_classes_the_same(name: str) -> None:
    """No feature to split on, 3 negatives per positive: balanced classes put every score at 0.5, not 0.25."""
    y = np.array([0, 0, 0, 1] * 10)
    model = get_hazard_model(name, **({"max_iter": 5} if name == "boosting" else {})).fit(np.zeros((40, 2)), y)
    np.testing.assert_allclose(model.predict_score(np.zeros((3, 2))), 0.5, atol=1e-6)


@pytest.mark.parametrize(("class_weight", "score"), [(None, 0.25), (3.0, 0.5), ("balanced", 0.5), (9.0, 0.75)])
def test_cost_of_a_missed_bump(class_weight: object, score: float) -> None:
    """1 positive per 3 negatives and nothing to split on: a missed bump costing w false alarms gives w / (w + 3)."""
    y = np.array([0, 0, 0, 1] * 10)
    for name in ("logistic", "boosting"):
        kwargs = {"max_iter": 5} if name == "boosting" else {}
        model = get_hazard_model(name, class_weight=class_weight, **kwargs).fit(np.zeros((40, 2)), y)
        np.testing.assert_allclose(model.predict_score(np.zeros((2, 2))), score, atol=1e-4)
    with pytest.raises(ValueError, match="positive cost"):
        get_hazard_model("logistic", class_weight=-1.0)
    with pytest.raises(ValueError, match="positive cost"):
        get_hazard_model("boosting", class_weight="heavy")


def test_standardised_logistic_ignores_feature_units(encoded: tuple[np.ndarray, ...]) -> None:
    X_tr, y_tr, _, _, X_te, _ = encoded
    kwargs = {"C": 0.1, "standardise": True}
    joules = get_hazard_model("logistic", **kwargs).fit(X_tr, y_tr).predict_score(X_te)
    kilojoules = get_hazard_model("logistic", **kwargs).fit(X_tr * 1000, y_tr).predict_score(X_te * 1000)
    np.testing.assert_allclose(joules, kilojoules, atol=1e-5)


def test_time_folds_known_answer() -> None:
    assert time_folds(20, first_val=0.5, n_folds=2) == [(slice(0, 10), slice(10, 15)), (slice(0, 15), slice(15, 20))]
    folds = time_folds(1546)
    assert folds[0][1].start == 696 and folds[-1][1].stop == 1546
    for fit, validate in folds:
        assert fit.stop == validate.start  # every validation shift comes after every fitted one
    with pytest.raises(ValueError, match="first_val"):
        time_folds(100, first_val=1.0)
    with pytest.raises(ValueError, match="too few"):
        time_folds(3, first_val=0.5, n_folds=4)


def test_out_of_fold_scores_cover_the_validation_blocks(encoded: tuple[np.ndarray, ...]) -> None:
    X, y = encoded[0], encoded[1]
    folds = time_folds(len(y), n_folds=3)
    scores, labels = out_of_fold_scores(lambda: get_hazard_model("logistic"), X, y, folds)
    assert scores.shape == labels.shape == (len(y) - folds[0][1].start,)
    np.testing.assert_array_equal(labels, y[folds[0][1].start :])
    last = get_hazard_model("logistic").fit(X[folds[-1][0]], y[folds[-1][0]]).predict_score(X[folds[-1][1]])
    np.testing.assert_allclose(scores[-last.size :], last)


def test_calibration_keeps_the_ranking_and_finds_the_rate(encoded: tuple[np.ndarray, ...]) -> None:
    """Balanced weights put the mean score near 0.5; Platt scaling on later shifts brings it to the bump rate."""
    X_tr, y_tr, _, _, X_te, y_te = encoded
    base = get_hazard_model("logistic").fit(X_tr, y_tr)
    calibrated = get_hazard_model("calibrated", base="logistic").fit(X_tr, y_tr)
    raw, p = base.predict_score(X_te), calibrated.predict_score(X_te)
    assert roc_auc(p, y_te) == pytest.approx(roc_auc(raw, y_te))
    assert abs(p.mean() - y_tr.mean()) < 0.05 < abs(raw.mean() - y_tr.mean())
    assert calibrated.slope > 0 and calibrated.name == "calibrated-logistic"
    with pytest.raises(ValueError, match="uncalibrated"):
        get_hazard_model("calibrated", base="calibrated")
    with pytest.raises(RuntimeError, match="not fitted"):
        get_hazard_model("calibrated").predict_score(X_te)


def test_registry() -> None:
    assert list_hazard_models() == ["boosting", "calibrated", "logistic", "mlp"]
    with pytest.raises(ValueError, match="unknown hazard model 'svm'"):
        get_hazard_model("svm")
    with pytest.raises(ValueError, match="loss"):
        get_hazard_model("mlp", loss="hinge")


@pytest.fixture(scope="module")
def encoded(generated_csv: Path) -> tuple[np.ndarray, ...]:
    shifts = load_seismic_bumps(generated_csv)
    split = shift_split(len(shifts))
    parts = [shifts.take(s) for s in (split.train, split.val, split.test)]
    encoder = SeismicEncoder().fit(parts[0])
    return tuple(v for p in parts for v in (encoder.transform(p), p.labels))


@pytest.mark.parametrize("name", list_hazard_models())
def test_every_model_learns_the_generated_hazard(name: str, encoded: tuple[np.ndarray, ...]) -> None:
    """End to end on generated shifts: fit on train (+ val), score the later test shifts."""
    X_tr, y_tr, X_va, y_va, X_te, y_te = encoded
    model = get_hazard_model(name, seed=0, **FAST[name]).fit(X_tr, y_tr, X_val=X_va, y_val=y_va)
    scores = model.predict_score(X_te)
    assert scores.shape == y_te.shape and np.isfinite(scores).all() and ((scores >= 0) & (scores <= 1)).all()
    assert roc_auc(scores, y_te) > 0.7
    point = recall_at_false_alarm_rate(scores, y_te, rates=(0.2,))[0.2]
    assert point.false_alarm_rate <= 0.2 and point.recall > 0.3
    report = alarm_report(scores >= point.threshold, y_te.astype(bool), baseline=np.zeros_like(y_te, dtype=bool))
    assert report.detected == round(point.recall * y_te.sum())


@pytest.mark.parametrize("loss", ["weighted_bce", "focal"])
def test_mlp_is_seeded_and_leaves_the_global_rng_alone(loss: str, encoded: tuple[np.ndarray, ...]) -> None:
    X_tr, y_tr, X_va, y_va, X_te, _ = encoded
    state = torch.get_rng_state()
    first = get_hazard_model("mlp", loss=loss, epochs=15, seed=3).fit(X_tr, y_tr, X_val=X_va, y_val=y_va)
    assert torch.equal(torch.get_rng_state(), state)
    again = get_hazard_model("mlp", loss=loss, epochs=15, seed=3).fit(X_tr, y_tr, X_val=X_va, y_val=y_va)
    np.testing.assert_array_equal(first.predict_score(X_te), again.predict_score(X_te))
    assert 1 <= first.best_epoch <= 15
    assert first.name == f"mlp-{loss}"


def test_models_reject_bad_training_data(encoded: tuple[np.ndarray, ...]) -> None:
    X_tr, y_tr = encoded[:2]
    with pytest.raises(ValueError, match="both classes"):
        get_hazard_model("logistic").fit(X_tr, np.zeros_like(y_tr))
    with pytest.raises(ValueError, match=r"X \(N, F\)"):
        get_hazard_model("boosting").fit(X_tr[:, 0], y_tr)
    with pytest.raises(RuntimeError, match="not fitted"):
        get_hazard_model("mlp").predict_score(X_tr)


def test_real_seismic_bumps(shared_data: Path) -> None:
    """The real dev file: 2,062 shifts, 152 hazardous; the rule and a model score on a time-ordered split."""
    shifts = load_seismic_bumps(shared_data / "sensors" / "seismic_bumps" / "seismic-bumps-dev.csv")
    assert len(shifts) == 2062 and int(shifts.labels.sum()) == 152
    assert set(shifts.categorical["ghazard"]) <= {"a", "b", "c"}
    split = shift_split(len(shifts))
    train, test = shifts.take(split.train), shifts.take(split.test)
    assert test.labels.sum() > 0 and train.labels.sum() > 0
    encoder = SeismicEncoder().fit(train)
    model = get_hazard_model("logistic").fit(encoder.transform(train), train.labels)
    auc = roc_auc(model.predict_score(encoder.transform(test)), test.labels)
    rule_auc = roc_auc(hazard_level(test), test.labels)
    assert 0.0 < auc < 1.0 and 0.0 < rule_auc < 1.0
