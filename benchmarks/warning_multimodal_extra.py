"""Helpers of ``warning_multimodal.py``: rows carried over from an earlier page, and the sections on calibration,
per-modality pre-training and training-set size (the evidence of why the paper's fusion model lost)."""

from __future__ import annotations

import math
import re
from pathlib import Path

SECTIONS = {  # the page's tables, by the start of their heading
    "## Hazard identification": "hazard",
    "## A modality removed": "drop",
    "## Alarm level against the threshold rule (alarm on one window": "k1",
    "## Alarm level against the threshold rule (alarm on two windows": "k2",
}
CARRIED = "carried over from the run of {date}"


def _label(row: str) -> str:
    cell = row.split("|")[1].strip()
    return re.sub(r" \(p >= [0-9.]+\)$", "", cell)


def carry_rows(page: Path, keep_out: set[str]) -> dict:
    """The table rows of an earlier page, by section, except the rule's and those labelled in ``keep_out``
    (runs measured afresh); with the page's date and command, to mark them."""
    text = page.read_text()
    date = re.search(r"- date \(UTC\): ([0-9T:+-]+)", text)
    command = re.search(r"- command: `([^`]+)`", text)
    rule: dict[str, str] = {}
    rows: dict[str, list[str]] = {k: [] for k in SECTIONS.values()}
    section = None
    for line in text.splitlines():
        if line.startswith("## "):
            section = next((k for head, k in SECTIONS.items() if line.startswith(head)), None)
        elif section and line.startswith("| ") and not line.startswith(("| model", "| alarms", "|---")):
            label = _label(line)
            if label == "threshold rule":
                rule[section] = line
            elif label not in keep_out:
                rows[section].append(line)
    return {
        "date": date.group(1)[:10] if date else "an earlier date",
        "command": command.group(1) if command else "?",
        "rule": rule,
        "rows": rows,
    }


def mark(row: str, date: str) -> str:
    """``row`` with its label marked as carried over (once)."""
    if "carried over" in row:
        return row
    cells = row.split("|")
    label = cells[1].strip()
    p = re.search(r" \(p >= [0-9.]+\)$", label)
    base = label[: p.start()] if p else label
    cells[1] = f" {base} *({CARRIED.format(date=date)})*{p.group(0) if p else ''} "
    return "|".join(cells)


def _f(x, fmt: str = "{:.3f}") -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else fmt.format(x)


def extra_sections(results: dict[str, dict], order: list[str], labels: dict[str, str]) -> list[str]:
    lines = [
        "",
        "## Calibration of the alarm score (test windows, runs of this date)",
        "",
        "The alarm score is P(some hazard) = 1 - P(none); truth: the window's hazard is not none. Brier score and "
        "expected calibration error over 10 equal-width bins (lower is better); a well-calibrated score's mean "
        "equals the hazard rate.",
        "",
        "| model | Brier | ECE | mean score | hazard rate |",
        "|---|---|---|---|---|",
    ]
    for r in order:
        c = results[r].get("calibration")
        if c:
            lines.append(
                f"| {labels[r]} | {_f(c['brier'])} | {_f(c['ece'])} | {_f(c['mean_score'])} | {_f(c['rate'])} |"
            )
    pre = [r for r in order if results[r].get("pretrain")]
    if pre:
        lines += [
            "",
            "## Per-modality pre-training: each encoder alone (validation windows that have the modality)",
            "",
            "| run | modality | training windows | best epoch | val hazard macro-F1 alone | val risk macro-F1 alone "
            "| time (s) |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in pre:
            for p in results[r]["pretrain"]:
                lines.append(
                    f"| {labels[r]} | {p['modality']} | {p['windows']:,} | {p['best_epoch']} | "
                    f"{_f(p['val_hazard_macro_f1'])} | {_f(p['val_risk_macro_f1'])} | {p['seconds']:.0f} |"
                )
    curve = [r for r in order if "train_episodes" in results[r]]
    if curve:
        lines += [
            "",
            "## Training-set size: LightGBM on the first N training episodes (same validation and test)",
            "",
            "| training episodes | windows | hazard macro-F1 | risk macro-F1 | events detected (k=1) | "
            "false alarms / day | boosting rounds (hazard / risk) | fit (s) |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for r in sorted(curve, key=lambda r: results[r]["train_episodes"]):
            x, a, it = results[r], results[r]["alarm"]["k1"], results[r]["best_iterations"]
            lines.append(
                f"| {x['train_episodes']} | {x['train_windows']:,} | {_f(x['test']['full']['hazard_macro_f1'])} | "
                f"{_f(x['test']['full']['risk_macro_f1'])} | {a['detected']}/{a['events']} | {a['fa_per_day']:.1f} | "
                f"{it['hazard']} / {it['risk']} | {x['fit_s']:.0f} |"
            )
    return lines
