"""The mine as data: the pure domain at the bottom of MineGuard (issue 14).

Typed records of one site and what it reports, with no torch, web, database or messaging
import (pydantic, yaml and numpy only), so that the early-warning code (:mod:`mineguard.warning`),
the platform (:mod:`mineguard.services`), the simulated mine and the CLI all speak of the same
mine. Nothing here imports anything of ``mineguard`` outside ``mineguard.mine``.

- ``site`` — the site file (zones, roadways, assets, sensors, cameras, gateways, tags, refuges,
  proximity, its ``rules:`` section), pydantic ``extra="forbid"``; ``sites/`` the two shipped
  sites and their simulator scripts.
- ``early_warning`` — the site file's ``early_warning:`` section: the action texts of the early
  warnings (risk per sensor kind, seismic), ``{zone}`` filled in, a generic one without.
- ``graph`` — the zone graph: roadway distances, shortest paths, zone shapes.
- ``units`` — the canonical unit of each sensor kind and conversion to and from it.
- ``events`` — sources of non-sensor events and an accepted event as the rules see it.
- ``roles`` — the four stakeholder roles and their permissions.
- ``rules/`` — rules as site data: regulation thresholds cited by clause (``Severity``), the
  rule config records and the site file's ``rules:`` section checked against the site. The
  evaluator that runs them is :mod:`mineguard.warning.rules`.
"""
