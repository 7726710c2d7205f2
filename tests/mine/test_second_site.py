"""The second shipped site (a room-and-pillar mine) loads, and its rules fit it, with no code change."""

from __future__ import annotations

from importlib import resources

from mineguard.mine.rules.site_rules import build_rules
from mineguard.mine.site import load_site

SITE = resources.files("mineguard.mine").joinpath("sites").joinpath("pillar_ridge.yaml")


def test_the_room_and_pillar_site_loads_with_its_own_zones_machines_and_rules() -> None:
    site = load_site(str(SITE))
    assert site.id == "pillar-ridge"
    assert {z.id for z in site.zones} >= {"s2_face", "s2_gate", "return_entry"}
    mounted = {d.id: d.asset for d in site.devices if d.asset}
    assert mounted["af-a2-run"] == "af-a2" and mounted["cm-2-vib"] == "cm-2"
    built = build_rules(site.rules, site.facts())
    ids = {rule.id for rule in built.rules}
    assert {"s2-gas-aux-fan-off", "s2-no-hard-hat", "c1-drive-fault", "s2-roof-load-miner"} <= ids
    early = next(rule for rule in built.rules if rule.id == "methane.s2-early")
    assert early.canonical().levels[0].threshold == 0.8  # 8000 ppm in the site file, % vol in the engine
