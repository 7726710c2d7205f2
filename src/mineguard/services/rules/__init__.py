"""Threshold and combined rules over sensor and event signals: regulation defaults, configs, engine.

Pure Python: no database, no web framework. ``regulation`` holds the default multi-level
thresholds cited from Chinese coal-mine regulations, ``config`` the pydantic rule configs and
``engine`` the streaming evaluator that turns observations into :class:`RuleTransition` s,
``site_rules`` a site's rule set as data (the site file's ``rules:`` section) checked against the
site, ``store`` its versions in the database (file and API edits).
"""

from mineguard.services.rules.config import CombinedRule, Condition, Level, ThresholdRule
from mineguard.services.rules.engine import RuleEngine, RuleTransition
from mineguard.services.rules.regulation import DEFAULT_THRESHOLDS, Severity, Threshold, defaults_for
from mineguard.services.rules.site_rules import RulesConfig

__all__ = [
    "DEFAULT_THRESHOLDS",
    "CombinedRule",
    "Condition",
    "Level",
    "RuleEngine",
    "RuleTransition",
    "RulesConfig",
    "Severity",
    "Threshold",
    "ThresholdRule",
    "defaults_for",
]
