"""Figure: the risk model retrained on a site's history and its operators' verdicts, on a SIMULATED site (issue #18).

There is no public mine history with alarms and operator verdicts, so the site is simulated: ``--sensors``
methane heads read every 30 s for ``--days`` days — 0.3 % with slow drift and noise, and at random times:

- real rises (``--rises`` per sensor-day): 0.01-0.05 %/min up to 1.1-1.4 %, held 10-30 min, then back — the
  1.0 % alarm at the crossing;
- bumps (``--bumps`` per sensor-day): 0.02-0.06 %/min for 5-12 min, then back down, never reaching 1.0 %;
- bump tests (``--tests`` per sensor-day): 2 % for 2 min, an alarm an operator marks ``test``.

The "operators" label what the served model (the trend baseline) warned about: a warning an alarm followed
within 30 min is a ``true_alarm``, one during a bump test ``test``, any other ``false_alarm``. The library
step of ``mineguard warn retrain`` (``warning.risk.retrain.retrain_risk``) then trains on all but the last
``--replay-days`` and replays both models on those (never trained on), every 60 s as the risk job runs.

    .venv/bin/python benchmarks/warning_retrain.py [--days 21] [--replay-days 3] [--sensors 4] [--threads 1]
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import torch

from machine_info import describe
from mineguard.warning.risk import TrendModel
from mineguard.warning.risk.feedback import SiteSeries, Verdict
from mineguard.warning.risk.replay import Alarm, replay_warnings
from mineguard.warning.risk.retrain import retrain_risk
from results_file import run_lines, write_section

ROOT = Path(__file__).resolve().parents[1]
T0 = 1_800_000_000.0
DAY = 86_400.0
STEP = 30.0


def simulate(device: str, days: float, rng: np.random.Generator, args, ids) -> tuple[SiteSeries, list[Alarm], list]:
    """One sensor's readings, its alarms (crossings of 1.0 %) and its bump-test intervals."""
    t = T0 + np.arange(0.0, days * DAY, STEP)
    drift = np.cumsum(rng.normal(0.0, 0.002, t.size))
    v = 0.3 + 0.05 * np.tanh(drift) + rng.normal(0.0, 0.01, t.size)
    minute = (t - T0) / 60.0
    for _ in range(rng.poisson(args.rises * days)):
        start, rate = rng.uniform(0, days * 1440 - 120), rng.uniform(0.01, 0.05)
        peak, hold = rng.uniform(0.8, 1.1), rng.uniform(10, 30)
        up = np.clip((minute - start) * rate, 0.0, peak)
        v += up * (minute < start + peak / rate + hold)
    for _ in range(rng.poisson(args.bumps * days)):
        start, rate, length = rng.uniform(0, days * 1440 - 60), rng.uniform(0.02, 0.06), rng.uniform(5, 12)
        v += np.clip(np.minimum((minute - start) * rate, (start + 2 * length - minute) * rate), 0.0, 0.6)
    tests = []
    for _ in range(rng.poisson(args.tests * days)):
        start = rng.uniform(0, days * 1440 - 10)
        inside = (minute >= start) & (minute < start + 2)
        v[inside] = 2.0
        tests.append((T0 + start * 60.0, T0 + (start + 2) * 60.0))
    crossings = np.flatnonzero((v[1:] >= 1.0) & (v[:-1] < 1.0)) + 1
    alarms = [Alarm(float(t[i]), frozenset({device}), "methane.working_face", next(ids)) for i in crossings]
    return SiteSeries(device, t, v, 1.0, ">="), alarms, tests


def operator_verdicts(series, alarms, tests, served, next_id) -> list[Verdict]:
    """What operators would have said of the served model's warnings and of the bump tests' alarms."""
    out = []
    for w in replay_warnings(series, served, start_s=series.t_s[0], end_s=series.t_s[-1], step_s=60.0):
        end = w.closed_s or series.t_s[-1]
        during_test = any(a <= w.opened_s <= b + 600 for a, b in tests)
        followed = any(0 <= a.t_s - w.opened_s <= 1800 for a in alarms)
        kind = "test" if during_test else "true_alarm" if followed else "false_alarm"
        out.append(Verdict(series.device_id, w.opened_s, end, kind, next(next_id), on_warning=True))
    for a in alarms:
        if any(s <= a.t_s <= e for s, e in tests):
            out.append(Verdict(series.device_id, a.t_s, a.t_s + 600, "test", a.alert_id))
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--days", type=float, default=21.0)
    p.add_argument("--replay-days", type=float, default=3.0)
    p.add_argument("--sensors", type=int, default=4)
    p.add_argument("--rises", type=float, default=1.0, help="real rises per sensor-day")
    p.add_argument("--bumps", type=float, default=4.0, help="bumps that fall back, per sensor-day")
    p.add_argument("--tests", type=float, default=0.2, help="bump tests per sensor-day")
    p.add_argument("--series", type=int, default=500, help="simulated trajectories added to the site's windows")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", type=Path, default=ROOT / "docs/results/warning_retrain.md")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    started, machine = time.perf_counter(), describe(args.threads)
    rows = []
    for seed in args.seeds:
        rng = np.random.default_rng(seed)
        ids = iter(range(1, 10**9))
        served = TrendModel()
        series, alarms, verdicts = [], [], []
        for k in range(args.sensors):
            s, a, tests = simulate(f"ch4-{k}", args.days, rng, args, ids)
            series.append(s), alarms.extend(a), verdicts.extend(operator_verdicts(s, a, tests, served, ids))
        until = T0 + args.days * DAY
        result = retrain_risk(
            series,
            alarms,
            verdicts,
            before=served,
            since_s=T0,
            replay_from_s=until - args.replay_days * DAY,
            until_s=until,
            n_series=args.series,
            epochs=args.epochs,
            seed=seed,
            every_s=120.0,
        )
        rows.append((seed, result))
        print(seed, result.verdicts, result.scores, flush=True)
    columns = ["seed", "site windows", "verdicts (true / false / test)", "model", "warnings", "false alarms / day"]
    columns += ["alarms", "warned", "missed", "median lead"]
    lines = ["| " + " | ".join(columns) + " |", "|---" * len(columns) + "|"]
    for seed, r in rows:
        v = r.verdicts
        for side, name in (("before", "trend (served)"), ("after", "retrained")):
            s = r.scores[side]
            lead = "–" if s["median_lead_s"] is None else f"{s['median_lead_s'] / 60:.1f} min"
            cells = [seed, f"{r.site_windows:,}", f"{v['true_alarm']} / {v['false_alarm']} / {v['test']}", name]
            cells += [s["warnings"], f"{s['false_alarms_per_day']:.2f}", s["alarms"], s["warned"], s["missed"], lead]
            lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    command = "python benchmarks/warning_retrain.py " + shlex.join(sys.argv[1:])
    section = "\n".join(
        [
            "## Retrained on the site's history and verdicts (simulated site)",
            "",
            run_lines(command, load=True),
            f"CPU: {machine}. Run time {time.perf_counter() - started:.0f} s.",
            "",
            f"Data: SIMULATED — {args.sensors} methane heads every 30 s for {args.days:g} days per seed "
            f"({args.rises:g} real rises, {args.bumps:g} bumps, {args.tests:g} bump tests per sensor-day; "
            "see the script's text); operators' verdicts on the served trend model's warnings as described there. "
            f"Trained on the first {args.days - args.replay_days:g} days + {args.series} simulated trajectories, "
            f"{args.epochs} epochs at most; replayed on the last {args.replay_days:g} days (never trained on).",
            "",
            *lines,
        ]
    )
    write_section(args.out, section)
    print(section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
