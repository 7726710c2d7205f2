"""The ``early_warning:`` section of a site file: what an early warning tells people to do.

Three jobs warn before a limit is reached: the risk job (a sensor heading for its regulation limit,
``services/alerts/risk_job.py``), the seismic job (a longwall's bump hazard for the next shift,
``services/alerts/seismic_job.py``) and the multimodal job (a hazard developing in a zone, from sensors and
cameras together, ``services/alerts/fusion_job.py``). The action each warning ends with is this mine's own::

    early_warning:
      actions:                 # the risk warning's action, per sensor kind (mine/units.py)
        methane: increase ventilation at {zone} and find the source
        co: look for heating or fire near {zone}; have self-rescuers ready
      seismic_action: check the destress measures and keep people out of the longwall's danger area
      hazard_actions:          # the multimodal model's warning, per hazard class (mine/hazards.py)
        gas: check the methane sensors and ventilation of {zone}

``{zone}`` is filled in with the zone's name (the sensor's zone; for the seismic warning the
longwall's; for the multimodal warning the zone judged); ``{{`` and ``}}`` write a brace. A kind or
hazard without a text, or a site without the section, gets :data:`GENERIC_ACTION`, which names
nothing of any mine. The seismic action has a key of its
own rather than an entry in ``actions``: it belongs to a longwall's hazard, not to a sensor kind.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from mineguard.mine.hazards import HAZARDS
from mineguard.mine.rules.config import Text
from mineguard.mine.rules.site_rules import check_action_text
from mineguard.mine.units import CANONICAL_UNITS

GENERIC_ACTION = "check {zone}"


def _known_kind(kind: str) -> str:
    if kind not in CANONICAL_UNITS:
        raise ValueError(f"{kind!r} is not a sensor kind — use one of: {', '.join(CANONICAL_UNITS)}")
    return kind


def _known_hazard(hazard: str) -> str:
    if hazard not in HAZARDS[1:]:
        raise ValueError(f"{hazard!r} is not a hazard class — use one of: {', '.join(HAZARDS[1:])}")
    return hazard


SensorKind = Annotated[str, AfterValidator(_known_kind)]
Hazard = Annotated[str, AfterValidator(_known_hazard)]
ActionText = Annotated[Text, Field(min_length=1), AfterValidator(check_action_text)]


class EarlyWarningConfig(BaseModel):
    """The site file's ``early_warning:`` section; empty (the default), every warning gets the generic action."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    actions: dict[SensorKind, ActionText] = Field(default_factory=dict)
    seismic_action: ActionText | None = None
    hazard_actions: dict[Hazard, ActionText] = Field(default_factory=dict)

    def risk_action(self, kind: str, zone_name: str) -> str:
        """The action of a risk warning on a ``kind`` sensor in the zone called ``zone_name``."""
        return self.actions.get(kind, GENERIC_ACTION).format(zone=zone_name)

    def seismic(self, longwall_name: str) -> str:
        """The action of a seismic hazard warning on the longwall called ``longwall_name``."""
        return (self.seismic_action or GENERIC_ACTION).format(zone=longwall_name)

    def hazard_action(self, hazard: str, zone_name: str) -> str:
        """The action of a multimodal warning of ``hazard`` developing in the zone called ``zone_name``."""
        return self.hazard_actions.get(hazard, GENERIC_ACTION).format(zone=zone_name)
