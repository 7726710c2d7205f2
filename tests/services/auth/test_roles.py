"""The four roles' permissions, and password hashing (no database)."""

from __future__ import annotations

import itertools

import pytest

from mineguard.services.auth.passwords import (
    MIN_PASSWORD_LENGTH,
    digest_secret,
    hash_password,
    new_secret,
    secret_matches,
    verify_password,
)
from mineguard.services.auth.roles import PERMISSIONS, Permission, Role, can, roles_with

P = Permission
EXPECTED = {
    Role.OPERATOR: {P.VIEW_MAP, P.VIEW_OWN, P.ACK_ALERTS},
    Role.SUPERVISOR: {P.VIEW_MAP, P.VIEW_OWN, P.ACK_ALERTS, P.VIEW_CREW, P.CALL_HELP, P.RESOLVE_ALERTS},
    Role.MANAGER: {
        P.VIEW_MAP,
        P.VIEW_OWN,
        P.ACK_ALERTS,
        P.VIEW_CREW,
        P.CALL_HELP,
        P.RESOLVE_ALERTS,
        P.VIEW_ALL_STAFF,
        P.MANAGE_DEVICES,
        P.VIEW_AUDIT,
    },
    Role.SUPER_MANAGER: set(Permission),
}


@pytest.mark.parametrize("role", list(Role))
def test_permission_matrix(role: Role) -> None:
    assert PERMISSIONS[role] == EXPECTED[role]
    for permission in Permission:
        assert can(role, permission) is (permission in EXPECTED[role])
        assert can(str(role), permission) is (permission in EXPECTED[role])  # the stored string works too


@pytest.mark.parametrize(
    ("permission", "roles"),
    [
        (P.SET_THRESHOLDS, [Role.SUPER_MANAGER]),
        (P.MANAGE_USERS, [Role.SUPER_MANAGER]),
        (P.MANAGE_DEVICES, [Role.MANAGER, Role.SUPER_MANAGER]),
        (P.VIEW_ALL_STAFF, [Role.MANAGER, Role.SUPER_MANAGER]),
        (P.CALL_HELP, [Role.SUPERVISOR, Role.MANAGER, Role.SUPER_MANAGER]),
        (P.VIEW_CREW, [Role.SUPERVISOR, Role.MANAGER, Role.SUPER_MANAGER]),
        (P.VIEW_OWN, list(Role)),
    ],
)
def test_roles_with(permission: Permission, roles: list[Role]) -> None:
    assert roles_with(permission) == roles


def test_key_rules_of_the_role_model() -> None:
    assert not can(Role.OPERATOR, P.VIEW_CREW)
    assert can(Role.SUPERVISOR, P.CALL_HELP)
    assert not can(Role.MANAGER, P.SET_THRESHOLDS)
    # each role can do everything the one below it can
    ladder = [Role.OPERATOR, Role.SUPERVISOR, Role.MANAGER, Role.SUPER_MANAGER]
    for lower, higher in itertools.pairwise(ladder):
        assert PERMISSIONS[lower] < PERMISSIONS[higher]


def test_unknown_role_is_refused() -> None:
    with pytest.raises(ValueError, match="'admin' is not a valid Role"):
        can("admin", P.VIEW_MAP)


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
