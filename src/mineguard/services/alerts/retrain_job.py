"""The scheduled retraining of the risk model (off by default): ``mineguard warn retrain --register`` every
``retrain_every_h`` hours, in a separate process.

The running service never imports the training engine (the ``services-no-training`` contract), so the job
starts the CLI as a child process of the same Python, with the service's database, site file and risk model
in its environment and ``retrain_options`` (shell words, e.g. ``--train-days 14 --replay-days 3``) on its
command line. The new model is added to the model registry as a version that does not serve: the replay
figures (false alarms per day, missed alarms, lead time, before and after) are in its metrics, and only the
super-manager can promote it. The child's output goes to the service log; a failed run is logged, and the
next one comes at its time.
"""

from __future__ import annotations

import logging
import os
import shlex
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from mineguard.services.settings import Settings

log = logging.getLogger(__name__)


def retrain_command(settings: Settings, now: datetime) -> list[str]:
    """The command line of one scheduled retraining (the model file named by ``now``)."""
    out = Path(settings.retrain_dir) / f"risk-{now:%Y%m%dT%H%M%S}.pt"
    options = shlex.split(settings.retrain_options)
    return [sys.executable, "-m", "mineguard", "warn", "retrain", "--register", "--out", str(out), *options]


def retrain_env(settings: Settings) -> dict[str, str]:
    """The service's environment, with the settings the child must share: database, site file, risk model."""
    env = dict(os.environ)
    env["MINEGUARD_DATABASE_URL"] = settings.database_url
    env["MINEGUARD_RISK_MODEL"] = settings.risk_model
    if settings.site_file is not None:
        env["MINEGUARD_SITE_FILE"] = str(settings.site_file)
    return env


def run_retrain(settings: Settings, now: datetime, *, timeout_s: float = 6 * 3600.0) -> bool:
    """One scheduled retraining; whether it finished and registered a version (its output is logged)."""
    command = retrain_command(settings, now)
    log.info("scheduled retraining of the risk model: %s", shlex.join(command[1:]))
    try:
        done = subprocess.run(
            command, env=retrain_env(settings), capture_output=True, text=True, timeout=timeout_s, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.error("scheduled retraining did not finish: %s", exc)
        return False
    for line in done.stdout.splitlines():
        log.info("retrain: %s", line)
    if done.returncode != 0:
        log.error("scheduled retraining failed (exit %d): %s", done.returncode, done.stderr.strip()[-2000:])
        return False
    return True
