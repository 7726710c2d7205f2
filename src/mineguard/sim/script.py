"""The simulated world's script: a YAML file beside the site file, ``<site>.scenarios.yaml``.

The service never reads it; only the simulated mine does. It says what the simulation does on
this site, as data, so the demo runs on any site that has one:

- ``world``: which zones each fan ventilates (their methane follows the fan's state), which
  working faces are cut (and by which machine), per-sensor levels that differ from the generic
  ones of :mod:`.sensors`;
- ``people``: where each miner starts and walks to (wearing the site's tags, in order, unless
  ``tag`` names one), and, with ``back``, when they walk back and where to; crossing a headcount
  gate (the site's ``headcount.gates``) from or to underground is a gate passage (:mod:`.gates`);
- ``demo_shift``: the short shift ``mineguard demo`` puts in place of the site's shifts in its
  per-run copy of the site file, so a shift ends during the run (the headcount scenario);
- ``scenarios``: per scenario, machine state changes over a time span, ramps of a sensor's true
  value, cameras that report a label about a person within range, the ground truth "the hazard
  became real" (all ``hazard`` conditions hold), the rule that must detect it and the (rule,
  zone) alerts that legitimately come with it.

Validated like the site file (pydantic, ``extra="forbid"``; errors name the file and the key
path, e.g. ``scenarios[1].ramps[0].by``), then checked against the site: every id it names must
be a zone, sensor, camera, machine or person of that site.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from mineguard.mine.site import (
    SAMPLE_SITE,
    Identifier,
    SiteConfig,
    format_validation_error,
    load_site,
    read_yaml,
)

Seconds = Annotated[float, Field(ge=0)]
Fraction = Annotated[float, Field(ge=0, le=1)]
Label = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,47}$")]
WALK_MPS = 1.2  # a miner's walking pace, m/s


class ScriptError(ValueError):
    """A scenario file that cannot be used; the message names the file and each problem's key path."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Ventilation(_Strict):
    fan: Identifier  # a machine asset
    zones: list[Identifier] = Field(min_length=1)  # the zones whose air it draws


class Cutting(_Strict):
    zone: Identifier  # a working face: methane is emitted and dust raised while it is cut
    machine: Identifier | None = None  # the machine that cuts it; the face is cut while it runs


class SensorLevel(_Strict):
    level: float | None = None  # normal true value (default: the generic level of its kind)
    noise: float | None = Field(default=None, ge=0)  # noise std (default: the generic one of its kind)
    stopped: float | None = None  # true value while the machine it is mounted on is stopped


class World(_Strict):
    ventilation: list[Ventilation] = Field(default_factory=list)
    cutting: list[Cutting] = Field(default_factory=list)
    sensors: dict[Identifier, SensorLevel] = Field(default_factory=dict)
    ride_mps: dict[Identifier, Annotated[float, Field(gt=0, le=20)]] = Field(default_factory=dict)  # zone -> cage speed


class Return(_Strict):
    at_s: Seconds  # when the miner sets off back (simulated seconds)
    to: Place


class Place(_Strict):
    zone: Identifier
    at: Fraction = 0.5  # fraction along the zone's centre line


class PersonPlan(_Strict):
    asset: Identifier
    start: Place
    goal: Place
    speed_mps: float = Field(default=WALK_MPS, gt=0, le=10)
    tag: Identifier | None = None  # the tag device worn; default: the site's tags in order
    back: Return | None = None  # walk on to here from ``at_s`` (e.g. back up to the surface)


class DemoShift(_Strict):
    """The demo's stand-in for the site's shifts: it started before the run and ends ``ends_s``
    simulated seconds after the demo starts (wall time ``ends_s / speed``)."""

    crews: list[str] = Field(min_length=1)
    ends_s: float = Field(gt=0)
    grace_minutes: int = Field(default=0, ge=0, le=720)


class MachineChange(_Strict):
    asset: Identifier
    running: bool
    from_s: Seconds
    to_s: Seconds | None = None  # None: until the end

    @model_validator(mode="after")
    def _ordered(self) -> MachineChange:
        if self.to_s is not None and self.to_s <= self.from_s:
            raise ValueError(f"to_s ({self.to_s:g}) must be after from_s ({self.from_s:g})")
        return self


class Ramp(_Strict):
    """``by`` is added to a sensor's true value: linearly from 0 at ``from_s`` to full at
    ``full_s``, held until ``to_s``, then gone."""

    device: Identifier
    by: float
    from_s: Seconds
    full_s: Seconds
    to_s: Seconds

    @model_validator(mode="after")
    def _ordered(self) -> Ramp:
        if not self.from_s < self.full_s <= self.to_s:
            raise ValueError(
                f"need from_s < full_s <= to_s, got {self.from_s:g}, {self.full_s:g}, {self.to_s:g} — reorder them"
            )
        return self


class CameraSighting(_Strict):
    camera: Identifier
    person: Identifier
    label: Label  # e.g. no_helmet: the event is <source>.<label> in the camera's zone
    source: Literal["vision"] = "vision"
    range_m: float = Field(gt=0, le=1000)  # reported while the person is this close to the camera
    confidence: tuple[Fraction, Fraction] = (0.78, 0.95)  # drawn uniformly in this range


class Condition(_Strict):
    """One ground-truth condition, in one of four forms:
    ``{device, op, value}`` (a sensor's true value), ``{machine, running}``,
    ``{person, within_m, of}`` (distance to a zone along the graph, or straight to a device),
    ``{person, overdue: true}`` (underground past their shift's end plus grace, by the site's shifts)."""

    device: Identifier | None = None
    op: Literal[">=", "<=", ">", "<"] | None = None
    value: float | None = None
    machine: Identifier | None = None
    running: bool | None = None
    person: Identifier | None = None
    within_m: float | None = Field(default=None, gt=0)
    of: Identifier | None = None
    overdue: Literal[True] | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Condition:
        forms = {
            "device": ("device", "op", "value"),
            "machine": ("machine", "running"),
            "person": ("person", "within_m", "of"),
            "overdue": ("person", "overdue"),
        }
        given = {name for name, value in self if value is not None}
        matching = [keys for keys in forms.values() if set(keys) == given]
        if not matching:
            raise ValueError(
                f"got keys {sorted(given)} — write one of {{device, op, value}}, {{machine, running}}, "
                "{person, within_m, of}, {person, overdue}"
            )
        return self


class AlertRef(_Strict):
    rule: str = Field(min_length=1, max_length=64)
    zone: Identifier | None = None


class Scenario(_Strict):
    id: Identifier
    title: str
    detected_by: str = Field(min_length=1, max_length=64)  # the rule id whose alert detects it
    related: list[AlertRef] = Field(default_factory=list)  # other alerts that belong to it
    machines: list[MachineChange] = Field(default_factory=list)
    ramps: list[Ramp] = Field(default_factory=list)
    cameras: list[CameraSighting] = Field(default_factory=list)
    hazard: list[Condition] = Field(min_length=1)  # the hazard is real once all of these hold


class ScenarioScript(_Strict):
    site: Identifier  # the id of the site file it belongs to
    timeline_s: float = Field(gt=0)  # every scenario is over by then (simulated seconds)
    world: World = World()
    people: list[PersonPlan] = Field(default_factory=list)
    demo_shift: DemoShift | None = None
    scenarios: list[Scenario] = Field(min_length=1)

    def scenario_of(self, rule_id: str, zone_id: str | None) -> str | None:
        """The scenario an alert (rule, zone) belongs to, if any."""
        for spec in self.scenarios:
            if rule_id == spec.detected_by or any(
                ref.rule == rule_id and ref.zone in (None, zone_id) for ref in spec.related
            ):
                return spec.id
        return None


@dataclass(frozen=True)
class SimConfig:
    """A site and its scenario script, checked against each other."""

    site: SiteConfig
    script: ScenarioScript
    source: str


def _ids(site: SiteConfig) -> dict[str, set[str]]:
    devices = {kind: {d.id for d in site.devices if d.kind == kind} for kind in ("sensor", "camera", "tag")}
    assets = {kind: {a.id for a in site.assets if a.kind == kind} for kind in ("machine", "person")}
    return {"zone": {z.id for z in site.zones}, **devices, **assets}


def check_against_site(script: ScenarioScript, site: SiteConfig) -> list[str]:
    """Every id the script names, checked against the site; one line per problem, with its key path."""
    ids = _ids(site)
    problems: list[str] = []

    def need(kind: str, value: str | None, where: str, *also: str) -> None:
        known = set().union(ids[kind], *(ids[k] for k in also))
        if value is not None and value not in known:
            names = ", ".join(sorted(known)) or "none"
            problems.append(f"{where}: {value!r} is not a {' or '.join((kind, *also))} of site {site.id!r} ({names})")

    if script.site != site.id:
        problems.append(f"site: {script.site!r} but the site file's id is {site.id!r} — use the site's id")
    for i, fan in enumerate(script.world.ventilation):
        need("machine", fan.fan, f"world.ventilation[{i}].fan")
        for j, zone in enumerate(fan.zones):
            need("zone", zone, f"world.ventilation[{i}].zones[{j}]")
    for i, cut in enumerate(script.world.cutting):
        need("zone", cut.zone, f"world.cutting[{i}].zone")
        need("machine", cut.machine, f"world.cutting[{i}].machine")
    for device in script.world.sensors:
        need("sensor", device, f"world.sensors.{device}")
    for zone in script.world.ride_mps:
        need("zone", zone, f"world.ride_mps.{zone}")
    for i, plan in enumerate(script.people):
        need("person", plan.asset, f"people[{i}].asset")
        need("zone", plan.start.zone, f"people[{i}].start.zone")
        need("zone", plan.goal.zone, f"people[{i}].goal.zone")
        need("tag", plan.tag, f"people[{i}].tag")
        if plan.back is not None:
            need("zone", plan.back.to.zone, f"people[{i}].back.to.zone")
    crews = {a.crew for a in site.assets if a.kind == "person" and a.crew}
    for i, crew in enumerate(script.demo_shift.crews if script.demo_shift else []):
        if crew not in crews:
            problems.append(
                f"demo_shift.crews[{i}]: {crew!r} is no crew of site {site.id!r} ({', '.join(sorted(crews))})"
            )
    if len(script.people) > len(ids["tag"]) and any(p.tag is None for p in script.people):
        problems.append(f"people: {len(script.people)} people but the site has {len(ids['tag'])} tags — add tags")
    for i, spec in enumerate(script.scenarios):
        at = f"scenarios[{i}]"
        for j, ref in enumerate(spec.related):
            need("zone", ref.zone, f"{at}.related[{j}].zone")
        for j, change in enumerate(spec.machines):
            need("machine", change.asset, f"{at}.machines[{j}].asset")
        for j, ramp in enumerate(spec.ramps):
            need("sensor", ramp.device, f"{at}.ramps[{j}].device")
        for j, seen in enumerate(spec.cameras):
            need("camera", seen.camera, f"{at}.cameras[{j}].camera")
            need("person", seen.person, f"{at}.cameras[{j}].person")
        for j, cond in enumerate(spec.hazard):
            need("sensor", cond.device, f"{at}.hazard[{j}].device")
            need("machine", cond.machine, f"{at}.hazard[{j}].machine")
            need("person", cond.person, f"{at}.hazard[{j}].person")
            need("zone", cond.of, f"{at}.hazard[{j}].of", "sensor", "camera")
    seen_ids = [spec.id for spec in script.scenarios]
    problems += [
        f"scenarios: id {sid!r} is used twice" for sid in sorted({s for s in seen_ids if seen_ids.count(s) > 1})
    ]
    return problems


def parse_script(data: object, source: str = "scenarios") -> ScenarioScript:
    if not isinstance(data, dict):
        raise ScriptError(f"{source}: expected a mapping with 'site', 'timeline_s' and 'scenarios'")
    try:
        return ScenarioScript.model_validate(data)
    except ValidationError as exc:
        raise ScriptError(format_validation_error(exc, source)) from None


def scenarios_file(site_file: str | Path | None) -> Path | Traversable:
    """``<site>.scenarios.yaml`` beside the site file (the bundled sample's when ``site_file`` is None)."""
    if site_file is None:
        name = SAMPLE_SITE.removesuffix(".yaml") + ".scenarios.yaml"
        return resources.files("mineguard.mine").joinpath("sites").joinpath(name)
    path = Path(site_file)
    return path.with_name(path.name.removesuffix(".yaml").removesuffix(".yml") + ".scenarios.yaml")


def load_script(path: Path | Traversable, site: SiteConfig) -> ScenarioScript:
    """Read, validate and check a scenario file against ``site``; raises :class:`ScriptError`."""
    source = str(path)
    if not path.is_file():
        raise ScriptError(
            f"{source}: no scenario file — the simulated mine needs one beside the site file "
            f"(see {SAMPLE_SITE.removesuffix('.yaml')}.scenarios.yaml in mineguard/mine/sites/)"
        )
    script = parse_script(read_yaml(path.read_text(encoding="utf-8"), source, ScriptError), source)
    problems = check_against_site(script, site)
    if problems:
        raise ScriptError("\n".join([f"{source}: {len(problems)} problem(s)", *(f"  {p}" for p in problems)]))
    return script


def load_sim(site_file: str | Path | None = None) -> SimConfig:
    """The site file (None: the bundled sample) and the scenario file beside it."""
    site = load_site(site_file)
    path = scenarios_file(site_file)
    return SimConfig(site, load_script(path, site), str(path))
