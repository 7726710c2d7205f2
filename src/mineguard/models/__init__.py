"""Model zoo. Importing this package registers every model builder."""

from mineguard.models import yolov10  # noqa: F401  (registers the YOLOv10 family)
from mineguard.models._registry import get_model, list_models, register_model

__all__ = ["get_model", "list_models", "register_model"]
