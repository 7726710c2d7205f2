"""Risk models: from a sensor's recent readings, how likely is it to reach its limit soon?

``RiskModel`` is the interface the platform calls (``services/alerts/risk_job.py``); models are
registered by name (``register_risk_model``, ``get_risk_model``). ``trend`` is the built-in
baseline (a linear trend with a prediction interval); the learned forecasters of seed 003 plug
in under their own names.
"""

from mineguard.risk.base import RiskAssessment, RiskModel, get_risk_model, list_risk_models, register_risk_model
from mineguard.risk.trend import TrendModel

__all__ = ["RiskAssessment", "RiskModel", "TrendModel", "get_risk_model", "list_risk_models", "register_risk_model"]
