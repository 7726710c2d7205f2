"""A hazard taxonomy as configuration: classes, the groups they belong to, and how sources map on.

The taxonomy is a YAML file (the shipped one is ``taxonomies/coal_mine_hazards.yaml``, the 11
classes of seed 000 Table 1 in its three groups ZR / JS / GL); no class name or id is written in
code. The class id in a merged set is the class's position in ``classes:``. Each source entry says
where a labelled set lies (under a data root given at build time), how to read it (its own
data.yaml, or names and split folders written inline) and which of its class names become which
taxonomy class (``null`` drops the class; its images stay, as background where nothing is left).

Loading checks the whole file and raises :class:`DatasetError` naming the file and the entry:
an unknown class, a class in two groups or in none, a group with no classes, a class or group or
source defined twice, a key given twice, a source mapping onto a class that is not in the taxonomy.
"""

from __future__ import annotations

from collections import Counter
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mineguard.data.errors import DatasetError

BUILTIN_TAXONOMY = "coal_mine_hazards"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HazardClass(_Strict):
    """One class: ``name`` (the id in data.yaml), a title and what it covers."""

    name: str = Field(min_length=1)
    title: str
    description: str


class HazardGroup(_Strict):
    """A group of classes (seed 000: natural ZR, technical JS, management GL)."""

    name: str = Field(min_length=1)
    code: str
    title: str
    classes: tuple[str, ...]


class TaxonomySource(_Strict):
    """One labelled data set and how its classes map onto the taxonomy.

    Attributes:
        path: its folder under the data root given at build time.
        data_yaml: its own data.yaml, relative to ``path``; or else ``names`` and ``images``
            (split key -> folder(s) under ``path``, as in a data.yaml) written here.
        keep_splits: keep its own train/val/test; otherwise its images are pooled and split
            (a source with no split of its own lists its folders under ``train``).
        group_pattern, frame_gap: images that must stay together (see ``split.image_groups``).
        max_images: cap on its images (whole groups, seeded); None keeps all.
        mapping: every source class name -> taxonomy class, or null to drop it.
    """

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    path: str
    licence: str
    data_yaml: str | None = None
    names: tuple[str, ...] | None = None
    images: dict[str, str | list[str]] | None = None
    keep_splits: bool = False
    group_pattern: str | None = None
    frame_gap: int = Field(default=5, ge=0)
    max_images: int | None = Field(default=None, ge=0)
    mapping: dict[str, str | None]
    note: str = ""


class HazardTaxonomy(_Strict):
    """The checked taxonomy (build it with :func:`load_taxonomy`, which runs every check)."""

    name: str
    reference: str
    groups: tuple[HazardGroup, ...]
    classes: tuple[HazardClass, ...]
    sources: tuple[TaxonomySource, ...] = ()
    source_file: Path | None = None

    @property
    def names(self) -> tuple[str, ...]:
        """Class names in id order."""
        return tuple(c.name for c in self.classes)

    def group_of(self, class_name: str) -> HazardGroup:
        """The group that lists ``class_name``."""
        for group in self.groups:
            if class_name in group.classes:
                return group
        raise DatasetError(f"{self.source_file}: class {class_name!r} is not in taxonomy {self.name!r}")

    def groups_table(self) -> dict[str, list[str]]:
        """Group name -> its class names, for the ``groups:`` entry of a data.yaml."""
        return {g.name: list(g.classes) for g in self.groups}

    def source(self, name: str) -> TaxonomySource:
        for source in self.sources:
            if source.name == name:
                return source
        raise DatasetError(f"{self.source_file}: no source {name!r} — the sources are {[s.name for s in self.sources]}")


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a mapping key given twice (plain YAML keeps the last silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} given twice — keep one", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def taxonomy_path(name: str = BUILTIN_TAXONOMY) -> Path:
    """Path of a taxonomy shipped with the package (``mineguard/data/taxonomies/<name>.yaml``)."""
    path = Path(str(resources.files("mineguard.data") / "taxonomies" / f"{name}.yaml"))
    if not path.is_file():
        shipped = sorted(p.stem for p in path.parent.glob("*.yaml"))
        raise DatasetError(f"no shipped taxonomy {name!r} — the shipped ones are {shipped}; or give a file path")
    return path


def load_taxonomy(path: Path | str | None = None) -> HazardTaxonomy:
    """Read and check a taxonomy file (default: the shipped coal-mine hazard taxonomy).

    Raises:
        DatasetError: naming the file, the entry and the fix for any problem.
    """
    file = Path(path) if path is not None else taxonomy_path()
    if not file.is_file():
        raise DatasetError(f"{file}: taxonomy file not found — give the path to a taxonomy .yaml")
    try:
        raw = yaml.load(file.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)  # a SafeLoader subclass
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{file}: not valid YAML ({exc}) — fix the syntax") from exc
    if not isinstance(raw, dict):
        raise DatasetError(f"{file}: expected a mapping with 'groups', 'classes' and 'sources'")
    try:
        taxonomy = HazardTaxonomy.model_validate({**raw, "source_file": file})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors(include_url=False))
        raise DatasetError(f"{file}: {problems} — fix these entries") from exc
    check_taxonomy(taxonomy, file)
    return taxonomy


def _first_duplicate(names: list[str]) -> str | None:
    return next((n for n, count in Counter(names).items() if count > 1), None)


def check_taxonomy(taxonomy: HazardTaxonomy, file: Path | str) -> None:
    """The cross-entry checks of :func:`load_taxonomy` (see the module docstring)."""
    names = [c.name for c in taxonomy.classes]
    if not names:
        raise DatasetError(f"{file}: 'classes' is empty — list the hazard classes")
    for what, entries in (("class", names), ("group", [g.name for g in taxonomy.groups])):
        if (twice := _first_duplicate(entries)) is not None:
            raise DatasetError(f"{file}: {what} {twice!r} is defined twice — keep one entry")
    if (twice := _first_duplicate([s.name for s in taxonomy.sources])) is not None:
        raise DatasetError(f"{file}: source {twice!r} is defined twice — keep one entry")
    owner: dict[str, str] = {}
    for i, group in enumerate(taxonomy.groups):
        where = f"{file}: groups[{i}] {group.name!r}"
        if not group.classes:
            raise DatasetError(f"{where} has no classes — list at least one class or delete the group")
        for name in group.classes:
            if name not in names:
                raise DatasetError(f"{where} lists unknown class {name!r} — add it to 'classes' or fix the spelling")
            if name in owner:
                raise DatasetError(
                    f"{where} lists class {name!r}, which group {owner[name]!r} already lists — "
                    "put each class in exactly one group"
                )
            owner[name] = group.name
    if orphans := [n for n in names if n not in owner]:
        raise DatasetError(f"{file}: classes {orphans} are in no group — add each to one group's 'classes'")
    for i, source in enumerate(taxonomy.sources):
        _check_source(source, f"{file}: sources[{i}] {source.name!r}", names)


def _check_source(source: TaxonomySource, where: str, names: list[str]) -> None:
    inline = source.names is not None or source.images is not None
    if (source.data_yaml is None) == (not inline) or (inline and (source.names is None or source.images is None)):
        raise DatasetError(f"{where}: give either 'data_yaml' or both 'names' and 'images' — not both, not neither")
    for src, target in source.mapping.items():
        if target is not None and target not in names:
            raise DatasetError(
                f"{where}: mapping {src!r} -> {target!r}, but {target!r} is not a class of the taxonomy — "
                f"map it to one of {names} or to null to drop it"
            )
    if source.names is not None:
        if unknown := sorted(set(source.mapping) - set(source.names)):
            raise DatasetError(f"{where}: mapping names {unknown}, which are not in its 'names' {list(source.names)}")
        if unmapped := [n for n in source.names if n not in source.mapping]:
            raise DatasetError(f"{where}: classes {unmapped} have no mapping — map each to a class or to null")
