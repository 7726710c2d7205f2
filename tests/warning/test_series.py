"""Sensor series: CSV errors, the regular clock and its masks, gap report, windows that never cross a
gap, and a time split with no leakage (on hand-made irregular series and, when present, the real data)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mineguard.warning.series import DIGIT_FIELDS, SensorSeries, SeriesError, load_sensor_csv, report_gaps, resample
from mineguard.warning.series_windows import latest_window, make_windows, split_by_time

T0 = 1_660_000_020.0  # a multiple of 30 s


def irregular() -> SensorSeries:
    """Readings at steps 0..9 (step 4 missed: a 60 s silence), a 10-minute gap, then steps 30..44,
    with a jittered time (+3 s) and a duplicate cell (two readings in step 35)."""
    steps = [*range(0, 4), *range(5, 10), *range(30, 45)]
    t = [T0 + 30.0 * s for s in steps]
    t[steps.index(32)] += 3.0
    t.append(T0 + 30.0 * 35 + 10.0)
    values = np.array([[float(s), 100.0 + s] for s in steps] + [[37.0, 137.0]])  # the extra one averages with 35
    return SensorSeries.from_unsorted(np.array(t), values, ("a", "b"))


def write_csv(path: Path, rows: list[str]) -> Path:
    path.write_text("created_at,entry_id,field1,field2\n" + "\n".join(rows) + "\n")
    return path


def test_loads_the_columns_and_sorts_rows(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "s.csv", ["2022-08-02T09:10:24+00:00,2,1.5,", "2022-08-02T09:09:54+00:00,1,1.0,7"])
    series = load_sensor_csv(path, columns={"field1": "co", "field2": "no2"})
    assert series.names == ("co", "no2") and series.n_reordered == 2
    assert series.t_s[1] - series.t_s[0] == 30.0
    np.testing.assert_array_equal(series.values[:, 0], [1.0, 1.5])
    assert series.values[0, 1] == 7.0 and np.isnan(series.values[1, 1])  # an empty field is a missing reading


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("yesterday,1,1.0,2.0", r"s\.csv:2: created_at 'yesterday' is not an ISO 8601 time"),
        ("2022-08-02T09:09:54+00:00,1,high,2.0", r"s\.csv:2: field1 = 'high' is not a number"),
        ("2022-08-02T09:09:54+00:00,1,1.0,2.0,9", r"s\.csv:2: more values than header columns"),
    ],
)
def test_bad_rows_name_file_line_and_field(tmp_path: Path, row: str, message: str) -> None:
    with pytest.raises(SeriesError, match=message):
        load_sensor_csv(write_csv(tmp_path / "s.csv", [row]), columns={"field1": "co", "field2": "no2"})


def test_bad_files(tmp_path: Path) -> None:
    with pytest.raises(SeriesError, match="no such file"):
        load_sensor_csv(tmp_path / "absent.csv")
    with pytest.raises(SeriesError, match=r"column\(s\) \['field3'\] missing"):
        load_sensor_csv(write_csv(tmp_path / "s.csv", ["2022-08-02T09:09:54+00:00,1,1,2"]), columns={"field3": "pm2_5"})
    with pytest.raises(SeriesError, match="no data rows"):
        load_sensor_csv(write_csv(tmp_path / "e.csv", []), columns={"field1": "co"})
    assert len(DIGIT_FIELDS) == 7


def test_resample_masks_short_fill_and_long_gap() -> None:
    grid = resample(irregular(), step_s=30.0, max_fill_s=90.0)
    assert grid.t0_s == T0 and grid.values.shape == (45, 2)
    a = grid.values[:, 0]
    assert grid.observed[3, 0] and not grid.observed[4, 0] and grid.filled[4, 0] and a[4] == pytest.approx(4.0)
    assert a[32] == 32.0  # 3 s late, still its own cell
    assert a[35] == pytest.approx(36.0) and grid.values[35, 1] == pytest.approx(136.0)  # two readings averaged
    gap = slice(10, 30)
    assert not grid.valid[gap].any() and np.isnan(a[gap]).all()  # 10 min silence: never interpolated
    assert grid.observed[:, 0].sum() == 25 - 1  # 25 readings, two in one cell


def test_no_fill_when_max_fill_is_one_step() -> None:
    grid = resample(irregular(), step_s=30.0, max_fill_s=30.0)
    assert not grid.filled.any() and np.isnan(grid.values[4, 0])


def test_gap_report() -> None:
    series = irregular()
    report = report_gaps(series, resample(series, step_s=30.0, max_fill_s=90.0))
    assert report.n_gaps == 1 and report.gaps[0] == (T0 + 270.0, T0 + 900.0)
    assert report.longest_s == report.total_gap_s == 630.0
    assert report.n_short_gaps == 1  # the 60 s silence at step 4, filled
    assert report.n_steps == 45 and report.n_observed_steps == 24 and report.n_filled_steps == 1
    assert report.n_missing_values == {"a": 20, "b": 20}
    assert report.n_readings == 25 and report.n_duplicate_times == 0 and report.longest(1) == [report.gaps[0]]


def test_windows_never_cross_a_gap_and_targets_are_observed() -> None:
    grid = resample(irregular(), step_s=30.0, max_fill_s=90.0)
    windows = make_windows(grid, input_steps=3, horizons=(1, 2), targets=["b"])
    origin_steps = np.round((windows.t_origin_s - T0) / 30.0).astype(int)
    # before the gap: origins 2..7 (4 is filled: allowed as input, not as a target, so origins 2 and 3 drop)
    # after it: origins 32..42
    np.testing.assert_array_equal(origin_steps, [4, 5, 6, 7, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42])
    assert windows.x.shape == (15, 3, 2) and windows.y.shape == (15, 2, 1) and windows.target_names == ("b",)
    assert np.isfinite(windows.x).all() and np.isfinite(windows.y).all()
    np.testing.assert_array_equal(windows.x[0, :, 0], [2.0, 3.0, 4.0])
    np.testing.assert_array_equal(windows.y[0, :, 0], [105.0, 106.0])
    np.testing.assert_array_equal(windows.input_t_s[0], T0 + 30.0 * np.array([2, 3, 4]))
    assert windows.t_last_s[0] == T0 + 30.0 * 6
    lenient = make_windows(grid, input_steps=3, horizons=(1, 2), targets=["b"], observed_targets=False)
    assert len(lenient) == len(windows) + 2
    assert len(make_windows(grid, input_steps=50, horizons=(1,), targets=["a"])) == 0


def test_window_arguments_are_checked() -> None:
    grid = resample(irregular())
    with pytest.raises(SeriesError, match="not sensors"):
        make_windows(grid, input_steps=3, horizons=(1,), targets=["co"])
    with pytest.raises(SeriesError, match="horizons >= 1"):
        make_windows(grid, input_steps=3, horizons=(0,), targets=["a"])


def test_latest_window_for_live_forecasts() -> None:
    grid = resample(irregular(), step_s=30.0, max_fill_s=90.0)
    live = latest_window(grid, input_steps=4, horizons=(1, 2), targets=["a"])
    assert live is not None and len(live) == 1 and live.t_origin_s[0] == T0 + 30.0 * 44
    np.testing.assert_array_equal(live.x[0, :, 0], [41.0, 42.0, 43.0, 44.0])
    assert np.isnan(live.y).all() and live.y.shape == (1, 2, 1)
    assert latest_window(grid, input_steps=20, horizons=(1,), targets=["a"]) is None  # reaches back into the gap
    with pytest.raises(SeriesError, match="unknown"):
        latest_window(grid, input_steps=4, horizons=(1,), targets=["co"])


def steady(n: int = 400) -> SensorSeries:
    """n readings every 30 s with 2 s jitter and two long gaps."""
    rng = np.random.default_rng(0)
    t = T0 + 30.0 * np.arange(n) + rng.uniform(-2, 2, n)
    t[150:] += 3600.0
    t[300:] += 7200.0
    return SensorSeries(t, np.column_stack([np.sin(np.arange(n) / 7.0), rng.normal(size=n)]), ("a", "b"))


def test_time_split_has_no_leakage() -> None:
    windows = make_windows(resample(steady()), input_steps=12, horizons=(2, 6), targets=["a"])
    split = split_by_time(windows, fractions=(0.7, 0.1, 0.2))
    train, val, test = split.train, split.val, split.test
    assert len(train) and len(val) and len(test)
    # no test (or val) timestamp precedes a training one, inputs and targets alike
    assert test.t_first_s.min() > train.t_last_s.max() and val.t_first_s.min() > train.t_last_s.max()
    assert test.t_first_s.min() > val.t_last_s.max()
    # no window straddles a boundary
    assert (train.t_last_s < split.val_start_s).all()
    assert ((val.t_first_s >= split.val_start_s) & (val.t_last_s < split.test_start_s)).all()
    assert (test.t_first_s >= split.test_start_s).all()
    assert len(train) + len(val) + len(test) + split.n_dropped == len(windows) and split.n_dropped > 0
    assert len(train) / len(windows) == pytest.approx(0.7, abs=0.08)


def test_split_at_given_boundaries_and_errors() -> None:
    windows = make_windows(resample(steady()), input_steps=12, horizons=(2,), targets=["a"])
    mid = float(np.median(windows.t_origin_s))
    split = split_by_time(windows, boundaries=(mid, mid))
    assert len(split.val) == 0 and (split.train.t_last_s < mid).all() and (split.test.t_first_s >= mid).all()
    with pytest.raises(SeriesError, match="sum"):
        split_by_time(windows, fractions=(0.5, 0.1, 0.1))
    with pytest.raises(SeriesError, match="no windows"):
        split_by_time(windows.select(np.zeros(len(windows), dtype=bool)))


def test_thin_keeps_time_order() -> None:
    windows = make_windows(resample(steady()), input_steps=12, horizons=(2,), targets=["a"])
    thinned = windows.thin(10)
    assert len(thinned) == 10 and (np.diff(thinned.t_origin_s) > 0).all()
    assert thinned.t_origin_s[0] == windows.t_origin_s[0] and thinned.t_origin_s[-1] == windows.t_origin_s[-1]


def test_real_digit_air_quality(shared_data: Path) -> None:
    series = load_sensor_csv(shared_data / "sensors/digit_air_quality/D-4-It-aug-sep.csv")
    assert series.values.shape == (34416, 7) and series.names == tuple(DIGIT_FIELDS.values())
    grid = resample(series)
    report = report_gaps(series, grid)
    assert report.median_interval_s == 30.0 and report.longest_s > 20 * 86400  # the August hole
    assert report.n_observed_steps > 30000 and report.n_gaps > 10
    windows = make_windows(grid, input_steps=20, horizons=(2, 10), targets=["co", "no2"], stride=5)
    assert np.isfinite(windows.x).all() and np.isfinite(windows.y).all()
    split = split_by_time(windows)
    assert split.test.t_first_s.min() > split.train.t_last_s.max()
