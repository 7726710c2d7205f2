"""LightGBM's training parameters as every booster of ours sets them (``forecast_lgbm``, ``window_gbm``).

The configs keep LightGBM's own names; :func:`booster_params` adds what both share and never vary: bagging
every iteration when it samples rows (``bagging_fraction < 1``), a deterministic column-wise build (the same
boosters from the same data, seed and threads) and no LightGBM console output.
Ke et al. 2017, "LightGBM: A highly efficient gradient boosting decision tree", NeurIPS.
"""

from __future__ import annotations

from typing import Protocol


class BoosterConfig(Protocol):
    """The hyper-parameters (LightGBM's names) a booster config carries."""

    @property
    def learning_rate(self) -> float: ...
    @property
    def num_leaves(self) -> int: ...
    @property
    def min_child_samples(self) -> int: ...
    @property
    def feature_fraction(self) -> float: ...
    @property
    def bagging_fraction(self) -> float: ...
    @property
    def lambda_l2(self) -> float: ...
    @property
    def seed(self) -> int: ...
    @property
    def num_threads(self) -> int: ...


def booster_params(config: BoosterConfig, *, objective: str, num_class: int | None = None) -> dict[str, object]:
    """The ``params`` of ``lgb.train`` for ``config``; ``num_class`` for a multiclass ``objective``."""
    head: dict[str, object] = {"objective": objective}
    if num_class is not None:
        head["num_class"] = num_class
    return {
        **head,
        "learning_rate": config.learning_rate,
        "num_leaves": config.num_leaves,
        "min_child_samples": config.min_child_samples,
        "feature_fraction": config.feature_fraction,
        "bagging_fraction": config.bagging_fraction,
        "bagging_freq": 1 if config.bagging_fraction < 1.0 else 0,
        "lambda_l2": config.lambda_l2,
        "seed": config.seed,
        "num_threads": config.num_threads,
        "deterministic": True,
        "force_col_wise": True,
        "verbosity": -1,
    }
