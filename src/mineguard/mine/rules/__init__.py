"""Rules as site data: regulation defaults, rule configs, the site file's ``rules:`` section.

``regulation`` holds the default multi-level thresholds cited from Chinese coal-mine
regulations (``Severity``, ``Threshold``), ``config`` the pydantic threshold and combined rule
records, ``site_rules`` a site's rule set (thresholds, combined rules, response texts, names,
escalation) checked against the site. Pure records: the streaming evaluator is
:mod:`mineguard.warning.rules`, the stored versions :mod:`mineguard.services.rules.store`.
"""

from mineguard.mine.rules.config import CombinedRule, Condition, Level, ThresholdRule
from mineguard.mine.rules.regulation import DEFAULT_THRESHOLDS, Severity, Threshold, defaults_for
from mineguard.mine.rules.site_rules import RulesConfig

__all__ = [
    "DEFAULT_THRESHOLDS",
    "CombinedRule",
    "Condition",
    "Level",
    "RulesConfig",
    "Severity",
    "Threshold",
    "ThresholdRule",
    "defaults_for",
]
