"""Figure: the learned risk model against the trend baseline on SIMULATED sensor trajectories (issue #6).

Protocol: the learned model (``mineguard.warning.risk.learned``) is trained on trajectories of seed A
(``mineguard.warning.risk.trajectories``, validation on a held-out fifth of them); both models are then run
as the platform runs them on fresh trajectories of seed B: every ``--every-s`` seconds each model
assesses the readings of its window (``assess`` exactly as ``check_risk`` calls it), in limit units
(``x = value / limit``, a methane-like maximum of 1.0). Scores:

- score level, over the checks whose latest reading is still inside the limit and whose horizon lies
  within the trajectory: Brier score and ROC-AUC of "past the limit at the horizon" (the simulated reading
  at t + horizon), a calibration table, with a bootstrap over trajectories;
- alarm level, the job's state machine (raise at p >= raise_p inside the limit, keep while p >= clear_p,
  resolve below it or at the limit): crossings warned (a warning active at the last check before the first
  reading past the limit), the warning's lead over that reading, false alarms per sensor-day (warnings
  raised on trajectories that never cross), per event kind.

    .venv/bin/python benchmarks/warning_risk.py [--train-series 3000] [--test-series 600] [--threads 1]
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import os
import shlex
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import brier_score_loss

from machine_info import describe
from mineguard.evaluation.alarms import roc_auc
from mineguard.warning.risk import TrendModel
from mineguard.warning.risk.learned import LearnedRiskConfig
from mineguard.warning.risk.trajectories import EVENTS, Trajectory, generate_trajectories, train_learned_risk

ROOT = Path(__file__).resolve().parents[1]
BINS = np.linspace(0.0, 1.0, 11)
SWEEP = (0.3, 0.5, 0.65, 0.8, 0.9, 0.95)  # raise_p of the operating-point table


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|---" * len(header) + "|"]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def run_checks(model, traj: Trajectory, every_s: float, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Assess ``traj`` every ``every_s`` from its first reading + 2 min: check times, p (NaN = no assessment),
    latest reading, and the observed reading at the horizon (NaN beyond the trajectory's end)."""
    checks = np.arange(traj.t_s[0] + 120.0, traj.end_s + 1e-9, every_s)
    future = np.full(checks.size, np.nan)
    inside = checks + model.horizon_s <= traj.end_s
    future[inside] = traj.observed(checks[inside] + model.horizon_s, rng)
    p, last = np.full(checks.size, np.nan), np.full(checks.size, np.nan)
    hi = np.searchsorted(traj.t_s, checks, side="right")
    lo = np.searchsorted(traj.t_s, checks - model.window_s, side="left")
    for k, (a, b) in enumerate(zip(lo, hi, strict=True)):
        risk = model.assess(traj.t_s[a:b], traj.x[a:b], limit=1.0) if b > a else None
        if risk is not None:
            p[k], last[k] = risk.probability, risk.value
    return {"t": checks, "p": p, "last": last, "future": future}


def alarms(checks: dict[str, np.ndarray], raise_p: float, clear_p: float) -> list[tuple[float, float | None]]:
    """The job's warnings on one trajectory: (raised at, resolved at or None)."""
    out, active = [], None
    for t, p, last in zip(checks["t"], checks["p"], checks["last"], strict=True):
        if np.isnan(p):
            continue
        past = last >= 1.0
        if active is None and not past and p >= raise_p:
            active = t
        elif active is not None and (past or p < clear_p):
            out.append((active, t))
            active = None
    return out + ([(active, None)] if active is not None else [])


def evaluate(model, trajectories: list[Trajectory], args: argparse.Namespace) -> dict:
    rng = np.random.default_rng(args.test_seed + 1000)  # the same futures for every model
    started = time.perf_counter()
    checks = [run_checks(model, traj, args.every_s, rng) for traj in trajectories]
    n_checks = sum(c["t"].size for c in checks)
    p, y, group = [], [], []
    for g, c in enumerate(checks):
        scored = ~np.isnan(c["p"]) & ~np.isnan(c["future"]) & (c["last"] < 1.0)
        p.append(c["p"][scored]), y.append(c["future"][scored] >= 1.0), group.append(np.full(scored.sum(), g))
    return {
        "p": np.concatenate(p),
        "y": np.concatenate(y),
        "group": np.concatenate(group),
        "checks": checks,
        "us_per_check": 1e6 * (time.perf_counter() - started) / n_checks,
        "n_checks": n_checks,
    }


def alarm_events(
    checks: list[dict], trajectories: list[Trajectory], raise_p: float, clear_p: float
) -> dict[str, dict[str, list]]:
    """Per event kind: crossings, missed (0/1), leads (s), warnings on never-crossing trajectories, their days."""
    per_event: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for c, traj in zip(checks, trajectories, strict=True):
        warnings = alarms(c, raise_p, clear_p)
        cross = traj.first_crossing_s
        ev = per_event[traj.event]
        if cross is None:
            ev["false"].append(len(warnings)), ev["days"].append((traj.end_s - c["t"][0]) / 86400.0)
            continue
        ev["crossings"].append(1)
        before = c["t"][c["t"] < cross]
        on = [r for r, end in warnings if r <= before[-1] and (end is None or end > before[-1])] if before.size else []
        ev["leads"].extend(cross - r for r in on)
        ev["missed"].append(0 if on else 1)
    return per_event


def brier(p: np.ndarray, y: np.ndarray) -> float:
    return float(brier_score_loss(y, p))


def bootstrap(results: dict[str, dict], n: int, seed: int = 0) -> dict[str, tuple[float, float]]:
    """95 % interval of (learned - trend) Brier and ROC-AUC, resampling whole trajectories."""
    a, b = results["learned"], results["trend"]
    groups = np.unique(a["group"])
    rows_a = {g: np.flatnonzero(a["group"] == g) for g in groups}
    rows_b = {g: np.flatnonzero(b["group"] == g) for g in groups}
    rng = np.random.default_rng(seed)
    d_brier, d_auc = [], []
    for _ in range(n):
        pick = rng.choice(groups, groups.size)
        ia, ib = np.concatenate([rows_a[g] for g in pick]), np.concatenate([rows_b[g] for g in pick])
        if a["y"][ia].all() or not a["y"][ia].any():
            continue  # a resample with one class only (small test sets)
        d_brier.append(brier(a["p"][ia], a["y"][ia]) - brier(b["p"][ib], b["y"][ib]))
        d_auc.append(roc_auc(a["p"][ia], a["y"][ia]) - roc_auc(b["p"][ib], b["y"][ib]))
    return {
        k: (float(np.percentile(v, 2.5)), float(np.percentile(v, 97.5)))
        for k, v in (("brier", d_brier), ("auc", d_auc))
    }


def alarm_row(label: str, events: dict[str, dict[str, list]], kinds: tuple[str, ...]) -> list[str]:
    crossings = sum(len(events[k]["crossings"]) for k in kinds)
    missed = sum(sum(events[k]["missed"]) for k in kinds)
    leads = [v / 60.0 for k in kinds for v in events[k]["leads"]]
    false = sum(sum(events[k]["false"]) for k in kinds)
    days = sum(sum(events[k]["days"]) for k in kinds)
    quiet = sum(len(events[k]["false"]) for k in kinds)
    lead = f"{np.median(leads):.1f} ({np.percentile(leads, 10):.1f}-{np.percentile(leads, 90):.1f})" if leads else "-"
    return [
        label,
        f"{crossings - missed} / {crossings}" if crossings else "-",
        lead,
        f"{false} on {quiet}" if quiet else "-",
        f"{false / days:.1f}" if days else "-",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-series", type=int, default=3000)
    parser.add_argument("--test-series", type=int, default=600)
    parser.add_argument("--train-seed", type=int, default=0)
    parser.add_argument("--test-seed", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--every-s", type=float, default=10.0, help="the job's period")
    parser.add_argument("--raise-p", type=float, default=0.8)
    parser.add_argument("--clear-p", type=float, default=0.3)
    parser.add_argument("--bootstrap", type=int, default=200)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "results" / "warning_risk.md")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    started, wall = dt.datetime.now(dt.UTC), time.perf_counter()
    machine_start = describe(args.threads)

    config = LearnedRiskConfig()
    learned, m = train_learned_risk(args.train_series, seed=args.train_seed, epochs=args.epochs, config=config)
    print(f"trained: {m}", flush=True)
    test = generate_trajectories(args.test_series, seed=args.test_seed)
    models = {"learned": learned, "trend": TrendModel(window_s=config.window_s, horizon_s=config.horizon_s)}
    results = {}
    for name, model in models.items():
        results[name] = evaluate(model, test, args)
        print(f"{name}: {results[name]['n_checks']} checks, {results[name]['us_per_check']:.0f} us each", flush=True)
    ci = bootstrap(results, args.bootstrap)

    y = results["trend"]["y"]
    base = brier(np.full(y.size, y.mean()), y)
    score_rows = [
        [
            name,
            str(r["p"].size),
            f"{r['y'].mean():.3f}",
            f"{brier(r['p'], r['y']):.4f}",
            f"{1 - brier(r['p'], r['y']) / base:.3f}",
            f"{roc_auc(r['p'], r['y']):.3f}",
            f"{r['us_per_check']:.0f}",
        ]
        for name, r in results.items()
    ]
    calib = []
    for lo, hi in itertools.pairwise(BINS):
        row = [f"{lo:.1f}-{hi:.1f}"]
        for r in results.values():
            sel = (r["p"] >= lo) & ((r["p"] < hi) if hi < 1 else (r["p"] <= hi))
            row += [
                str(int(sel.sum())),
                f"{r['p'][sel].mean():.3f}" if sel.any() else "-",
                f"{r['y'][sel].mean():.3f}" if sel.any() else "-",
            ]
        calib.append(row)
    events = {name: alarm_events(r["checks"], test, args.raise_p, args.clear_p) for name, r in results.items()}
    alarm_rows = []
    for kinds, label in [(EVENTS, "all"), *(((k,), k) for k in EVENTS)]:
        for name in results:
            alarm_rows.append(alarm_row(f"{label}: {name}", events[name], kinds))
    sweep_rows = []
    for raise_p in SWEEP:
        clear_p = min(args.clear_p, raise_p / 2)
        for name, r in results.items():
            row = alarm_row(
                f"{name}, raise_p {raise_p:g} / clear_p {clear_p:g}",
                alarm_events(r["checks"], test, raise_p, clear_p),
                EVENTS,
            )
            sweep_rows.append(row)
    kinds = {k: sum(t.event == k for t in test) for k in EVENTS}
    n_cross = sum(t.first_crossing_s is not None for t in test)
    command = "python " + " ".join(shlex.quote(a) for a in [os.path.relpath(__file__, ROOT), *sys.argv[1:]])
    text = REPORT.format(
        command=command,
        date=started.strftime("%Y-%m-%d %H:%M UTC"),
        machine=machine_start,
        machine_end=describe(args.threads),
        wall=f"{time.perf_counter() - wall:.0f}",
        a=args.train_seed,
        b=args.test_seed,
        n_train=args.train_series,
        n_test=args.test_series,
        m=m,
        every=args.every_s,
        kinds=", ".join(f"{k} {v}" for k, v in kinds.items()),
        n_cross=n_cross,
        raise_p=args.raise_p,
        clear_p=args.clear_p,
        n_boot=args.bootstrap,
        scores=table(
            ["model", "scored checks", "positive rate", "Brier", "Brier skill vs base rate", "ROC-AUC", "us / check"],
            score_rows,
        ),
        ci_brier="{:+.4f} to {:+.4f}".format(*ci["brier"]),
        ci_auc="{:+.3f} to {:+.3f}".format(*ci["auc"]),
        calib=table(["p bin", *(f"{n} {c}" for n in results for c in ("n", "mean p", "observed"))], calib),
        alarms=table(
            [
                "trajectories: model",
                "crossings warned",
                "lead, min: median (p10-p90)",
                "warnings on never-crossing",
                "false alarms / sensor-day",
            ],
            alarm_rows,
        ),
        sweep=table(
            [
                "model, thresholds",
                "crossings warned",
                "lead, min: median (p10-p90)",
                "warnings on never-crossing",
                "false alarms / sensor-day",
            ],
            sweep_rows,
        ),
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)


REPORT = """# Learned risk model vs the trend baseline — SIMULATED trajectories (issue #6)

**All data here is simulated** (`mineguard.warning.risk.trajectories`); nothing was measured in a mine. The
figures say how the two models behave on the kinds of rises the generator makes, not how they will
do on a real sensor. Generated by `benchmarks/warning_risk.py`; do not edit by hand.

- command: `{command}`
- date: {date}; wall time {wall} s
- machine at start: {machine}
- machine at end: {machine_end}
- data: train {n_train} trajectories of seed {a} (1 h each; {m.n_train:,} train / {m.n_val:,} validation
  windows, split by trajectory), test {n_test} fresh trajectories of seed {b} ({kinds}; {n_cross} have a
  reading past the limit). Levels 0.1-0.97 of the limit, reading noise 0.1-3 % of it, readings every
  5-30 s with jitter, drops and gaps; events are linear ramps, exponential approaches (half settling
  past the limit, half plateauing just below it), short spikes, or none.

## Training (seed {a})

Learned model: MLP 39-64-64-3 over the scale-free window features, quantiles 0.1/0.5/0.9 of the change
at +10 min, pinball loss, AdamW, early stop on the validation pinball loss: best epoch {m.best_epoch}
of {m.epochs_run}, validation pinball loss {m.val_loss:.4f} (limit units), 10-90 % interval coverage
{m.val_coverage:.3f} (0.80 if calibrated), validation Brier {m.val_brier:.4f} (positive rate
{m.val_positive_rate:.3f}); {m.seconds:.0f} s. Trend: `TrendModel(window_s=300, horizon_s=600)`, its
defaults (minimum sd 0.01 = 1 % of the limit here).

## Score level (test seed {b})

Every {every:g} s from 2 min after a trajectory's first reading, as the platform's job; scored are the
checks whose latest reading is inside the limit and whose +10 min lies inside the trajectory; label =
the simulated reading at +10 min is past the limit. Checks 10 s apart are strongly correlated: the
effective sample size is nearer the number of trajectories than of checks. Brier skill = 1 - Brier /
Brier of always predicting the positive rate.

{scores}

Learned minus trend, 95 % bootstrap interval over test trajectories ({n_boot} resamples): Brier
{ci_brier}, ROC-AUC {ci_auc}.

Calibration (predicted probability bin: number of checks, mean predicted, observed frequency):

{calib}

## Alarm level (raise_p {raise_p}, clear_p {clear_p}, the job's state machine)

A crossing is warned when a warning is active at the last check before the first reading past the
limit; lead = minutes from that warning's raise to the crossing reading. A false alarm is a warning
raised on a trajectory that never has a reading past the limit (per sensor-day of checks on those
trajectories; each trajectory is one sensor-hour). Warnings raised on crossing trajectories that
lapse before the crossing are not counted either way.

{alarms}

Other operating points (all trajectories; clear_p = min({clear_p}, raise_p / 2)): the same checks, other
thresholds, to compare the models at a similar false-alarm rate rather than at the same raise_p.

{sweep}

## Reading (of the default run; the seeds are fixed, so a rerun with the same thread count repeats it)

- Score level: the learned model is better calibrated (its 0.8-0.9 bin comes true 79 % of the time, the
  trend's 39 %; the trend puts most of its high probabilities in the 0.9-1.0 bin, where 62 % come true)
  and has the lower Brier score, with a bootstrap interval of the difference that excludes 0; its
  ROC-AUC is only slightly higher (0.750 vs 0.734, interval barely above 0). For both, 4 % of the
  checks given p < 0.1 do end past the limit: mostly, we expect, events whose onset lies after the check,
  which no window can see (not broken down here).
- Alarm level at the platform's raise_p 0.8: the learned model raises about a fifth as many warnings on
  never-crossing trajectories (28 vs 150; spikes and approaches that plateau below the limit fool the
  trend line) but also warns fewer crossings (130 vs 151 of 188), with a similar median lead (3.5 min).
  Its calibrated 0.8 is a stricter threshold than the trend's overconfident 0.8.
- At a matched false-alarm rate the learned model is ahead: at raise_p 0.5 it warns 163 crossings with
  8.8 false alarms per sensor-day, the trend at 0.8 warns 151 with 9.1 (and 143 with 7.4 at 0.9); its
  median lead is shorter (2.6 vs 3.5 min). Deploying it, raise_p 0.5-0.65 is the range to try.
- Exponential approaches are the hard case for both: 49 (learned) and 63 (trend) of 97 crossings
  warned, median lead about 1 min. The generator's time constants go down to 30 s, and such an approach
  crosses within a minute or two of its onset, before a 5-min window shows much of it.
- Caveats: simulated data only, generated by the same code for training and test (different seeds), so
  the learned model is tested on the distribution it was trained on, which flatters it; three trajectories
  in four hold an event, so "false alarms per sensor-day" is far above what a real, mostly quiet sensor
  would produce and only the comparison between the models means something. The learned model costs about
  ten times the trend's time per check (about 1 ms on one CPU thread): negligible for a job every 10 s.
"""


if __name__ == "__main__":
    main()
