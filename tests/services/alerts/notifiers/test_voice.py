from __future__ import annotations

import logging
import shutil
import sys
import wave
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from mineguard.services.alerts.notifiers import voice
from mineguard.services.alerts.notifiers.base import Notice
from mineguard.services.alerts.notifiers.config import parse_notifier_config
from mineguard.services.alerts.notifiers.dispatch import Dispatcher
from mineguard.services.alerts.notifiers.voice import NOT_INSTALLED, VoiceNotifier, speech_of

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")


def _assert_wav(data_or_path: bytes | Path, tmp_path: Path) -> None:
    path = data_or_path if isinstance(data_or_path, Path) else tmp_path / "got.wav"
    if not isinstance(data_or_path, Path):
        path.write_bytes(data_or_path)
    assert path.read_bytes()[:4] == b"RIFF" and path.read_bytes()[8:12] == b"WAVE"
    with wave.open(str(path)) as wav:
        assert wav.getnchannels() == 1 and wav.getframerate() > 8000
        assert wav.getnframes() / wav.getframerate() > 1.0  # a spoken sentence, not silence


def test_speech_text(notice: Notice) -> None:
    assert speech_of(notice) == "Critical. CH4 1.6 % at P3-N2 — withdraw people from Panel 3 and cut power"


def test_without_espeak_skips_once_clearly_and_is_not_retried(monkeypatch, caplog, tmp_path, notice) -> None:
    monkeypatch.setattr(voice.shutil, "which", lambda name: None)
    notifier = VoiceNotifier(parse_notifier_config({"type": "voice", "out_dir": str(tmp_path)}))
    with caplog.at_level(logging.WARNING):
        dispatcher = Dispatcher([notifier], retries=3, backoff_s=5)
        dispatcher.submit(notice)
        dispatcher.submit(notice)
        assert dispatcher.stop(timeout=2)
    assert [r.attempts for _, _, r in dispatcher.results] == [1, 1]
    assert all(not r.ok and r.skipped and r.detail == NOT_INSTALLED for _, _, r in dispatcher.results)
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and NOT_INSTALLED in warnings[0].getMessage()
    assert "apt-get install espeak-ng" in NOT_INSTALLED
    assert list(tmp_path.iterdir()) == []


@needs_espeak
def test_renders_a_valid_wav_and_plays_it(tmp_path, notice) -> None:
    check = "import sys, wave; wave.open(sys.argv[1]).close(); open(sys.argv[1] + '.played', 'w').close()"
    cfg = parse_notifier_config(
        {"type": "voice", "out_dir": str(tmp_path / "voice"), "play_command": [sys.executable, "-c", check]}
    )
    result = VoiceNotifier(cfg).send(notice, timeout_s=10)
    assert result.ok, result.detail
    (wav,) = (tmp_path / "voice").glob("*.wav")
    assert wav.name == "alert-7-raised-20260301T063000.wav"
    _assert_wav(wav, tmp_path)
    assert wav.with_name(wav.name + ".played").exists()


@needs_espeak
@pytest.mark.parametrize("upload", ["multipart", "raw"])
def test_posts_the_wav_to_the_pa_system(http_server, tmp_path, notice, upload) -> None:
    cfg = parse_notifier_config(
        {"type": "voice", "out_dir": str(tmp_path), "url": http_server.url, "upload": upload, "token": "pa"}
    )
    result = VoiceNotifier(cfg).send(notice, timeout_s=10)
    assert result.ok, result.detail
    (request,) = http_server.requests
    assert request.headers["authorization"] == "Bearer pa"
    if upload == "raw":
        assert request.headers["content-type"] == "audio/wav"
        _assert_wav(request.body, tmp_path)
    else:
        head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
        (part,) = message_from_bytes(head + request.body, policy=policy.default).iter_parts()
        assert part.get_param("name", header="content-disposition") == "file"
        assert part.get_content_type() == "audio/wav"
        _assert_wav(part.get_content(), tmp_path)


@needs_espeak
def test_failed_play_command_fails_the_delivery(tmp_path, notice) -> None:
    cfg = parse_notifier_config({"type": "voice", "out_dir": str(tmp_path), "play_command": ["false"]})
    result = VoiceNotifier(cfg).send(notice, timeout_s=10)
    assert not result.ok and "false failed (exit 1)" in result.detail
