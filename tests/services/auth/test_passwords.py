"""Password hashing and secrets (no database)."""

from __future__ import annotations

import pytest

from mineguard.services.auth.passwords import (
    MIN_PASSWORD_LENGTH,
    digest_secret,
    hash_password,
    new_secret,
    secret_matches,
    verify_password,
)


def test_hash_and_verify_password() -> None:
    hashed = hash_password("correct horse")
    assert hashed.startswith("$argon2id$") and "correct horse" not in hashed
    assert verify_password(hashed, "correct horse") is True
    assert verify_password(hashed, "correct horsE") is False
    assert verify_password("not-a-hash", "correct horse") is False
    assert hash_password("correct horse") != hashed  # salted


@pytest.mark.parametrize("password", ["", "short", "7chars!"])
def test_short_password_is_refused(password: str) -> None:
    assert len(password) < MIN_PASSWORD_LENGTH == 8
    with pytest.raises(ValueError, match="password is too short — use at least 8 characters"):
        hash_password(password)


def test_secrets() -> None:
    secret = new_secret()
    assert len(secret) == 43 and secret != new_secret()
    assert digest_secret("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert secret_matches(secret, digest_secret(secret))
    assert not secret_matches(secret + "x", digest_secret(secret))
