"""The hazard classes the multimodal early-warning model tells apart (seed 003 §3.2), and how people read them.

The vocabulary lives in the domain so that a site file can name them (``early_warning.hazard_actions``)
without the mine depending on a model; ``warning/multimodal.py`` builds its data set on it.
"""

from __future__ import annotations

HAZARDS: tuple[str, ...] = ("none", "gas", "fire", "belt", "roof", "ppe")
HAZARD_NAMES: dict[str, str] = {  # how an alert names each hazard class
    "none": "No",
    "gas": "Gas",
    "fire": "Fire",
    "belt": "Belt drive",
    "roof": "Roof",
    "ppe": "PPE",
}
