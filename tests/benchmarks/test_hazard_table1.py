"""benchmarks/hazard_table1.py: every row names a zoo model and a training config the engine accepts."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import yaml

from mineguard.engine.config import load_train_config
from mineguard.models import list_models

ROOT = Path(__file__).resolve().parents[2]
_SPEC = importlib.util.spec_from_file_location("hazard_table1", ROOT / "benchmarks" / "hazard_table1.py")
hazard_table1 = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(hazard_table1)


@pytest.mark.parametrize("model", list(hazard_table1.ROWS))
def test_each_row_is_a_zoo_model_with_a_valid_config(model: str) -> None:
    column, config_name = hazard_table1.ROWS[model]
    assert model in list_models() and column
    values = yaml.safe_load((ROOT / "configs" / config_name).read_text())
    config = load_train_config({**values, "model": model}, source=config_name)
    assert config.epochs == 12 and config.img_size == 320 and config.data == "data/hazards_merged/data.yaml"


def test_the_rows_share_one_budget_and_differ_only_in_the_learning_rate() -> None:
    budgets = []
    for _, config_name in hazard_table1.ROWS.values():
        values = yaml.safe_load((ROOT / "configs" / config_name).read_text())
        budgets.append({k: v for k, v in values.items() if k != "lr0"})
    assert all(b == budgets[0] for b in budgets)
