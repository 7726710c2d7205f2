"""Model zoo. Importing this package registers every model builder."""

from mineguard.models import face, yolov3, yolov10  # noqa: F401  (register the face, YOLOv3 and YOLOv10 families)
from mineguard.models.zoo import get_model, list_models, register_model

__all__ = ["get_model", "list_models", "register_model"]
