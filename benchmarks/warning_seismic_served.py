"""The served seismic hazard model against its rule, on real shifts and on simulated ones (issue #18).

1. Real data (UCI seismic-bumps, time-ordered): the model ``mineguard warn train seismic`` makes
   (``warning.seismic_served.train_seismic``: fitted on the first 75 % of the shifts) and the
   ``ghazard``-style rule it falls back to, on the last 25 %: ROC-AUC with bootstrap intervals, and the
   model's recall at the rule's false-alarm rate (oracle, on the test) and at its own threshold (set on
   the development shifts). The mine's own ``ghazard`` column is shown for reference.
2. Simulated shifts (``sim/seismic.py`` with the sample site's shifts and longwalls): the live path
   (``seismic_live.aggregate_shift`` / ``shift_row`` on the simulated readings) and how often the model and
   the rule would warn per longwall and shift — the simulated seismicity is not the real mine's, so this
   measures the alarm load on a plausible stream, not accuracy.

    python benchmarks/warning_seismic_served.py --data ../shared/data/sensors/seismic_bumps/seismic-bumps-dev.csv
"""

from __future__ import annotations

import argparse
import datetime as dt
import shlex
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from machine_info import describe
from mineguard.evaluation.alarms import bootstrap_interval, roc_auc, threshold_at_false_alarm_rate
from mineguard.mine.shifts import shift_periods
from mineguard.mine.site import load_site
from mineguard.sim.seismic import SeismicField
from mineguard.warning.seismic import hazard_level, load_seismic_bumps, shift_split
from mineguard.warning.seismic_live import aggregate_shift, shift_row
from mineguard.warning.seismic_served import SeismicRule, rows_of, train_seismic

OUT = Path("docs/results/warning_seismic_served.md")


def recall_far(scores: np.ndarray, y: np.ndarray, t: float) -> tuple[int, int, float]:
    alarm = scores >= t
    return int(alarm[y == 1].sum()), int((y == 1).sum()), float(alarm[y == 0].mean())


def real_data(path: Path, n_boot: int) -> list[str]:
    shifts = load_seismic_bumps(path)
    model = train_seismic(shifts)
    rows = rows_of(shifts)
    test = shift_split(len(rows), test_frac=0.25, val_frac=0.0).test
    y = shifts.labels[test]
    rule = SeismicRule()
    scored = {
        "served logistic (JSON)": model.scores(rows[test]),
        "rule: geophone deviations (the fall-back)": np.array([rule.probability(r) for r in rows[test]]),
        "rule: ghazard column (the mine's own, not live)": hazard_level(shifts.take(test)) / 3.0,
    }
    rule_scores = scored["rule: geophone deviations (the fall-back)"]
    rule_far = float((rule_scores >= rule.threshold)[y == 0].mean())
    lines = [
        "| scores | ROC-AUC | 95 % CI (shifts) | 95 % CI (3-day blocks) |",
        "|---|---|---|---|",
    ]
    for name, s in scored.items():
        lo, hi = bootstrap_interval(roc_auc, s, y, n_resamples=n_boot)
        blo, bhi = bootstrap_interval(roc_auc, s, y, n_resamples=n_boot, block=9)
        lines.append(f"| {name} | {roc_auc(s, y):.3f} | {lo:.3f}-{hi:.3f} | {blo:.3f}-{bhi:.3f} |")
    s = scored["served logistic (JSON)"]
    oracle = threshold_at_false_alarm_rate(s, y, rule_far)
    alarms = [
        ("rule: geophone deviations, level >= b", rule_scores, rule.threshold),
        ("served model at the rule's test FAR (oracle)", s, oracle),
        (f"served model at its own threshold (p >= {model.threshold:.3f}, set on development)", s, model.threshold),
    ]
    ghazard = scored["rule: ghazard column (the mine's own, not live)"]
    alarms.append(("rule: ghazard >= b (reference)", ghazard, 1 / 3))
    lines += ["", "| alarm | bumps warned of | recall | false-alarm rate |", "|---|---|---|---|"]
    for name, scores, t in alarms:
        hit, n, far = recall_far(scores, y, t)
        lines.append(f"| {name} | {hit} / {n} | {hit / n:.3f} | {far:.3f} |")
    t = model.training
    head = [
        f"Model: C = {t['C']:g} (chosen by pooled out-of-fold ROC-AUC on `time_folds` of the development "
        f"shifts, {t['val_auc']:.3f}), threshold p >= {model.threshold:.3f} (out-of-fold FAR = the rule's, "
        f"{t['val_rule_far']:.3f}). Development rows 0-{test.start - 1}, test rows {test.start}-{len(rows) - 1}: "
        f"{len(y)} shifts, {int(y.sum())} followed by a bump >= 10^4 J. The rule's test false-alarm rate is "
        f"{rule_far:.3f}.",
        "",
    ]
    return head + lines, model


def simulated(model, days: int, seed: int, step_s: float) -> list[str]:
    site = load_site()
    longwalls = sorted({d.longwall for d in site.devices if d.longwall})
    field = SeismicField(longwalls, np.random.default_rng(seed))
    start = datetime(2026, 1, 1, tzinfo=UTC)
    windows = list(shift_periods(site.shifts, site.timezone, start, start + timedelta(days=days)))
    history: dict[str, list] = {lw: [] for lw in longwalls}
    warns = {("model", lw): 0 for lw in longwalls} | {("rule", lw): 0 for lw in longwalls}
    t = start
    rule = SeismicRule()
    probabilities = []
    for window in windows:
        while t < window.start:  # the gap between shifts (no cutting)
            field.step(step_s)
            t += timedelta(seconds=step_s)
        cutting = window.type == "work"
        readings: dict[str, list] = {lw: [] for lw in longwalls}
        while t < window.end:
            field.step(step_s)
            for lw in longwalls:
                for kind, device in (
                    ("geophone_energy", f"geo-{lw}"),
                    ("geophone_pulses", f"puls-{lw}"),
                    ("seismic_energy", f"seis-{lw}"),
                ):
                    readings[lw].append((device, kind, field.reading(kind, lw, step_s, cutting=cutting)))
            t += timedelta(seconds=step_s)
        for lw in longwalls:
            current = aggregate_shift(readings[lw], coal_getting=cutting)
            row = shift_row(current, history[lw])
            history[lw].append(current)
            if len(history[lw]) <= 8:
                continue  # the first shifts have no full deviation history
            a = model.assess(row)
            probabilities.append(a.probability)
            warns[("model", lw)] += a.warn
            warns[("rule", lw)] += rule.assess(row).warn
    judged = len(windows) - 8
    lines = [
        f"{days} simulated days, {len(windows)} shifts of the sample site ({', '.join(s.name for s in site.shifts)}; "
        f"work shifts cut the face), readings every {step_s:g} s, seed {seed}; the first 8 shifts only build the "
        f"deviation history, {judged} shifts judged per longwall. Model p: median {np.median(probabilities):.3f}, "
        f"90th percentile {np.percentile(probabilities, 90):.3f}.",
        "",
        "| longwall | served model: shifts warned | rule: shifts warned |",
        "|---|---|---|",
    ]
    for lw in longwalls:
        m, r = warns[("model", lw)], warns[("rule", lw)]
        lines.append(f"| {lw} | {m} / {judged} ({m / judged:.0%}) | {r} / {judged} ({r / judged:.0%}) |")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/sensors/seismic_bumps/seismic-bumps-dev.csv"))
    parser.add_argument("--bootstrap", type=int, default=1000)
    parser.add_argument("--sim-days", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--step-s", type=float, default=60.0)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    started = dt.datetime.now(dt.UTC)
    machine_start = describe(1)
    real, model = real_data(args.data, args.bootstrap)
    sim = simulated(model, args.sim_days, args.seed, args.step_s)
    text = [
        "# The served seismic hazard model vs its rule (issue #18)",
        "",
        f"- command: `python {shlex.join(sys.argv)}`",
        f"- date: {started:%Y-%m-%d %H:%M} UTC",
        f"- machine at start: {machine_start}",
        f"- machine at end: {describe(1)}",
        f"- data: `{args.data}` — UCI seismic-bumps (Sikora & Wróbel 2010), one row per 8-hour shift of two "
        "longwalls in time order; `class` 1 = a bump above 10^4 J in the NEXT shift. The last 20 % of the "
        "original file are sealed and were not read.",
        "",
        "## Real shifts: time-ordered test (the latest 25 %)",
        "",
        "The served model reads only what the live readings give (`warning.seismic_served.FEATURES`: shift type, "
        "the most active geophone's energy and pulses and their deviations from the previous 8 shifts, the "
        "shift's bumps, and the rule's level) — not the mine's `seismic` / `seismoacoustic` / `ghazard` "
        "assessments, which no sensor sends. Intervals: percentile bootstrap over shifts and over moving blocks "
        "of 9 shifts.",
        "",
        *real,
        "",
        "## Simulated shifts: how often it would warn",
        "",
        *sim,
        "",
        "## Reading",
        "",
        "The issue's goal (ROC-AUC >= 0.70 and recall >= 0.40 at the rule's false-alarm rate) is not reached by "
        "this live-feature model either; its interval is wide (24 test bumps). It does rank the test shifts "
        "better than the live rule and the mine's own `ghazard` assessment, which are at or below chance on this "
        "period. The simulated alarm load depends on the simulated seismicity (not fitted to the real mine).",
        "",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(text))
    print("\n".join(text))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
