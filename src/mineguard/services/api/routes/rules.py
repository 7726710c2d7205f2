"""A site's rules (thresholds, combined rules, texts, escalation): read and edited by the super-manager.

``PUT /api/v1/rules`` replaces the whole ``rules`` section, all or nothing: a rule that names a
sensor kind, zone, zone kind, unit or signal the site lacks answers 422 naming the field
(``rules.thresholds[0].zone``; in ``details`` as a ``loc`` with the fix) and nothing changes; an
``expected_version`` that is not the current version answers 409. An accepted set becomes a new
version (audited with who, when, the old and the new rules) and the alert pipeline runs it from the
next reading on, without a restart. ``GET`` also lists the regulation's thresholds the site gets by
default, which a threshold of the same id replaces (the dashboard's rule editor offers them).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from mineguard.mine.roles import Permission
from mineguard.mine.rules.config import base_kind
from mineguard.mine.rules.site_rules import RulesError, site_defaults
from mineguard.mine.units import CANONICAL_UNITS, accepted_units
from mineguard.services.api.deps import Unit, UnitDep, require
from mineguard.services.api.errors import ApiError, FieldProblem
from mineguard.services.api.responses import raises
from mineguard.services.api.schemas.rules import RulesIn, RulesOut, RuleVersionOut
from mineguard.services.events import TwinEvent
from mineguard.services.rules import store
from mineguard.services.storage.models import RuleVersion, Site, User

router = APIRouter(prefix="/api/v1/rules", tags=["thresholds"])
Super = require(Permission.SET_THRESHOLDS)


def _out(unit: Unit, row: RuleVersion) -> dict[str, Any]:
    pipeline = unit.ctx.pipeline
    running = pipeline.version if pipeline is not None else None
    facts = store.site_facts(unit.session, unit.ctx.site_id)
    units = {kind: accepted_units(kind) for kind in sorted(facts.sensor_zones) if kind in CANONICAL_UNITS}
    defaults = [  # with their unit written out, so an override copied from one says what it is in
        rule.model_copy(update={"unit": CANONICAL_UNITS.get(base_kind(rule.kind))}).model_dump(mode="json")
        for rule in site_defaults(facts)
    ]
    version = RuleVersionOut.model_validate(row).model_dump()
    extra = {"running_version": running, "regulation_defaults": defaults, "units": units}
    return {**version, "rules": row.rules, **extra}


@router.get("", response_model=RulesOut, summary="(super-manager) the current rules and their version")
@raises(404)
def get_rules(unit: UnitDep, user: User = Super) -> dict[str, Any]:
    row = store.latest(unit.session, unit.ctx.site_id)
    if row is None:
        site = unit.session.get(Site, unit.ctx.site_id)
        raise ApiError(404, f"no rule version for site {site.id if site else unit.ctx.site_id} — restart the service")
    return _out(unit, row)


@router.put("", response_model=RulesOut, summary="(super-manager) replace the rules: validated, versioned, audited")
@raises(409)
def put_rules(body: RulesIn, unit: UnitDep, user: User = Super) -> dict[str, Any]:
    try:
        edit = store.edit(
            unit.session,
            unit.ctx.site_id,
            body.rules,
            actor=user.username,
            expected_version=body.expected_version,
            reason=body.reason,
        )
    except store.VersionConflict as exc:
        raise ApiError(409, str(exc)) from None
    except RulesError as exc:
        problems = [f"rules.{problem}" for problem in exc.problems]
        details = [FieldProblem.of(("rules", *problem.loc), problem.message) for problem in exc.problems]
        message = "the rules do not fit the site: " + "; ".join(problems)
        raise ApiError(422, message, problems, details=details) from None
    version, pipeline = edit.row.version, unit.ctx.pipeline
    if pipeline is not None:  # after the commit: the running pipeline takes the new version
        unit.after(lambda: pipeline.replace_rules(body.rules, version=version))
    unit.emit(TwinEvent("rules.changed", {"version": version, "actor": user.username}, permission=Permission.VIEW_MAP))
    out = _out(unit, edit.row)
    return {**out, "running_version": version if pipeline is not None else out["running_version"]}


@router.get("/versions", response_model=list[RuleVersionOut], summary="(super-manager) rule versions, newest first")
def list_versions(unit: UnitDep, limit: int = Query(100, ge=1, le=1000), user: User = Super) -> list[RuleVersion]:
    return store.versions(unit.session, unit.ctx.site_id, limit=limit)
