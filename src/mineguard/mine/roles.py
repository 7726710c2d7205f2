"""The four stakeholder roles of seed 004 §3.1.4 and what each may do.

- operator: the target of monitoring; sees only their own data (and the mine's alerts, which
  they may acknowledge: the escalation ladder starts with them).
- supervisor: sees their crew, can call for outside help and resolve alerts.
- manager: sees all staff health and locations; runs the IoT devices (gateways, tags); sees
  which model versions serve the early warnings.
- super-manager: everything a manager can, and the only role that changes thresholds,
  criteria, users' roles and which model version serves (add, promote, roll back).
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    OPERATOR = "operator"
    SUPERVISOR = "supervisor"
    MANAGER = "manager"
    SUPER_MANAGER = "super_manager"


class Permission(StrEnum):
    VIEW_MAP = "view_map"
    ACK_ALERTS = "ack_alerts"
    RESOLVE_ALERTS = "resolve_alerts"
    VIEW_OWN = "view_own"
    VIEW_CREW = "view_crew"
    CALL_HELP = "call_help"
    VIEW_ALL_STAFF = "view_all_staff"
    MANAGE_DEVICES = "manage_devices"
    VIEW_AUDIT = "view_audit"
    SET_THRESHOLDS = "set_thresholds"
    MANAGE_USERS = "manage_users"
    VIEW_MODELS = "view_models"
    MANAGE_MODELS = "manage_models"


_OPERATOR = {Permission.VIEW_MAP, Permission.VIEW_OWN, Permission.ACK_ALERTS}
_SUPERVISOR = _OPERATOR | {Permission.VIEW_CREW, Permission.CALL_HELP, Permission.RESOLVE_ALERTS}
_MANAGER = _SUPERVISOR | {
    Permission.VIEW_ALL_STAFF,
    Permission.MANAGE_DEVICES,
    Permission.VIEW_AUDIT,
    Permission.VIEW_MODELS,
}
_SUPER = _MANAGER | {Permission.SET_THRESHOLDS, Permission.MANAGE_USERS, Permission.MANAGE_MODELS}

PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OPERATOR: frozenset(_OPERATOR),
    Role.SUPERVISOR: frozenset(_SUPERVISOR),
    Role.MANAGER: frozenset(_MANAGER),
    Role.SUPER_MANAGER: frozenset(_SUPER),
}


def can(role: Role | str, permission: Permission) -> bool:
    return permission in PERMISSIONS[Role(role)]


def roles_with(permission: Permission) -> list[Role]:
    return [role for role in Role if permission in PERMISSIONS[role]]
