"""Rule versions at start-up: the site file wins when its rules changed, otherwise the newest version
(an API edit) survives a restart; a newest version that no longer fits the site gives way to the file."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from mineguard.mine.rules.site_rules import RulesConfig, RulesError
from mineguard.mine.site import load_site
from mineguard.services.bootstrap import bootstrap
from mineguard.services.rules import store
from mineguard.services.settings import Settings
from mineguard.services.storage.models import AuditEntry

EXTRA = {
    "id": "co.belt",
    "kind": "co",
    "zone": "belt_roadway",
    "unit": "ppm",
    "levels": [{"severity": "warning", "threshold": 15}],
}


def _write(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def _boot(url: str, site_file: Path):
    booted = bootstrap(Settings(database_url=url, site_file=site_file, admin_password="boot-test-pw"))
    with booted.sessions() as session:
        row = store.latest(session, booted.site_id)
        session.expunge(row)
    booted.engine.dispose()
    return row


def test_versions_at_start_up(database_url: str, tmp_path: Path) -> None:
    site = copy.deepcopy(load_site().model_dump(mode="json"))
    site_file = _write(tmp_path / "site.yaml", site)
    first = _boot(database_url, site_file)
    assert (first.version, first.origin, first.actor) == (1, "file", "system")
    assert first.file_sha256 == store.rules_sha256(load_site(site_file).rules)
    assert _boot(database_url, site_file).version == 1  # unchanged file, no edit: nothing new

    booted = bootstrap(Settings(database_url=database_url, site_file=site_file, admin_password="boot-test-pw"))
    edited = RulesConfig.model_validate({**site["rules"], "thresholds": [EXTRA]})
    with booted.sessions() as session, session.begin():
        edit = store.edit(session, booted.site_id, edited, actor="admin", expected_version=1, reason="belt CO")
        assert edit.row.version == 2 and any(r.id == "co.belt" for r in edit.built.rules)
    with booted.sessions() as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "rules.changed").order_by(AuditEntry.seq.desc())
        ).first()
        assert entry.actor == "admin" and entry.payload["version"] == {"from": 1, "to": 2}
        assert entry.payload["diff"]["added"] == ["co.belt"] and entry.payload["old"]["thresholds"] == []
    booted.engine.dispose()

    survived = _boot(database_url, site_file)  # the file did not change: the API edit still applies
    assert (survived.version, survived.origin, survived.actor) == (2, "api", "admin")

    site["rules"]["names"]["co"] = "Carbon monoxide"  # someone edits the file: it wins
    _write(site_file, site)
    won = _boot(database_url, site_file)
    assert (won.version, won.origin, won.reason) == (3, "file", "the site file's rules changed")
    assert won.rules["names"]["co"] == "Carbon monoxide" and won.rules["thresholds"] == []
    booted = bootstrap(Settings(database_url=database_url, site_file=site_file, admin_password="boot-test-pw"))
    with booted.sessions() as session:  # version 1 is the file as loaded (site.loaded); every change is audited
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "rules.changed").order_by(AuditEntry.seq)
        )
        changes = [(e.actor, e.payload["version"], e.payload["origin"], e.payload["diff"]) for e in entries]
    booted.engine.dispose()
    assert [c[:3] for c in changes] == [
        ("admin", {"from": 1, "to": 2}, "api"),
        ("system", {"from": 2, "to": 3}, "file"),
    ]
    assert changes[1][3] == {"added": [], "removed": ["co.belt"], "changed": [], "sections": ["names"]}


def test_a_stored_version_that_no_longer_fits_the_site_gives_way_to_the_file(database_url: str, tmp_path: Path) -> None:
    site = copy.deepcopy(load_site().model_dump(mode="json"))
    site["zones"].append({**site["zones"][1], "id": "shaft_2", "name": "Second shaft"})
    site["links"].append(["shaft_2", "pit_bottom"])
    site_file = _write(tmp_path / "site.yaml", site)
    booted = bootstrap(Settings(database_url=database_url, site_file=site_file, admin_password="boot-test-pw"))
    on_shaft_2 = RulesConfig.model_validate({**site["rules"], "thresholds": [{**EXTRA, "zone": "shaft_2"}]})
    with booted.sessions() as session, session.begin():
        store.edit(session, booted.site_id, on_shaft_2, actor="admin")
    booted.engine.dispose()
    site["zones"].pop()
    site["links"].pop()
    _write(site_file, site)  # the zone is gone from the file; its rules are unchanged
    row = _boot(database_url, site_file)
    assert (row.version, row.origin) == (3, "file")
    assert row.reason.startswith("version 2 no longer fits the site (thresholds[0].zone: zone 'shaft_2'")


def test_edit_is_all_or_nothing(database_url: str, tmp_path: Path) -> None:
    site_file = _write(tmp_path / "site.yaml", load_site().model_dump(mode="json"))
    booted = bootstrap(Settings(database_url=database_url, site_file=site_file, admin_password="boot-test-pw"))
    bad = RulesConfig.model_validate({"thresholds": [{**EXTRA, "zone": "nowhere"}]})
    with booted.sessions() as session, session.begin():
        with pytest.raises(store.VersionConflict, match="at version 1, not 5"):
            store.edit(session, booted.site_id, RulesConfig(), actor="admin", expected_version=5)
        with pytest.raises(RulesError, match=r"thresholds\[0\]\.zone"):
            store.edit(session, booted.site_id, bad, actor="admin")
    with booted.sessions() as session:
        assert [v.version for v in store.versions(session, booted.site_id)] == [1]
    booted.engine.dispose()
