"""MineGuard: AI mine-safety monitoring (detectors, identity, early warning, digital twin)."""

__version__ = "0.1.0"
