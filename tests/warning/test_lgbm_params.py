"""Both boosters' LightGBM parameters come from ``booster_params`` and are what each config set before."""

from __future__ import annotations

from mineguard.warning.forecast_lgbm import LightGBMConfig
from mineguard.warning.lgbm_params import booster_params
from mineguard.warning.window_gbm import WindowGBMConfig

SHARED = {"deterministic": True, "force_col_wise": True, "verbosity": -1}


def test_forecaster_params_are_unchanged() -> None:
    assert LightGBMConfig().params() == {
        "objective": "l1",
        "learning_rate": 0.03,
        "num_leaves": 15,
        "min_child_samples": 200,
        "feature_fraction": 0.7,
        "bagging_fraction": 0.8,
        "bagging_freq": 1,
        "lambda_l2": 1.0,
        "seed": 0,
        "num_threads": 1,
        **SHARED,
    }
    params = LightGBMConfig(objective="huber", bagging_fraction=1.0, seed=3, num_threads=4).params()
    assert (params["objective"], params["bagging_freq"], params["seed"], params["num_threads"]) == ("huber", 0, 3, 4)
    assert "num_class" not in params


def test_window_gbm_params_are_unchanged() -> None:
    params = WindowGBMConfig().params(6)
    assert params == {
        "objective": "multiclass",
        "num_class": 6,
        "learning_rate": 0.1,
        "num_leaves": 31,
        "min_child_samples": 20,
        "feature_fraction": 0.9,
        "bagging_fraction": 0.8,
        "bagging_freq": 1,
        "lambda_l2": 1.0,
        "seed": 0,
        "num_threads": 1,
        **SHARED,
    }
    assert list(params)[:2] == ["objective", "num_class"]
    assert WindowGBMConfig(bagging_fraction=1.0).params(4)["bagging_freq"] == 0


def test_booster_params_reads_any_config_with_the_names() -> None:
    config = WindowGBMConfig(learning_rate=0.2, num_leaves=7, lambda_l2=0.0)
    assert booster_params(config, objective="l2") == {
        **{k: v for k, v in config.params(2).items() if k not in ("objective", "num_class")},
        "objective": "l2",
    }
