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


@pytest.fixture(scope="session")
def tiny_helmets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """data.yaml of a generated 64 px helmet / no_helmet set: 24 train, 8 val, 8 test images."""
    from mineguard.data.synthetic import generate_helmet_dataset

    return generate_helmet_dataset(
        tmp_path_factory.mktemp("tiny") / "set", n_train=24, n_val=8, n_test=8, img_size=64, seed=3
    )
