"""One line describing the machine a benchmark ran on (CPU model, cores, library versions, load)."""

from __future__ import annotations

import contextlib
import os
import platform

import sklearn
import torch


def describe(threads: int) -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        names = [ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")]
        cpu = names[0] if names else cpu
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    return (
        f"{cpu}, {os.cpu_count()} logical cores, Python {platform.python_version()}, torch {torch.__version__}, "
        f"scikit-learn {sklearn.__version__}, {threads} torch thread(s), load average {load}"
    )
