"""Features over the previous shifts (issue #18): known answers, no look-ahead, and the real file's order."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mineguard.warning.seismic import load_seismic_bumps
from mineguard.warning.seismic_history import (
    high_energy_bumps,
    rule_levels,
    shift_features,
    trailing_mean,
    trailing_slope,
)
from seismic_shifts import generated_rows, write_csv


def test_trailing_mean_known_answers() -> None:
    x = np.array([1.0, 2.0, 3.0, 4.0])
    assert trailing_mean(x, 2).tolist() == [1.0, 1.5, 2.5, 3.5]
    assert trailing_mean(x, 3).tolist() == [1.0, 1.5, 2.0, 3.0]  # shorter at the start of the series
    assert trailing_mean(x, 1).tolist() == x.tolist()
    assert trailing_mean(x, 99).tolist() == [1.0, 1.5, 2.0, 2.5]
    assert trailing_mean(np.array([]), 3).size == 0


def test_trailing_slope_known_answers() -> None:
    assert trailing_slope(np.array([0.0, 2.0, 4.0, 6.0, 8.0]), 3).tolist() == pytest.approx([0, 2, 2, 2, 2])
    # (0, 1, 4) -> Sxy / Sxx = 4 / 2; (1, 4, 9) -> 8 / 2
    assert trailing_slope(np.array([0.0, 1.0, 4.0, 9.0]), 3).tolist() == pytest.approx([0, 1, 2, 4])
    assert trailing_slope(np.array([5.0]), 4).tolist() == [0.0]  # no trend from one shift


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: trailing_mean(np.zeros((2, 2)), 2), "1-D"),
        (lambda: trailing_mean(np.zeros(3), 0), "window must be >= 1"),
        (lambda: trailing_slope(np.zeros(3), 1), "window >= 2"),
        (lambda: trailing_slope(np.zeros((3, 1)), 2), "1-D"),
    ],
)
def test_bad_windows_and_shapes(call, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


@pytest.fixture(scope="module")
def shifts(tmp_path_factory: pytest.TempPathFactory):
    rows = generated_rows(60, seed=1)
    for i, row in enumerate(rows):
        row["nbumps4"], row["nbumps5"] = int(i % 7 == 0), 0
        row["seismoacoustic"], row["ghazard"], row["shift"] = "abcd"[i % 4], "abcd"[(i + 1) % 4], "WN"[i % 2]
    return load_seismic_bumps(write_csv(tmp_path_factory.mktemp("history") / "s.csv", rows))


def test_high_energy_bumps_and_rule_levels(shifts) -> None:
    assert np.flatnonzero(high_energy_bumps(shifts)).tolist() == list(range(0, 60, 7))
    levels, names = rule_levels(shifts)
    assert names == ["seismic", "seismoacoustic", "ghazard", "shift=W"]
    assert levels[:4, 1].tolist() == [0, 1, 2, 3] and levels[:4, 2].tolist() == [1, 2, 3, 0]
    assert levels[:4, 3].tolist() == [1, 0, 1, 0]
    assert set(levels[:, 0]) <= {0.0, 1.0}


def test_shift_features_columns_and_values(shifts) -> None:
    features = shift_features(shifts, parts=("rules", "activity", "history"), windows=(1, 3))
    # 4 rule levels + 2 activity + 6 means (w = 1) + 6 means and 2 slopes (w = 3)
    assert features.values.shape == (60, 20) and len(features.names) == 20
    assert features.names[:6] == ["seismic", "seismoacoustic", "ghazard", "shift=W", "asinh(genergy)", "asinh(gpuls)"]
    bumps = features.values[:, features.names.index("mean3(high_energy_bump)")]
    assert bumps[:9].tolist() == pytest.approx([1, 1 / 2, 1 / 3, 0, 0, 0, 0, 1 / 3, 1 / 3])
    energy = np.log1p(shifts.numeric[:, -2])  # NUMERIC order ends energy, maxenergy
    np.testing.assert_allclose(features.values[:, features.names.index("mean1(log_energy)")], energy)
    assert "slope3(log_gpuls)" in features.names and "slope1(log_gpuls)" not in features.names
    counts = shift_features(shifts, parts=("counts",))
    assert counts.values.shape == (60, 14) and np.isfinite(counts.values).all()
    with pytest.raises(ValueError, match="parts must be"):
        shift_features(shifts, parts=("rules", "future"))
    with pytest.raises(ValueError, match="parts must be"):
        shift_features(shifts, parts=())


def test_no_feature_reads_a_later_shift(shifts) -> None:
    """The features of the first k shifts are the same whether or not the later shifts exist."""
    whole = shift_features(shifts, parts=("rules", "activity", "counts", "history"), windows=(3, 9, 27)).values
    for k in (1, 5, 30):
        head = shift_features(
            shifts.take(slice(0, k)), parts=("rules", "activity", "counts", "history"), windows=(3, 9, 27)
        )
        np.testing.assert_allclose(head.values, whole[:k])


def test_real_file_is_consecutive_shifts(shared_data: Path) -> None:
    """On the real dev file a shift's high-energy bumps are exactly the previous row's label (next-shift bump)."""
    shifts = load_seismic_bumps(shared_data / "sensors" / "seismic_bumps" / "seismic-bumps-dev.csv")
    np.testing.assert_array_equal(high_energy_bumps(shifts)[1:], shifts.labels[:-1].astype(bool))
    features = shift_features(shifts, parts=("rules", "activity", "history"), windows=(3, 27))
    assert features.values.shape == (2062, 22) and np.isfinite(features.values).all()
