"""benchmarks/faces_unseen_report.py: ``--carry-over`` keeps an earlier run's rows of models not rerun."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "faces_unseen_report.py"
_SPEC = importlib.util.spec_from_file_location("faces_unseen_report", _PATH)
report = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(report)


def _row(model: str, f1: float, seed: int = 0) -> dict:
    return {"model": model, "seed": seed, "condition": "clean", "f1": f1}


def test_rows_not_rerun_are_carried_and_rerun_ones_replaced():
    earlier = {
        "date": "2026-12-05 18:19 UTC",
        "meta": {"dsr": {"mb": 1.4, "ms": 12.7}, "dlib": {"mb": 30.2, "ms": 297.5}},
        "rows": [_row("dsr", 0.70), _row("dsr", 0.72, seed=1), _row("dlib", 0.50)],
    }
    rows, meta, carried = report.carry_over([_row("dlib", 0.98)], {"dlib": {"mb": 30.2, "ms": 150.0}}, earlier)
    assert carried == ["dsr"]
    assert sorted((r["model"], r["f1"]) for r in rows) == [("dlib", 0.98), ("dsr", 0.70), ("dsr", 0.72)]
    assert meta == {"dlib": {"mb": 30.2, "ms": 150.0}, "dsr": {"mb": 1.4, "ms": 12.7}}


def test_nothing_to_carry_from_an_empty_file():
    rows, meta, carried = report.carry_over([_row("pixels", 0.8)], {"pixels": {"mb": 0, "ms": 0}}, {})
    assert carried == [] and len(rows) == 1 and list(meta) == ["pixels"]


@pytest.mark.parametrize("earlier", [{"rows": []}, {"meta": {}, "rows": []}])
def test_an_earlier_file_without_rows_carries_nothing(earlier):
    assert report.carry_over([], {}, earlier) == ([], {}, [])
