"""Figure: forecasting CO, NO2 and PM in a real underground quarry, minutes ahead (issue #6, seed 003 §3.3).

Data: the DIGIT air-quality logger (``../shared/data/sensors/digit_air_quality``), ~30 s readings,
2022-08-02..09-30. Its field mapping is the data README's guess and UNVERIFIED: field3 PM2.5,
field4 PM10, field5 NO2, field6 CO (inputs also use field1 temperature, field2 humidity, field7 "NH4").
Protocol: a 30 s grid (gaps of at most 90 s filled by a line, longer ones never), 30-minute input
windows, horizons of 1, 3 and 5 minutes; windows touching a long gap dropped; split by time into the
earliest 70 % of windowable time (train), the next 10 % (val: early stopping), the last 20 % (test),
windows spanning a boundary dropped. Every model is scored on the test windows by MAE and RMSE per
sensor and horizon, as a ratio to persistence. Writes ``docs/results/warning_forecast.md``.

    .venv/bin/python benchmarks/warning_forecast.py [--threads 1] [--transformer-seconds 300]
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import platform
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import torch
from threadpoolctl import threadpool_limits

from mineguard.evaluation.forecasting import ForecastErrors, IntervalScores, forecast_errors, interval_scores, skill
from mineguard.warning.forecast import Forecaster, get_forecaster, has_intervals
from mineguard.warning.series import GapReport, load_sensor_csv, report_gaps, resample
from mineguard.warning.series_windows import TimeSplit, make_windows
from mineguard.warning.series_windows import split_by_time as split_windows

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("MINEGUARD_SHARED_DATA", ROOT.parent / "shared" / "data"))
CSV = DATA / "sensors/digit_air_quality/D-4-It-aug-sep.csv"
TARGETS = {
    "co": "CO (field6)",
    "no2": "NO2 (field5)",
    "pm2_5": "PM2.5 (field3)",
    "pm10": "PM10 (field4)",
    "temperature": "temp. (field1)",
    "humidity": "humid. (field2)",
    "nh4": "NH4 (field7)",
}
GOAL = 0.90  # issue #18: MAE ratio to persistence at most this in every cell
LEVELS = (0.8, 0.95)
MODELS: dict[str, tuple[str, dict[str, object]]] = {  # row name: (registered forecaster, kwargs)
    "persistence": ("persistence", {}),
    "ewma (alpha fitted per sensor)": ("ewma", {}),
    "trend (LS over 30 min)": ("trend", {}),
    "trend (LS over 5 min)": ("trend", {"steps": 10}),
    "gbm (L1 loss, change features)": ("gbm", {}),
    "gbm (L2 loss, + level features)": ("gbm", {"loss": "squared_error", "levels": True}),
    "transformer": ("transformer", {"d_model": 32, "n_layers": 2, "patch_steps": 10}),
    "lightgbm (L1, rich features)": ("lightgbm", {}),
    "lightgbm (L1, + level features)": ("lightgbm", {"features": {"levels": True}}),
    "lightgbm (L1, scaled target)": ("lightgbm", {"scaled_target": True}),
    "lightgbm (L1, 7 leaves, >= 800 per leaf)": ("lightgbm", {"num_leaves": 7, "min_child_samples": 800}),
}
logger = logging.getLogger("warning_forecast")


def when(t_s: float) -> str:
    return dt.datetime.fromtimestamp(t_s, dt.UTC).strftime("%Y-%m-%d %H:%M")


def machine(threads: int) -> str:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"cpu `{platform.machine()}`, {os.cpu_count()} logical cores, python {platform.python_version()}, "
        f"torch {torch.__version__}, {threads} thread(s) for torch and OpenMP, load average {load}"
    )


def gap_section(report: GapReport) -> list[str]:
    lines = [
        f"- readings: {report.n_readings:,}, {when(report.first_s)} .. {when(report.last_s)} UTC, median interval "
        f"{report.median_interval_s:.0f} s, {report.n_duplicate_times} duplicate and {report.n_reordered} out-of-order "
        "timestamps",
        f"- gaps longer than {report.max_fill_s:.0f} s (left missing, never interpolated): {report.n_gaps}, longest "
        f"{report.longest_s / 86400:.1f} days, total {report.total_gap_s / 3600:.0f} h of "
        f"{(report.last_s - report.first_s) / 3600:.0f} h between the first and last reading",
        f"- short silences (over 45 s, at most {report.max_fill_s:.0f} s), filled by a line and flagged: "
        f"{report.n_short_gaps}",
        f"- 30 s grid: {report.n_steps:,} steps, {report.n_observed_steps:,} observed, {report.n_filled_steps} "
        f"short-filled, {report.n_steps - report.n_observed_steps - report.n_filled_steps:,} missing",
        "",
        "| longest gaps | from (last reading) | to (next reading) | length |",
        "|---|---|---|---|",
    ]
    for i, (start, end) in enumerate(report.longest(5), 1):
        lines.append(f"| {i} | {when(start)} | {when(end)} | {(end - start) / 3600:.1f} h |")
    return lines


def ratio_table(title: str, rows: dict[str, np.ndarray], split: TimeSplit, fmt: str = "{:.3f}") -> list[str]:
    """``rows``: name -> (H, K) table; columns are sensor x horizon."""
    minutes = [h * split.test.step_s / 60 for h in split.test.horizons]
    heads = [f"{TARGETS[name]} +{m:g} min" for name in split.test.target_names for m in minutes]
    lines = [f"**{title}**", "", "| model | " + " | ".join(heads) + " |", "|---|" + "---|" * len(heads)]
    for name, table in rows.items():
        cells = [fmt.format(table[h, k]) for k in range(table.shape[1]) for h in range(table.shape[0])]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return [*lines, ""]


def band_section(bands: dict[str, dict[float, IntervalScores]], split: TimeSplit) -> list[str]:
    """Coverage and mean width of the prediction intervals on the test split, per model and level."""
    lines = [
        "## Prediction intervals on the test split",
        "",
        "Split-conformal bands (`forecast_intervals.SplitConformal`): scaled signed residuals of the later half of "
        "the validation period (the earlier half stops the boosting), so nothing of the test period is used. "
        "Coverage should be near the nominal level; the width is in sensor units.",
        "",
    ]
    for row, by_level in bands.items():
        table: dict[str, np.ndarray] = {}
        for level, scores in by_level.items():
            table[f"{level:.0%} coverage"] = scores.coverage
            table[f"{level:.0%} mean width"] = scores.mean_width
        lines += ratio_table(row, table, split, "{:.3g}")
        covers = ", ".join(f"{lv:.0%}: {np.nanmean(sc.coverage):.3f}" for lv, sc in by_level.items())
        lines += [f"Mean coverage over the cells: {covers}.", ""]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--csv", type=Path, default=CSV)
    parser.add_argument("--input-steps", type=int, default=60)
    parser.add_argument("--horizons", default="2,6,10", help="steps of 30 s")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--max-train-windows", type=int, default=0, help="0 = all; else evenly thinned in time")
    parser.add_argument("--transformer-seconds", type=float, default=300.0, help="training time cap")
    parser.add_argument("--out", type=Path, default=ROOT / "docs/results/warning_forecast.md")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if not args.csv.is_file():
        sys.exit(f"{args.csv} not found — the real data lives in ../shared/data (set MINEGUARD_SHARED_DATA)")
    torch.set_num_threads(args.threads)
    started, machine_start = time.monotonic(), machine(args.threads)
    date = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")

    series = load_sensor_csv(args.csv)
    grid = resample(series, step_s=30.0, max_fill_s=90.0)
    report = report_gaps(series, grid)
    horizons = tuple(int(h) for h in args.horizons.split(","))
    windows = make_windows(grid, input_steps=args.input_steps, horizons=horizons, targets=list(TARGETS))
    split = split_windows(windows, fractions=(0.7, 0.1, 0.2))
    train = split.train.thin(args.max_train_windows) if args.max_train_windows else split.train
    logger.info(
        "windows: %d train (%d used), %d val, %d test", len(split.train), len(train), len(split.val), len(split.test)
    )

    errors: dict[str, ForecastErrors] = {}
    val_errors: dict[str, ForecastErrors] = {}
    seconds: dict[str, float] = {}
    fitted: dict[str, Forecaster] = {}
    with threadpool_limits(args.threads):
        for row, (name, kwargs) in MODELS.items():
            if name == "transformer":
                kwargs = {**kwargs, "max_seconds": args.transformer_seconds}
            if name == "lightgbm":
                kwargs = {**kwargs, "num_threads": args.threads}
            tic = time.monotonic()
            model = get_forecaster(name, **kwargs).fit(train, split.val)
            seconds[row] = time.monotonic() - tic
            errors[row] = forecast_errors(split.test.y, model.predict(split.test))
            val_errors[row] = forecast_errors(split.val.y, model.predict(split.val))
            fitted[row] = model
            logger.info("%s: fit %.1f s", row, seconds[row])

    reference, val_reference = errors["persistence"], val_errors["persistence"]
    skills = {row: skill(e, reference) for row, e in errors.items()}
    val_skills = {row: skill(e, val_reference) for row, e in val_errors.items()}
    transformer = fitted["transformer"]
    n_cells = reference.mae.size
    wins = {row: int(np.sum((s.mae_ratio < 1) & (s.rmse_ratio < 1))) for row, s in skills.items()}
    goals = {row: int(np.sum(s.mae_ratio <= GOAL)) for row, s in skills.items()}
    bands: dict[str, dict[float, IntervalScores]] = {}
    for row, model in fitted.items():
        if has_intervals(model):
            intervals = model.predict_interval(split.test, LEVELS)  # type: ignore[attr-defined]
            bands[row] = {level: interval_scores(split.test.y, *intervals.at(level)) for level in LEVELS}

    command = "python benchmarks/warning_forecast.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    lines = [
        "# Forecasting air quality in a real underground quarry, 1-5 minutes ahead",
        "",
        'Issues #6 and #18 (seed 003 §3.3, risk prediction: "forecast sensor trajectories"). Generated by '
        "`benchmarks/warning_forecast.py`; do not edit by hand.",
        "",
        f"- command: `{command.strip()}`",
        f"- date (UTC): {date}; wall time {time.monotonic() - started:.0f} s",
        f"- machine at start: {machine_start}",
        f"- machine at end: {machine(args.threads)}",
        f"- data: `{args.csv.relative_to(DATA) if args.csv.is_relative_to(DATA) else args.csv}` (EU Dig_IT project, "
        "underground quarry, licence unstated: evaluation only). **The field mapping is the data README's guess and "
        "UNVERIFIED**: field3 = PM2.5, field4 = PM10, field5 = NO2, field6 = CO (units unknown; the values are "
        "consistent with ug/m3 for PM, but CO reads 100-600 and NO2 3-260, so neither ppm nor ug/m3 is certain). "
        'Inputs are all seven fields (field1 temperature, field2 humidity, field7 "NH4" as guessed).',
        "",
        "## Gaps and irregular timestamps",
        "",
        *gap_section(report),
        "",
        "## Protocol",
        "",
        f"- grid 30 s; inputs {args.input_steps} steps ({args.input_steps / 2:g} min) of all 7 fields; horizons "
        + ", ".join(f"{h} steps ({h / 2:g} min)" for h in horizons)
        + "; forecasts of "
        + ", ".join(TARGETS.values())
        + ".",
        "- a window is kept only if every input step is observed or short-filled and every target is an observed "
        f"reading (no scoring against interpolated values): {len(windows):,} windows.",
        "- split by time at quantiles 0.7 / 0.8 of the window origins, i.e. of windowable time, not calendar time "
        f"(the logger was silent for 27 days in August): train before {when(split.val_start_s)}, val "
        f"{when(split.val_start_s)} .. {when(split.test_start_s)}, test from {when(split.test_start_s)} UTC. "
        f"Windows spanning a boundary are dropped ({split.n_dropped}); every test input and target is later than "
        "every training one.",
        f"- windows: train {len(split.train):,}"
        + (f" (thinned to {len(train):,}, evenly in time)" if len(train) < len(split.train) else " (all used)")
        + f", val {len(split.val):,}, test {len(split.test):,}.",
        "- normalisation and every fitted parameter come from the training windows; the val windows are used only "
        "for early stopping (GBM, transformer) and, for LightGBM, split by time: the earlier half for early "
        "stopping, the later half to calibrate the prediction intervals.",
        "- models: persistence y(t+h) = y(t); EWMA of the window, alpha picked per sensor on train from "
        "{0.05, ..., 1}; least-squares line over the last 30 or 5 min, extrapolated; HistGradientBoosting on lag "
        "features (changes over 1-32 steps, window mean/std/min/max relative to the last reading, 5-min slope, "
        "time of day), one model per (sensor, horizon), predicting the change from the last reading; the "
        f"transformer (`SensorTransformer`: (sensor, 5-min patch) tokens, value projection + sensor + patch-position "
        f"+ time-of-day embeddings, d_model 32, 2 layers, 4 heads), MSE on the normalised change, AdamW, seed 0, "
        f"early stopping (patience 5) on val: best epoch {transformer.best_epoch_ + 1} of "  # type: ignore[attr-defined]
        f"{len(transformer.history_)} run.",  # type: ignore[attr-defined]
        "- `lightgbm` (`forecast_lgbm`, LightGBM 4.7, one thread): one booster per (sensor, horizon) on "
        "`forecast_features` (the last 5 one-step differences, changes over 1-40 steps, mean-minus-last, std and "
        "mean absolute change over 3/6/10/20/60 steps, min/max relative to the last reading, 5-min slope, a jump "
        "score per sensor and averaged over sensors, time of day) of all 7 fields, L1 objective on the change from "
        "the last reading, learning rate 0.03, 15 leaves, at least 200 windows per leaf, feature and bagging "
        "fractions 0.7 / 0.8, early stopping after 100 rounds without gain on the first half of val. The "
        "`+ level features` row adds each field's absolute reading.",
        "",
        "## Results on the test split (last 20 % of time)",
        "",
        "Ratios to persistence: **below 1 is better than persistence**.",
        "",
        *ratio_table("MAE / persistence MAE", {r: s.mae_ratio for r, s in skills.items()}, split),
        *ratio_table("RMSE / persistence RMSE", {r: s.rmse_ratio for r, s in skills.items()}, split),
        *ratio_table(
            "Persistence, absolute error (sensor units)",
            {"persistence MAE": reference.mae, "persistence RMSE": reference.rmse},
            split,
            "{:.2f}",
        ),
        f"**Summary**: mean ratio over the {n_cells} (sensor, horizon) cells, on val (what a model choice may look at) "
        "and test, cells better than persistence on both MAE and RMSE, and fit time.",
        "",
        f"| model | MAE ratio val | MAE ratio test | RMSE ratio val | RMSE ratio test | cells won (test) | "
        f"cells MAE ratio <= {GOAL:.2f} (test) | fit s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in MODELS:
        s, v = skills[row], val_skills[row]
        lines.append(
            f"| {row} | {np.nanmean(v.mae_ratio):.3f} | {np.nanmean(s.mae_ratio):.3f} | "
            f"{np.nanmean(v.rmse_ratio):.3f} | {np.nanmean(s.rmse_ratio):.3f} | {wins[row]}/{n_cells} | "
            f"{goals[row]}/{n_cells} | {seconds[row]:.1f} |"
        )
    lines += ["", *band_section(bands, split)]
    lines += ["", "## Notes", "", *NOTES, ""]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines))
    logger.info("wrote %s in %.0f s", args.out, time.monotonic() - started)


NOTES = [
    "- **Issue #18's goal (MAE ratio <= 0.90 in every cell) is reached in 7 of 21 cells, not in the others.** "
    "`lightgbm` reaches it for temperature (0.58-0.67), NH4 (0.66-0.73) and CO at +1 min (0.889); it beats "
    "persistence but misses 0.90 for CO at +3/+5 min (0.94-0.96), NO2 (0.97-0.98), PM2.5 (0.96-0.98) and PM10 "
    "(0.94-0.97), and only ties it on humidity (0.99-1.00). Why: on the test week the largest 10 % of the "
    "1-minute changes carry 59 % (PM2.5), 63 % (PM10), 52 % (CO) and 38 % (NO2) of persistence's MAE: onsets of "
    "dust and gas spikes that nothing in the previous 30 minutes of the seven fields announces, and the 30 s "
    "changes are nearly uncorrelated (lag-1 autocorrelation 0.09 PM2.5, 0.15 PM10, 0.09 NO2 on test). What is "
    "left to win is the decay after a spike and the small drifts, worth a few per cent. Humidity is logged in "
    "whole percents and does not change within a minute in 71 % of the test windows, so persistence is exactly "
    "right most of the time; beating it by 10 % would need the timing of the next 1 % step.",
    "- **LightGBM with richer features is no better than the scikit-learn GBM at the point forecast** (mean MAE "
    "ratio 0.879 on test for both; 0.883 vs 0.887 on val): the extra lags, rolling statistics and cross-field "
    "features found nothing the lag features had not. What it adds is the calibrated bands, one saved file for "
    "the service (`--save` / `--load`) and early stopping on an earlier part of val than the calibration part.",
    "- **Hyper-parameters, chosen on val only.** The default (15 leaves, >= 200 windows per leaf, learning rate "
    "0.03) is compared above with a smaller, more regularised tree, a scale-free target (the change divided by "
    "the recent mean absolute change, weighted back so the loss is still the MAE in sensor units) and the "
    "absolute levels as features. Levels score best on val by a hair (0.877 vs 0.883), within the noise of a "
    "two-day validation period; the default keeps them out for the reason the `gbm (L2, + level features)` row "
    "shows (trees split on levels learn the training weeks' regimes). A larger tree (63 leaves, >= 50 per leaf) "
    "tried on the four gas and dust fields was slower and no better on val.",
    "- **Prediction intervals are calibrated** (the section above): split conformal on the residuals of the "
    "later half of val, scaled by each field's recent mean absolute change (floored at half its training "
    "median) so the bands widen in dusty spells, with signed quantiles so they can be asymmetric. Coverage on "
    "the later, unseen test week is near the nominal 80 % and 95 % in every cell, though time series are not "
    "exchangeable, so this is measured, not guaranteed. A first run floored the scale at 5 % of the median: a "
    "few humidity windows after minutes without change then got a near-zero scale and the humidity +5 min 95 % "
    "band averaged 40 %RH wide; the 50 % floor fixed that.",
    "- **statsforecast (AutoETS, AutoTheta, AutoARIMA) was tried and not kept**: refitted on each 30-minute "
    "window of one field, they lose to persistence on CO, NO2 and PM and win only on the smooth fields, by less "
    "than LightGBM; AutoARIMA is too slow to refit per window on one core "
    "(`docs/results/warning_forecast_statsforecast.md`). darts was not tried: its LightGBM and statistical "
    "models wrap the same libraries.",
    "- **Persistence is hard to beat at 30 s sampling.** The changes between readings are heavy-tailed (dust spikes "
    "of hundreds of ug/m3 between quiet readings) and only weakly autocorrelated for PM (lag-1 autocorrelation of "
    "the 30 s changes about 0.15-0.17), more for NO2 (0.5) and CO (0.35): there is little to forecast beyond the "
    "last value, and the gains of the best models are a few per cent, largest for CO at 1 min.",
    "- **MAE and RMSE disagree, as they should.** Models trained on squared error (the transformer, `gbm (L2)`, "
    "EWMA picked by MSE) predict a conditional mean: it pulls towards the level after spikes, which lowers RMSE "
    "and raises MAE (persistence sits near the conditional median of a heavy-tailed change). `gbm (L1)` targets "
    "the median: it wins on MAE and, by less, on RMSE. Pick the metric that matches the alarm: RMSE punishes "
    "missing a spike more.",
    "- **How the GBM default was chosen.** A first run used the textbook squared loss with the absolute level of "
    "every sensor among the features; it lost badly on PM (it is the `gbm (L2 ...)` row, kept for transparency). "
    "The L1 loss and change-only features were chosen after seeing that run's test numbers, so the `gbm (L1)` "
    "test row is not a blind result; its validation row ranks the variants the same way.",
    "- **The transformer stops learning anything that transfers after a few epochs.** Training loss keeps "
    "falling while validation loss stays flat, then rises; the validation split is only about two days (and "
    "calmer than training: its normalised loss is far lower). It wins on the smooth fields (temperature, NH4), gains "
    "a little on RMSE for CO and PM, not on MAE (except CO), and loses on NO2 and humidity. It is a CPU-sized "
    "model (d_model 32, 2 layers) trained for a few minutes "
    "on one thread, on MSE; no hyperparameter search was run. An L1 or Huber loss, as for GBM, "
    "is the obvious next try.",
    "- **Linear trends are worse than persistence** at every horizon: extrapolating 30 s noise amplifies it.",
    "- **PM10 saturates** at 1999.9 (the sensor's ceiling, presumably) in 40 readings of the largest spikes; these are "
    "kept as logged.",
    "- **Limits.** One logger, one site, 8 weeks with a 27-day hole; the test is the last week of September "
    "(about 6,000 overlapping windows, so far fewer independent samples); no confidence intervals; the field "
    "mapping and units are unverified, so 'CO' and 'NO2' here mean field6 and field5. Nothing here is a gas "
    "alarm: these are minutes-ahead forecasts of whatever these fields measure.",
]

if __name__ == "__main__":
    main()
