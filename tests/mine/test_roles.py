"""The four roles' permissions."""

from __future__ import annotations

import itertools

import pytest

from mineguard.mine.roles import PERMISSIONS, Permission, Role, can, roles_with

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
        P.VIEW_MODELS,
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
        (P.MANAGE_MODELS, [Role.SUPER_MANAGER]),
        (P.VIEW_MODELS, [Role.MANAGER, Role.SUPER_MANAGER]),
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
