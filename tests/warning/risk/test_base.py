"""``load_risk_model`` with options after the name: the trend model with a shorter window and horizon, and the
errors that name a bad option."""

from __future__ import annotations

import pytest

from mineguard.warning.risk import TrendModel, load_risk_model
from mineguard.warning.risk.base import parse_options


def test_options_after_the_name_build_the_model_with_them() -> None:
    model = load_risk_model("trend:window_s=60, min_span_s=20,horizon_s=180")
    assert isinstance(model, TrendModel)
    assert (model.window_s, model.min_span_s, model.horizon_s) == (60.0, 20.0, 180.0)
    assert isinstance(load_risk_model(" trend "), TrendModel) and load_risk_model("trend").window_s == 300.0
    assert parse_options("") == {} and parse_options("a=1,") == {"a": 1.0}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("trend:window_s", "name=number"),
        ("trend:window_s=abc", "name=number"),
        ("trend:window_s=nan", "name=number"),
        ("trend:1x=3", "name=number"),
        ("trend:windw_s=60", "trend takes window_s, horizon_s"),
        ("trend:window_s=60,min_span_s=120", "min_span_s must be in"),  # the model's own check
        ("nosuch:window_s=60", "unknown risk model"),
    ],
)
def test_bad_options_say_what_to_write(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        load_risk_model(spec)
