"""Without the extra, the cluster says which one to install; the rest of MineGuard never imports Ray."""

from __future__ import annotations

import subprocess
import sys

import pytest

from mineguard.cluster.engine import ClusterUnavailable, require_ray


def test_missing_ray_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # what `import ray` sees when it is not installed
    with pytest.raises(ClusterUnavailable, match=r"pip install 'mineguard\[cluster\]'"):
        require_ray()


def test_the_cli_and_the_service_start_without_loading_ray() -> None:
    code = "import sys, mineguard.cli, mineguard.services.api.main, mineguard.cluster.plan; print('ray' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
