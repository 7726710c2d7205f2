"""A site's rule set and its versions (``mine/rules/site_rules.py``, ``services/rules/store.py``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field, StrictInt

from mineguard.mine.rules.site_rules import RulesConfig
from mineguard.services.api.schemas.common import In, Out


class RulesIn(In):
    rules: RulesConfig = Field(description="the whole rules section, as in the site file's `rules:`")
    expected_version: StrictInt | None = Field(
        None, ge=0, le=2**31 - 1, description="the version the edit was made on (GET /api/v1/rules); 409 if not current"
    )
    reason: str | None = Field(None, max_length=500, description="why, for the audit log")


class RuleVersionOut(Out):
    version: int
    origin: str = Field(description="file (the site file at start-up) or api (an edit through PUT /api/v1/rules)")
    actor: str
    created_at: datetime
    reason: str | None
    file_sha256: str | None = Field(description="sha256 of the file's rules as canonical JSON (file versions)")


class RulesOut(RuleVersionOut):
    rules: dict[str, Any] = Field(description="the rules section of this version")
    running_version: int | None = Field(description="the version the alert pipeline runs now (null: not started)")
    regulation_defaults: list[dict[str, Any]] = Field(
        description="the regulation-cited thresholds the site gets while rules.regulation_defaults is true; "
        "a threshold in rules.thresholds with the same id replaces one"
    )
    units: dict[str, list[str]] = Field(
        description="the units a threshold's `unit` may be in, per sensor kind of the site (canonical first)"
    )
