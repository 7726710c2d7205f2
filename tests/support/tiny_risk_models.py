"""Tiny real risk models for the model-registry tests: a learned one trained in a fraction of a second, and
one whose weights are NaN (a real ``LearnedRiskModel`` that answers NaN probabilities and predictions)."""

from __future__ import annotations

import math
from pathlib import Path

import torch

from mineguard.warning.risk.learned import LearnedRiskModel
from mineguard.warning.risk.trajectories import train_learned_risk


def tiny_learned_risk(seed: int = 0) -> LearnedRiskModel:
    """A learned risk model trained on 10 simulated trajectories for 2 epochs (~0.1 s, one thread)."""
    torch.set_num_threads(1)
    model, _ = train_learned_risk(10, seed=seed, epochs=2)
    return model


def nan_risk_model(seed: int = 0) -> LearnedRiskModel:
    """A learned risk model whose output layer is NaN: every assessment has NaN numbers."""
    model = tiny_learned_risk(seed)
    with torch.no_grad():
        model.net.body[-1].bias.fill_(math.nan)
    return model


def saved(model: LearnedRiskModel, folder: Path, name: str) -> Path:
    return model.save(folder / name)
