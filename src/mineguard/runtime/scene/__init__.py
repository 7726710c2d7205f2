"""What a camera's tracks mean for safety: regions drawn on the picture and the rules that turn
tracks into vision events (PPE, restricted entry, loitering, person in a machine's reach)."""

from mineguard.runtime.scene.judge import ClassRule, SceneJudge, SceneRules, VisionEvent
from mineguard.runtime.scene.regions import Region, SceneError, foot_point

__all__ = ["ClassRule", "Region", "SceneError", "SceneJudge", "SceneRules", "VisionEvent", "foot_point"]
