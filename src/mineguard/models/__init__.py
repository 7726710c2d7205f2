"""Model zoo. Importing this package registers every model builder."""

from mineguard.models import (  # noqa: F401  (register the face, YOLOv3, YOLOv10, terrain and torchvision families)
    face,
    openpit,
    terrain_baselines,
    torchvision_detectors,
    yolov3,
    yolov10,
)
from mineguard.models.zoo import get_model, list_models, register_model

__all__ = ["get_model", "list_models", "register_model"]
