"""Site config: the mine's zones, assets, devices and monitoring sensitivities (seed 004 §3.1).

A site file is YAML validated by pydantic with ``extra="forbid"``, so a misspelt key is an
error, not a silently ignored setting. :func:`load_site` turns every validation problem into a
:class:`SiteConfigError` whose lines name the key path (``zones[2].kind``) and say how to fix
it. Coordinates are metres in the mine's local grid (x east, y north, z up; z < 0 underground).
"""

from __future__ import annotations

import math
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from mineguard.mine.cameras import CameraView
from mineguard.mine.early_warning import EarlyWarningConfig
from mineguard.mine.headcount import HeadcountConfig
from mineguard.mine.names import named_twice
from mineguard.mine.open_pit import OpenPitConfig
from mineguard.mine.rules.site_rules import RulesConfig, SiteFacts, validate_against_site
from mineguard.mine.shifts import ShiftConfig

ZoneKind = Literal["roadway", "working_face", "shaft", "gate", "refuge", "airway", "station"]
AssetKind = Literal["person", "machine", "material"]
DeviceKind = Literal["sensor", "camera", "tag", "gateway"]
Point = Annotated[list[float], Field(min_length=3, max_length=3)]
Identifier = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]

SAMPLE_SITE = "sample_coal_mine.yaml"
SEISMIC_KINDS = ("geophone_energy", "geophone_pulses", "seismic_energy")  # sensors that may name a longwall


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ZoneConfig(_Strict):
    """One zone of the mine graph; ``path`` is its centre line, (K, 3) metres."""

    id: Identifier
    name: str
    kind: ZoneKind
    path: list[Point] = Field(min_length=1)
    cross_section_m2: float = Field(gt=0, le=500)
    length_m: float | None = Field(default=None, gt=0)
    danger: bool = False
    surface: bool = False  # on the surface (not underground): who is here does not count as underground
    staff_limit: int | None = Field(default=None, ge=0)
    location_name: str | None = None
    operating_procedure_id: str | None = None

    @property
    def length(self) -> float:
        """Length in metres: the stated one, else the length of the centre line."""
        if self.length_m is not None:
            return self.length_m
        return sum(math.dist(a, b) for a, b in zip(self.path, self.path[1:], strict=False))

    @property
    def radius_m(self) -> float:
        """Half-width used to decide whether a point lies in the zone (square section assumed)."""
        return math.sqrt(self.cross_section_m2) / 2.0 + 1.0


class AssetConfig(_Strict):
    """A person, machine or material; ``position`` is a machine's fixed place (default: the middle
    of its zone's centre line). People are where their tags report them."""

    id: Identifier
    name: str
    kind: AssetKind
    crew: str | None = None
    zone: Identifier | None = None
    position: Point | None = None

    @model_validator(mode="after")
    def _machines_stand(self) -> AssetConfig:
        if self.kind != "machine" and self.position is not None:
            raise ValueError(f"only a machine has a fixed 'position', this is a {self.kind} — remove it")
        return self


class DeviceConfig(_Strict):
    id: Identifier
    kind: DeviceKind
    zone: Identifier
    position: Point | None = None
    sensor_kind: str | None = None
    unit: str | None = None
    barcode: str | None = None
    asset: Identifier | None = None  # the asset a sensor is mounted on (a machine's run state, bearing, ...)
    view: CameraView | None = None  # what a camera watches (mine/cameras.py)
    longwall: Identifier | None = (
        None  # a geophone's or seismometer's longwall (a zone id): whose seismic hazard it measures
    )

    @model_validator(mode="after")
    def _sensor_has_kind(self) -> DeviceConfig:
        if self.view is not None and self.kind != "camera":
            raise ValueError(f"only a camera has a 'view', this is a {self.kind} — remove it")
        if self.kind == "sensor" and not self.sensor_kind:
            raise ValueError("a sensor needs 'sensor_kind' (e.g. methane, co, temperature)")
        if self.asset is not None and self.kind != "sensor":
            raise ValueError(
                f"only a sensor is mounted on an asset, this is a {self.kind} — remove 'asset' "
                "(a tag is paired to its wearer over the API)"
            )
        if self.longwall is not None and self.sensor_kind not in SEISMIC_KINDS:
            raise ValueError(
                f"only a seismic sensor ({', '.join(SEISMIC_KINDS)}) belongs to a 'longwall', this is a "
                f"{self.sensor_kind or self.kind} — remove it"
            )
        return self


class SensitivityConfig(_Strict):
    """Monitoring sensitivities (seed 004 §3.1.3); only the super-manager may change them."""

    noise_g: float = Field(default=0.05, gt=0, le=1)
    freefall_g: float = Field(default=0.5, gt=0, lt=1)
    fall_impact_g: float = Field(default=2.5, gt=1, le=16)
    fall_still_s: float = Field(default=2.0, gt=0, le=600)
    faint_still_s: float = Field(default=60.0, gt=0, le=3600)


class ProximityConfig(_Strict):
    """How the twin derives "a person approaching" from tag positions (alarm thresholds are rules).

    A person counts only with a live fix at most ``max_fix_age_s`` old and within ``max_range_m``
    of the danger zone or machine; a closing speed compares the current fix with the newest one
    at least ``min_fix_interval_s`` older (closer fixes make a noisy speed).
    """

    max_range_m: float = Field(default=300.0, gt=0, le=10_000)
    max_fix_age_s: float = Field(default=30.0, gt=0, le=3600)
    min_fix_interval_s: float = Field(default=2.0, ge=0, le=600)


class SiteConfig(_Strict):
    id: Identifier
    name: str
    timezone: str = "UTC"
    zones: list[ZoneConfig] = Field(min_length=1)
    links: list[tuple[Identifier, Identifier]] = Field(default_factory=list)
    assets: list[AssetConfig] = Field(default_factory=list)
    devices: list[DeviceConfig] = Field(default_factory=list)
    sensitivity: SensitivityConfig = SensitivityConfig()
    proximity: ProximityConfig = ProximityConfig()
    rules: RulesConfig = RulesConfig()  # thresholds, combined rules, texts (mine/rules/site_rules.py)
    shifts: list[ShiftConfig] = Field(default_factory=list)  # when each crew is due out (mine/shifts.py)
    headcount: HeadcountConfig | None = None  # gates and mismatch alerts (mine/headcount.py)
    open_pit: OpenPitConfig | None = None  # permit boundary and change thresholds (mine/open_pit.py)
    early_warning: EarlyWarningConfig = EarlyWarningConfig()  # the early warnings' actions (mine/early_warning.py)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"{name!r} is not a known time zone — use an IANA name such as UTC or Europe/Warsaw"
            ) from None
        return name

    @field_validator("shifts")
    @classmethod
    def _unique_shift_names(cls, shifts: list[ShiftConfig]) -> list[ShiftConfig]:
        twice = named_twice(shift.name for shift in shifts)
        if twice:
            raise ValueError(f"shift name(s) {', '.join(twice)} used twice — give each shift its own name")
        return shifts

    @field_validator("zones", "assets", "devices")
    @classmethod
    def _unique_ids(cls, items: list) -> list:
        seen: set[str] = set()
        for item in items:
            if item.id in seen:
                raise ValueError(f"id {item.id!r} is used twice — give each entry its own id")
            seen.add(item.id)
        return items

    @model_validator(mode="after")
    def _references_exist(self) -> SiteConfig:
        zone_ids = {zone.id for zone in self.zones}
        problems = [
            f"links[{i}] names unknown zone {end!r}"
            for i, link in enumerate(self.links)
            for end in link
            if end not in zone_ids
        ]
        for group, items in (("assets", self.assets), ("devices", self.devices)):
            problems += [
                f"{group}[{i}].zone {item.zone!r} is not a zone id"
                for i, item in enumerate(items)
                if item.zone is not None and item.zone not in zone_ids
            ]
        problems += [
            f"devices[{i}].longwall {device.longwall!r} is not a zone id"
            for i, device in enumerate(self.devices)
            if device.longwall is not None and device.longwall not in zone_ids
        ]
        problems += [
            f"devices[{i}].view.regions[{j}].zone {region.zone!r} is not a zone id"
            for i, device in enumerate(self.devices)
            for j, region in enumerate(device.view.regions if device.view else [])
            if region.zone is not None and region.zone not in zone_ids
        ]
        if problems:
            raise ValueError("; ".join(problems) + f" — known zones: {', '.join(sorted(zone_ids))}")
        asset_ids = {asset.id for asset in self.assets}
        problems = [
            f"devices[{i}].asset {device.asset!r} is not an asset id"
            for i, device in enumerate(self.devices)
            if device.asset is not None and device.asset not in asset_ids
        ]
        if problems:
            raise ValueError("; ".join(problems) + f" — known assets: {', '.join(sorted(asset_ids)) or 'none'}")
        return self

    @model_validator(mode="after")
    def _headcount_fits_site(self) -> SiteConfig:
        zones = {zone.id: zone for zone in self.zones}
        crews = {asset.crew for asset in self.assets if asset.crew}
        problems = [
            f"shifts[{i}].crews names unknown crew {crew!r} (known: {', '.join(sorted(crews)) or 'none'})"
            for i, shift in enumerate(self.shifts)
            for crew in shift.crews
            if crew not in crews
        ]
        for i, gate in enumerate(self.headcount.gates if self.headcount else []):
            if gate not in zones:
                problems.append(f"headcount.gates[{i}] {gate!r} is not a zone id")
            elif zones[gate].kind != "gate":
                problems.append(f"headcount.gates[{i}] {gate!r} is a {zones[gate].kind}, not a gate")
        if self.headcount and not any(zone.surface for zone in self.zones):
            problems.append("headcount needs the surface: mark the surface zones with 'surface: true'")
        if self.open_pit is not None and self.open_pit.zone not in zones:
            problems.append(f"open_pit.zone {self.open_pit.zone!r} is not a zone id — known zones: {', '.join(zones)}")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @model_validator(mode="after")
    def _rules_fit_site(self) -> SiteConfig:
        problems = validate_against_site(self.rules, self.facts())
        if problems:
            raise ValueError("; ".join(f"rules.{problem}" for problem in problems))
        return self

    def facts(self) -> SiteFacts:
        """What the site's rules may name (zones, sensor kinds, assets and the sensors on them)."""
        return SiteFacts.build(
            ((zone.id, zone.kind) for zone in self.zones),
            ((d.sensor_kind, d.zone, d.asset) for d in self.devices if d.kind == "sensor" and d.sensor_kind),
            ((asset.id, asset.kind) for asset in self.assets),
        )


class SiteConfigError(ValueError):
    """A site file that cannot be used; the message lists each problem with its key path."""


def _key_path(loc: tuple) -> str:
    path = ""
    for part in loc:
        if part == "[key]":  # pydantic's mark for a bad mapping key: the path already ends with the key
            continue
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(top level)"


def _hint(error: dict) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "remove it or check the spelling"
    if kind == "missing":
        return "add it"
    if kind == "literal_error":
        return "pick one of those"
    if kind == "string_type":
        return "write it as text (quote it if it starts with { or reads as a number)"
    return "fix the value"


def format_validation_error(exc: ValidationError, source: str) -> str:
    lines = [f"{source}: {exc.error_count()} problem(s)"]
    for error in exc.errors():
        message = error["msg"].removeprefix("Value error, ")
        lines.append(f"  {_key_path(error['loc'])}: {message} — {_hint(error)}")
    return "\n".join(lines)


def parse_site(data: object, source: str = "site") -> SiteConfig:
    if not isinstance(data, dict):
        raise SiteConfigError(f"{source}: expected a mapping with 'id', 'name' and 'zones', got {type(data).__name__}")
    try:
        return SiteConfig.model_validate(data)
    except ValidationError as exc:
        raise SiteConfigError(format_validation_error(exc, source)) from None


def load_site(path: str | Path | None = None) -> SiteConfig:
    """Read and validate a site file; ``None`` loads the bundled sample coal mine."""
    if path is None:
        text = resources.files("mineguard.mine").joinpath("sites").joinpath(SAMPLE_SITE).read_text()
        source = f"<bundled {SAMPLE_SITE}>"
    else:
        path = Path(path)
        if not path.is_file():
            raise SiteConfigError(f"{path}: no such site file — pass the path of a YAML site file")
        text, source = path.read_text(encoding="utf-8"), str(path)
    return parse_site(read_yaml(text, source, SiteConfigError), source)


def read_yaml(text: str, source: str, error: type[ValueError]) -> object:
    """``text`` parsed as YAML; a syntax error raises ``error`` naming ``source``, line and column."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise error(f"{source}:{where} is not valid YAML ({getattr(exc, 'problem', exc)})") from None
