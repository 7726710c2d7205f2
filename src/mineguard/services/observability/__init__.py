"""What the running service tells monitoring: Prometheus metrics, security headers on every response."""

from mineguard.services.observability.metrics import ServiceMetrics
from mineguard.services.observability.middleware import HttpMetrics, SecurityHeaders

__all__ = ["HttpMetrics", "SecurityHeaders", "ServiceMetrics"]
