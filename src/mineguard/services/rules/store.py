"""Versions of a site's rule set in ``rule_versions``: the site file's, and the super-manager's API edits.

Every accepted rule set is a new row with the next version number (1, 2, ...), its origin
(``file`` or ``api``), who made it, when and why; the newest row is what runs. Each change of
version is written to the audit log (``rules.changed``) with the old and the new rules and a short
diff; version 1 changes nothing (it is the site file's rules as first loaded, which ``site.loaded``
records), so it has no entry of its own.

Which rules apply at start-up (:func:`sync_file_rules`), and why:

- the site file is the reviewed source of a site's rules, the API the super-manager's live edit.
  If the file's ``rules:`` section differs (sha256 of its canonical JSON) from the last version
  that came from the file, someone changed the file on purpose since: the file wins and becomes
  a new version, superseding API edits made before it;
- otherwise the newest version applies, so an API edit survives a restart for as long as nobody
  edits the file;
- a newest version that no longer fits the site (it names a zone or sensor the file has since
  dropped) is not applied: the file's rules become a new version, and the reason says why.

Nothing here talks to the running alert pipeline; the API route hands an accepted version to it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mineguard.mine.rules.site_rules import RulesConfig, RulesError, SiteFacts, SiteRules, build_rules
from mineguard.services.audit import log as audit
from mineguard.services.storage.models import RuleVersion, Site

FILE, API = "file", "api"


class VersionConflict(ValueError):
    """The rules changed since the caller read them (``expected_version`` is not the current one)."""


def canonical_json(config: RulesConfig) -> str:
    return json.dumps(config.dump(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def rules_sha256(config: RulesConfig) -> str:
    return hashlib.sha256(canonical_json(config).encode()).hexdigest()


def config_of(row: RuleVersion) -> RulesConfig:
    return RulesConfig.model_validate(row.rules)


def latest(session: Session, site_id: str, *, origin: str | None = None) -> RuleVersion | None:
    query = select(RuleVersion).where(RuleVersion.site_id == site_id)
    if origin is not None:
        query = query.where(RuleVersion.origin == origin)
    return session.scalars(query.order_by(RuleVersion.version.desc()).limit(1)).first()


def versions(session: Session, site_id: str, *, limit: int = 100) -> list[RuleVersion]:
    """The newest ``limit`` versions, newest first."""
    query = select(RuleVersion).where(RuleVersion.site_id == site_id).order_by(RuleVersion.version.desc())
    return list(session.scalars(query.limit(limit)))


def site_facts(session: Session, site_id: str) -> SiteFacts:
    """What the site's rules may name, from the site file as loaded (``sites.config``)."""
    site = session.get(Site, site_id)
    if site is None:
        raise LookupError(f"site {site_id!r} is not loaded — start the service with its site file")
    return SiteFacts.from_site_dict(site.config or {})


def _diff(old: RulesConfig, new: RulesConfig) -> dict[str, list[str]]:
    """Rule ids added, removed and changed, and the other sections that changed."""
    before = {r.id: r for r in (*old.thresholds, *old.combined)}
    after = {r.id: r for r in (*new.thresholds, *new.combined)}
    sections = ("regulation_defaults", "actions", "names", "escalation")
    return {
        "added": sorted(after.keys() - before.keys()),
        "removed": sorted(before.keys() - after.keys()),
        "changed": sorted(k for k in after.keys() & before.keys() if after[k] != before[k]),
        "sections": [s for s in sections if getattr(old, s) != getattr(new, s)],
    }


def save(
    session: Session,
    site_id: str,
    config: RulesConfig,
    *,
    origin: str,
    actor: str,
    reason: str | None = None,
    file_sha256: str | None = None,
) -> RuleVersion:
    """Append the next version and its audit entry, in the caller's transaction."""
    previous = latest(session, site_id)
    number = (session.scalar(select(func.max(RuleVersion.version)).where(RuleVersion.site_id == site_id)) or 0) + 1
    row = RuleVersion(
        site_id=site_id,
        version=number,
        rules=config.dump(),
        origin=origin,
        file_sha256=file_sha256,
        actor=actor,
        reason=reason,
    )
    session.add(row)
    session.flush()
    if previous is None:
        return row  # the first version: the site file as loaded (see the module docs)
    audit.append(
        session,
        actor=actor,
        action="rules.changed",
        subject=f"site:{site_id}:rules",
        payload={
            "version": {"from": previous.version, "to": number},
            "origin": origin,
            "reason": reason,
            "diff": _diff(config_of(previous), config),
            "old": previous.rules,
            "new": row.rules,
        },
    )
    return row


def sync_file_rules(session: Session, site_id: str, file_rules: RulesConfig, *, actor: str = "system") -> RuleVersion:
    """The version to run at start-up (see the module docs); writes a new one when the file wins."""
    digest = rules_sha256(file_rules)
    from_file = latest(session, site_id, origin=FILE)
    newest = latest(session, site_id)
    if from_file is None or from_file.file_sha256 != digest:
        why = "first load of the site file" if from_file is None else "the site file's rules changed"
        return save(session, site_id, file_rules, origin=FILE, actor=actor, reason=why, file_sha256=digest)
    assert newest is not None  # from_file is a version
    try:
        build_rules(config_of(newest), site_facts(session, site_id))
    except (RulesError, ValueError) as exc:
        why = f"version {newest.version} no longer fits the site ({exc}); the site file's rules apply"
        return save(session, site_id, file_rules, origin=FILE, actor=actor, reason=why, file_sha256=digest)
    return newest


@dataclass(frozen=True)
class Edit:
    """An accepted edit: the version written and the rules built from it (for the running pipeline)."""

    row: RuleVersion
    built: SiteRules


def edit(
    session: Session,
    site_id: str,
    config: RulesConfig,
    *,
    actor: str,
    expected_version: int | None = None,
    reason: str | None = None,
) -> Edit:
    """Check and store an API edit, all or nothing: :class:`VersionConflict` when ``expected_version``
    is not the current version, :class:`RulesError` (naming each field) when the rules do not fit the
    site; then the new version is written (and audited) in the caller's transaction."""
    current = latest(session, site_id)
    number = current.version if current is not None else 0
    if expected_version is not None and expected_version != number:
        raise VersionConflict(
            f"the rules are at version {number}, not {expected_version} — GET /api/v1/rules, redo the edit on it"
        )
    built = build_rules(config, site_facts(session, site_id))
    row = save(session, site_id, config, origin=API, actor=actor, reason=reason)
    return Edit(row, built)
