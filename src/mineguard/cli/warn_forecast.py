"""``mineguard warn forecast``: forecast a logged sensor series a few minutes ahead, with its skill.

The series (a ThingSpeak-style CSV: ``created_at`` + value columns, e.g. the DIGIT quarry logger)
is put on a regular grid with explicit gaps (``mineguard.warning.series``), cut into windows and
split by time (``mineguard.warning.series_windows``: train 70 % / val 10 % / test 20 % of
windowable time), and the chosen forecaster is fitted on train (val for early stopping). It
prints the test-split MAE and RMSE per horizon as a ratio to persistence (below 1 = better than
"no change"), then the forecast from the latest complete window, i.e. what the sensor is
expected to read in 1, 3, 5 minutes. A forecaster with prediction intervals (``lightgbm``) also
prints the test coverage of its 80 % / 95 % bands and the bands of the live forecast.

``--save model.json`` keeps the fitted forecaster (``lightgbm``) for the service to serve;
``--serve-as co`` (with ``--save``) adds what the file serves, making it a ``forecast`` model for the
registry (``mineguard models add forecast model.json``; ``warning/risk/forecaster.py``);
``--load model.json`` forecasts with a saved one instead of fitting (its targets, grid step, input
steps and horizons come from the file; the CSV's test split still scores it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

import numpy as np

from mineguard.evaluation.forecasting import forecast_errors, interval_scores, skill
from mineguard.warning.forecast import Forecaster, get_forecaster, has_intervals, list_forecasters, load_forecaster
from mineguard.warning.series import load_sensor_csv, resample
from mineguard.warning.series_windows import Windows, latest_window, make_windows, split_by_time


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("forecast", help="forecast a sensor CSV minutes ahead, with skill against persistence")
    p.add_argument("csv", type=Path, help="ThingSpeak-style CSV: created_at + value columns")
    p.add_argument("--columns", help="file column=name pairs, e.g. field6=co,field5=no2 (default: the DIGIT guess)")
    p.add_argument("--target", action="append", help="sensor(s) to forecast (repeatable; default: the first column)")
    p.add_argument("--model", default="gbm", help=f"forecaster: {', '.join(list_forecasters())}")
    p.add_argument("--step-s", type=float, default=30.0, help="grid step (seconds)")
    p.add_argument("--input-steps", type=int, default=60)
    p.add_argument("--horizons", default="2,6,10", help="comma-separated horizons, in grid steps")
    p.add_argument("--json", type=Path, help="also write the skill and the forecast here")
    p.add_argument("--save", type=Path, help="save the fitted forecaster to this JSON file (lightgbm)")
    p.add_argument(
        "--serve-as",
        metavar="SENSOR_KIND",
        help="with --save: write the file as a `forecast` model serving this site sensor kind (e.g. co), for "
        "`mineguard models add forecast FILE`; the forecaster must read its target alone (--columns field6=field6)",
    )
    p.add_argument(
        "--serve-unit",
        metavar="UNIT",
        help="with --serve-as: the unit of the CSV's target values (e.g. ug/m3 for dust), which the service converts "
        "its readings into for this model; default the kind's canonical unit (co: ppm, dust: mg/m3, ...)",
    )
    p.add_argument("--load", type=Path, help="forecast with a forecaster saved by --save instead of fitting one")
    p.set_defaults(func=cmd_forecast)


def _columns(text: str | None) -> dict[str, str] | None:
    if not text:
        return None
    pairs = [item.split("=", 1) for item in text.split(",") if item.strip()]
    if any(len(p) != 2 or not p[0].strip() or not p[1].strip() for p in pairs):
        raise ValueError(f"--columns '{text}': write file-column=name pairs separated by commas, e.g. field6=co")
    return {a.strip(): b.strip() for a, b in pairs}


def cmd_forecast(args: argparse.Namespace) -> int:
    try:
        horizons = tuple(int(h) for h in args.horizons.split(","))
    except ValueError:
        raise ValueError(
            f"--horizons '{args.horizons}': write whole grid steps separated by commas, e.g. 2,6,10"
        ) from None
    model_name = args.model
    if model_name not in list_forecasters():
        raise ValueError(f"unknown forecaster '{model_name}' — choose from {', '.join(list_forecasters())}")
    loaded: Forecaster | None = None
    if args.load:
        loaded = load_forecaster(args.load)
        layout = loaded.layout_  # type: ignore[attr-defined]
        model_name, horizons, args.input_steps = loaded.name, tuple(layout["horizons"]), layout["input_steps"]
        args.step_s = float(layout["step_s"])
        args.target = [layout["names"][i] for i in layout["targets"]]
    series = load_sensor_csv(args.csv, columns=_columns(args.columns))
    targets = args.target or [series.names[0]]
    grid = resample(series, step_s=args.step_s, max_fill_s=3 * args.step_s)
    windows = make_windows(grid, input_steps=args.input_steps, horizons=horizons, targets=targets)
    split = split_by_time(windows) if len(windows) else None
    if split is None or min(len(split.train), len(split.val), len(split.test)) == 0:
        raise ValueError(
            f"{args.csv}: too little gap-free history for train/val/test windows of {args.input_steps} "
            f"steps ({len(windows)} windows) — use fewer --input-steps or a longer series"
        )
    if args.serve_as and not args.save:
        raise ValueError("--serve-as: give --save FILE.json too (the forecast model file to write)")
    if args.serve_unit and not args.serve_as:
        raise ValueError("--serve-unit: give --serve-as SENSOR_KIND too (the unit is that kind's)")
    model = loaded or get_forecaster(model_name).fit(split.train, split.val)
    if args.save:
        if not callable(getattr(model, "save", None)):
            raise ValueError(f"--save: the '{model_name}' forecaster does not save to a file — use --model lightgbm")
        if args.serve_as:
            from mineguard.warning.risk.forecaster import write_forecast_artefact

            saved = write_forecast_artefact(
                model,  # type: ignore[arg-type]
                args.save,
                sensor_kind=args.serve_as,
                unit=args.serve_unit,
            )
            unit = f" (trained in {args.serve_unit})" if args.serve_unit else ""
            print(f"saved a forecast model serving {args.serve_as}{unit} to {saved} ({saved.stat().st_size:,} bytes)")
            print(f"serve it: mineguard models add forecast {saved} --data {args.csv} --promote")
        else:
            print(f"saved the fitted {model_name} forecaster to {model.save(args.save)}")  # type: ignore[attr-defined]
    reference = forecast_errors(split.test.y, get_forecaster("persistence").fit(split.train).predict(split.test))
    errors = forecast_errors(split.test.y, model.predict(split.test))
    sk = skill(errors, reference)
    minutes = [h * args.step_s / 60 for h in horizons]
    test_from = dt.datetime.fromtimestamp(split.test_start_s, dt.UTC)
    print(
        f"{args.csv.name}: {len(series.t_s):,} readings, {len(windows):,} windows; test split from "
        f"{test_from:%Y-%m-%d %H:%M} UTC ({len(split.test):,} windows)"
    )
    print(f"{model_name} vs persistence on the test split (ratio < 1 = better):")
    for k, name in enumerate(targets):
        cells = "  ".join(
            f"+{m:g} min MAE x{sk.mae_ratio[h, k]:.2f} RMSE x{sk.rmse_ratio[h, k]:.2f}" for h, m in enumerate(minutes)
        )
        print(f"  {name}: {cells}")
    coverage = _print_coverage(model, split.test, targets, minutes)
    result: dict = {
        "model": model_name,
        "csv": str(args.csv),
        "horizons_min": minutes,
        "targets": targets,
        "mae_ratio": sk.mae_ratio.tolist(),
        "rmse_ratio": sk.rmse_ratio.tolist(),
        "interval_coverage": coverage,
        "forecast": None,
    }
    live = latest_window(grid, input_steps=args.input_steps, horizons=horizons, targets=targets)
    if live is None:
        print("no forecast now: the latest window has missing readings (a gap at the end of the series)")
    else:
        y = model.predict(live)[0]
        now = float(live.t_origin_s[0])
        when = dt.datetime.fromtimestamp(now, dt.UTC)
        print(f"forecast from {when:%Y-%m-%d %H:%M:%S} UTC:")
        last = live.last_values[0]
        for k, name in enumerate(targets):
            path = ", ".join(f"+{m:g} min {y[h, k]:.4g}" for h, m in enumerate(minutes))
            print(f"  {name}: now {last[k]:.4g}; {path}")
        result["forecast"] = {"t": when.isoformat(), "now": np.asarray(last).tolist(), "values": y.tolist()}
        if has_intervals(model):
            result["forecast"]["intervals"] = _print_live_bands(model, live, targets, minutes)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2))
    return 0


def _print_coverage(model: Forecaster, test: Windows, targets: list[str], minutes: list[float]) -> dict:
    """Print and return {level: (H, K) coverage} of the model's bands on the test windows ({} without bands)."""
    if not has_intervals(model):
        return {}
    bands = model.predict_interval(test)  # type: ignore[attr-defined]
    print("prediction intervals on the test split (coverage, should be near the level):")
    coverage = {}
    for level in bands.levels:
        cov = interval_scores(test.y, *bands.at(level)).coverage
        coverage[f"{level:g}"] = cov.tolist()
        for k, name in enumerate(targets):
            cells = "  ".join(f"+{m:g} min {cov[h, k]:.0%}" for h, m in enumerate(minutes))
            print(f"  {level:.0%} band, {name}: {cells}")
    return coverage


def _print_live_bands(model: Forecaster, live: Windows, targets: list[str], minutes: list[float]) -> dict:
    """Print the widest band of the live forecast; return {level: {lower, upper}} ((H, K) lists) for the JSON."""
    bands = model.predict_interval(live)  # type: ignore[attr-defined]
    widest = bands.levels[-1]
    lower, upper = bands.at(widest)
    for k, name in enumerate(targets):
        cells = ", ".join(f"+{m:g} min {lower[0, h, k]:.4g}..{upper[0, h, k]:.4g}" for h, m in enumerate(minutes))
        print(f"  {name}: {widest:.0%} band {cells}")
    return {f"{v:g}": {"lower": bands.at(v)[0][0].tolist(), "upper": bands.at(v)[1][0].tolist()} for v in bands.levels}
