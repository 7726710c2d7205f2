"""The one alarm evaluator: the streaming :class:`RuleEngine` over sensor and event signals.

Thresholds with durations and hysteresis, rates of change and combined rules, with input
provenance and ``adopt`` for rule swaps. The rules it runs are site data
(:mod:`mineguard.mine.rules`); their stored versions live in :mod:`mineguard.services.rules.store`.
"""

from mineguard.warning.rules.engine import RuleEngine, RuleTransition

__all__ = ["RuleEngine", "RuleTransition"]
