"""Optimiser parameter groups and the warm-up + cosine learning-rate schedule."""

from __future__ import annotations

import math

import torch
from torch import nn


def build_sgd(model: nn.Module, *, lr: float, momentum: float, nesterov: bool, weight_decay: float) -> torch.optim.SGD:
    """SGD with weight decay on conv/linear weights only (not on norms or biases)."""
    decay, no_decay = [], []
    for module in model.modules():
        for name, param in module.named_parameters(recurse=False):
            if not param.requires_grad:
                continue
            is_norm = isinstance(module, nn.modules.batchnorm._BatchNorm | nn.GroupNorm | nn.LayerNorm)
            (no_decay if name == "bias" or is_norm else decay).append(param)
    return torch.optim.SGD(
        [
            {"params": decay, "weight_decay": weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ],
        lr=lr,
        momentum=momentum,
        nesterov=nesterov,
    )


def cosine_lr(progress: float, *, lr0: float, lrf: float) -> float:
    """Cosine annealing from lr0 (progress 0) to lr0·lrf (progress 1)."""
    progress = min(max(progress, 0.0), 1.0)
    return lr0 * (lrf + (1 - lrf) * 0.5 * (1 + math.cos(math.pi * progress)))


def warmup_factor(iteration: int, warmup_iterations: int) -> float:
    """Linear ramp 0 -> 1 over ``warmup_iterations`` optimiser steps."""
    if warmup_iterations <= 0 or iteration >= warmup_iterations:
        return 1.0
    return (iteration + 1) / warmup_iterations
