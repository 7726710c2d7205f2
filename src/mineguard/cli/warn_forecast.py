"""``mineguard warn forecast``: forecast a logged sensor series a few minutes ahead, with its skill.

The series (a ThingSpeak-style CSV: ``created_at`` + value columns, e.g. the DIGIT quarry logger)
is put on a regular grid with explicit gaps (``mineguard.warning.series``), cut into windows and
split by time (``mineguard.warning.series_windows``: train 70 % / val 10 % / test 20 % of
windowable time), and the chosen forecaster is fitted on train (val for early stopping). It
prints the test-split MAE and RMSE per horizon as a ratio to persistence (below 1 = better than
"no change"), then the forecast from the latest complete window, i.e. what the sensor is
expected to read in 1, 3, 5 minutes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

import numpy as np

from mineguard.evaluation.forecasting import forecast_errors, skill
from mineguard.warning.forecast import get_forecaster, list_forecasters
from mineguard.warning.series import load_sensor_csv, resample
from mineguard.warning.series_windows import latest_window, make_windows, split_by_time


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
    model = get_forecaster(model_name).fit(split.train, split.val)
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
    result: dict = {
        "model": model_name,
        "csv": str(args.csv),
        "horizons_min": minutes,
        "targets": targets,
        "mae_ratio": sk.mae_ratio.tolist(),
        "rmse_ratio": sk.rmse_ratio.tolist(),
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
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2))
    return 0
