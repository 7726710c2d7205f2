"""Voice notifier: "<severity>. <message>" spoken to a WAV by espeak-ng, then played and/or posted.

espeak-ng is a system package (``apt-get install espeak-ng``); when it is not installed the
notice is skipped with a clear result and one warning in the log, and never retried. The WAV is
written to ``out_dir``; ``play_command`` (e.g. ``["aplay", "-q"]``) plays it on this machine and
``url`` posts it to a public-address system, as multipart (field ``file``) or raw ``audio/wav``.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Annotated, Literal

import httpx
from pydantic import AfterValidator, Field, SecretStr

from mineguard.services.alerts.notifiers._http import http_result, http_url
from mineguard.services.alerts.notifiers.base import (
    DeliveryResult,
    Notice,
    Notifier,
    NotifierConfigBase,
    register_notifier,
)

log = logging.getLogger(__name__)
NOT_INSTALLED = "espeak-ng is not installed — apt-get install espeak-ng; voice notice skipped"


class VoiceConfig(NotifierConfigBase):
    type: Literal["voice"] = "voice"
    out_dir: Path = Field(default_factory=lambda: Path(tempfile.gettempdir()) / "mineguard-voice")
    voice: str | None = Field(None, description="espeak-ng voice, e.g. 'en-us'.")
    words_per_minute: int = Field(150, ge=80, le=450)
    play_command: list[str] | None = Field(None, min_length=1, description="e.g. ['aplay', '-q']; the WAV follows.")
    url: Annotated[str, AfterValidator(http_url)] | None = None
    upload: Literal["multipart", "raw"] = "multipart"
    token: SecretStr | None = None


def speech_of(notice: Notice) -> str:
    return f"{str(notice.severity).capitalize()}. {' '.join(notice.message.split())}"


def wav_name(notice: Notice) -> str:
    stamp = notice.t.strftime("%Y%m%dT%H%M%S")
    return re.sub(r"[^A-Za-z0-9_.-]", "_", f"alert-{notice.alert_id}-{notice.kind}-{stamp}.wav")


@register_notifier("voice")
class VoiceNotifier(Notifier):
    config: VoiceConfig

    def __init__(self, config: VoiceConfig) -> None:
        super().__init__(config)
        self._warned = False

    def render(self, notice: Notice, espeak: str, timeout_s: float) -> Path:
        self.config.out_dir.mkdir(parents=True, exist_ok=True)
        path = self.config.out_dir / wav_name(notice)
        command = [espeak, "-w", str(path), "-s", str(self.config.words_per_minute)]
        if self.config.voice:
            command += ["-v", self.config.voice]
        run = subprocess.run(
            [*command, "--stdin"],
            input=speech_of(notice),
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
        if run.returncode != 0 or not path.is_file() or path.stat().st_size == 0:
            raise RuntimeError(f"espeak-ng failed (exit {run.returncode}): {run.stderr.strip()[:200]}")
        return path

    def send(self, notice: Notice, *, timeout_s: float = 5.0) -> DeliveryResult:
        espeak = shutil.which("espeak-ng")
        if espeak is None:
            if not self._warned:
                self._warned = True
                log.warning("voice notifier %s: %s", self.name, NOT_INSTALLED)
            return DeliveryResult(ok=False, detail=NOT_INSTALLED, skipped=True)
        path = self.render(notice, espeak, timeout_s)
        done = [f"wav {path}"]
        if self.config.play_command:
            play = subprocess.run(
                [*self.config.play_command, str(path)],
                capture_output=True,
                text=True,
                timeout=max(timeout_s, 60.0),
                check=False,
            )
            if play.returncode != 0:
                return DeliveryResult(
                    ok=False,
                    detail=f"{self.config.play_command[0]} failed "
                    f"(exit {play.returncode}): {play.stderr.strip()[:200]}",
                )
            done.append(f"played with {self.config.play_command[0]}")
        if self.config.url:
            posted = self.post(path, timeout_s)
            if not posted.ok:
                return posted
            done.append(posted.detail)
        return DeliveryResult(ok=True, detail="; ".join(done))

    def post(self, path: Path, timeout_s: float) -> DeliveryResult:
        cfg = self.config
        assert cfg.url is not None
        headers = {} if cfg.token is None else {"Authorization": f"Bearer {cfg.token.get_secret_value()}"}
        audio = path.read_bytes()
        with httpx.Client(timeout=timeout_s) as client:
            if cfg.upload == "multipart":
                response = client.post(cfg.url, files={"file": (path.name, audio, "audio/wav")}, headers=headers)
            else:
                response = client.post(cfg.url, content=audio, headers={**headers, "Content-Type": "audio/wav"})
        return http_result(response, f"PA system {cfg.url}")
