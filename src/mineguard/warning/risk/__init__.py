"""Risk models: from a sensor's recent readings, how likely is it to reach its limit soon?

``RiskModel`` is the interface the platform calls (``services/alerts/risk_job.py``); models are
registered by name (``register_risk_model``, ``get_risk_model``) and ``load_risk_model(spec)`` takes
a name or the path of a saved model file (what the ``risk_model`` setting holds). ``trend`` is the
built-in baseline (a linear trend with a prediction interval); ``learned`` is a quantile regressor
trained on simulated trajectories (``learned``, ``trajectories`` in this package), read from its
``.pt`` file.
"""

from pathlib import Path

from mineguard.warning.risk.base import (
    RiskAssessment,
    RiskModel,
    get_risk_model,
    list_risk_models,
    load_risk_model,
    register_risk_model,
)
from mineguard.warning.risk.trend import TrendModel


@register_risk_model("learned")
def learned(*, path: str | Path | None = None) -> RiskModel:
    """The learned model saved at ``path``. Imported on use, so the platform loads torch only when it is chosen."""
    if path is None:
        raise ValueError("risk model 'learned' needs path=<saved .pt file> (from `mineguard warn train risk`)")
    from mineguard.warning.risk.learned import LearnedRiskModel

    return LearnedRiskModel.load(path)


__all__ = [
    "RiskAssessment",
    "RiskModel",
    "TrendModel",
    "get_risk_model",
    "list_risk_models",
    "load_risk_model",
    "register_risk_model",
]
