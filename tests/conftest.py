"""Shared fixtures: the real data beside the project (``../shared/data``), skipped when absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("MINEGUARD_SHARED_DATA", PROJECT_ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path to ``../shared/data``; skips the test with a reason when it is not there."""
    if not SHARED_DATA.is_dir():
        pytest.skip(
            f"real data not found at {SHARED_DATA} (a fresh clone has no ../shared); "
            "set MINEGUARD_SHARED_DATA to run real-data tests"
        )
    return SHARED_DATA
