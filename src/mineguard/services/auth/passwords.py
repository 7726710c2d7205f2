"""Password hashing with argon2id (argon2-cffi), and random secrets for gateways and tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 8


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"password is too short — use at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def dummy_password_hash() -> str:
    """A hash of a random password with the service's parameters, made once: checking a password against
    it costs what checking a real user's costs (login answers in the same time for unknown users)."""
    return _hasher.hash(new_secret())


def new_secret() -> str:
    """A 256-bit URL-safe random secret (API tokens, gateway secrets)."""
    return secrets.token_urlsafe(32)


def digest_secret(secret: str) -> str:
    """SHA-256 of a random secret; enough for 256-bit secrets, and fast on every request."""
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: str, digest: str) -> bool:
    return hmac.compare_digest(digest_secret(secret), digest)
