"""Past mine incidents as text: MSHA records, splits and the hazard mapping (seed 003 §4.1, issue #6).

An alert carries analogous past incidents as evidence; this module reads them. Two public MSHA sources
(``../shared/data/text/``), never modified:

- ``msha_fatality_reports/base_fatality_reports.csv``: pipe-delimited, one fatality report per row,
  2007-2016, with MSHA's accident classification (column ``accidnet-classification``, typo as in the
  file) and the report's description of the accident (lower-cased, digits and punctuation removed);
- ``msha_accidents_sample/us_data_2000_sample.csv``: 2,000 rows of MSHA's Accidents table, 2000-2015,
  with ``CLASSIFICATION`` (the circumstance that contributed most directly, the same scheme as the
  fatality reports) and a short ``NARRATIVE``. ``ACCIDENT_DT`` is an Excel day number (e.g. 40982 =
  2012-03-14) in this file; mm/dd/yyyy, as in MSHA's data dictionary, is read too. ``DOCUMENT_NO`` was
  mangled by a spreadsheet ("2.20E+11" on every row), so a record's key is ``file:line``.

- ``load_fatality_reports`` / ``load_accident_sample`` -> ``IncidentSet`` of ``Incident`` records; rows
  with an empty narrative are skipped and counted; errors name file, line and field;
- ``time_split`` (the main protocol: oldest incidents train, newest test, one date never on both sides)
  and ``stratified_split`` (shuffled, for comparison); ``merge_rare_classes`` folds classes with too few
  training reports into "Other";
- ``HAZARD_CLASSES`` / ``hazard_of`` / ``narratives_by_hazard``: MineGuard's hazard names mapped to MSHA
  classes, and the real narratives of each.

Embedders are in ``text_embedders``, the accident-class classifier in ``text_classifier`` and the
similar-incident index in ``text_index``.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FATALITY_FILE = Path("msha_fatality_reports") / "base_fatality_reports.csv"
SAMPLE_FILE = Path("msha_accidents_sample") / "us_data_2000_sample.csv"
FATALITY_COLUMNS = (
    "report-key",
    "report-url",
    "accidnet-classification",
    "location",
    "mine-type",
    "mine-controller",
    "mined-mineral",
    "incident-date",
    "f-p-desc-of-accident",
)
SAMPLE_COLUMNS = ("MINE_ID", "OPERATOR_NAME", "ACCIDENT_DT", "CLASSIFICATION", "NARRATIVE", "COAL_METAL_IND")
UNKNOWN_CLASSES = frozenset({"no value found", ""})  # the sample's placeholder for a missing classification
MINE_TYPES = {"C": "Coal", "M": "Metal and Non-Metal"}
EXCEL_EPOCH = dt.date(1899, 12, 30)  # day 0 of spreadsheet serial dates (1900 system, after its leap bug)


class TextDataError(ValueError):
    """An incident file that cannot be read as given; the message names file, line and field and what to do."""


@dataclass(frozen=True)
class Incident:
    """One past incident. ``text`` is the narrative as in the file; ``accident_class`` is MSHA's
    classification as in the file (spelling and case differ between the two sources)."""

    key: str  # fatality: the report key; accident sample: "us_data_2000_sample.csv:<line>"
    date: dt.date
    accident_class: str
    text: str
    mine: str  # fatality: "Mine, State"; accident sample: "mine <MINE_ID> (<operator>)"
    mineral: str  # "" where the source has none (accident sample)
    mine_type: str  # "Coal" or "Metal and Non-Metal"
    source: str  # file name
    url: str = ""


@dataclass(frozen=True)
class IncidentSet:
    """Incidents in file order, with the number of rows skipped for an empty narrative."""

    incidents: tuple[Incident, ...]
    source: str
    skipped_empty: int = 0

    def __len__(self) -> int:
        return len(self.incidents)

    def __getitem__(self, i: int) -> Incident:
        return self.incidents[i]

    @property
    def texts(self) -> list[str]:
        return [x.text for x in self.incidents]

    @property
    def labels(self) -> list[str]:
        return [x.accident_class for x in self.incidents]

    def take(self, index: Sequence[int] | np.ndarray) -> IncidentSet:
        """The incidents at integer positions ``index``, in that order."""
        return IncidentSet(tuple(self.incidents[int(i)] for i in index), self.source, self.skipped_empty)

    def known(self) -> IncidentSet:
        """Only incidents with a known classification (drops the sample's "NO VALUE FOUND")."""
        kept = tuple(x for x in self.incidents if x.accident_class.strip().lower() not in UNKNOWN_CLASSES)
        return IncidentSet(kept, self.source, self.skipped_empty)


def _rows(path: Path, columns: tuple[str, ...], delimiter: str, hint: str):
    """Yield (line, {column: value}) of a delimited file, checking the header and field counts."""
    if not path.is_file():
        raise TextDataError(f"{path}: file not found — pass {hint}")
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f, delimiter=delimiter)
        header = [h.strip() for h in next(reader, [])]
        if not any(header):
            raise TextDataError(f"{path}: empty file — expected a header line with {', '.join(columns)}")
        missing = [c for c in columns if c not in header]
        if missing:
            other = "," if delimiter == "|" else "|"
            sep = (
                f" (the header looks {other!r}-delimited; this file must be {delimiter!r}-delimited)"
                if (len(header) == 1 and other in header[0])
                else ""
            )
            raise TextDataError(
                f"{path}:1: header lacks {', '.join(repr(c) for c in missing)}{sep} — "
                f"expected the columns {', '.join(columns)}"
            )
        for row in reader:
            if not row or all(not v.strip() for v in row):
                continue
            if len(row) != len(header):
                raise TextDataError(
                    f"{path}:{reader.line_num}: {len(row)} fields but the header has {len(header)} "
                    f"— a stray {delimiter!r} in a narrative, or a truncated row?"
                )
            yield reader.line_num, dict(zip(header, row, strict=True))


def load_fatality_reports(path: str | Path) -> IncidentSet:
    """Read ``base_fatality_reports.csv`` (pipe-delimited, the MSHA fatality-report columns in any order).

    Raises:
        TextDataError: missing file or column, a row with the wrong number of fields, an empty
            classification or an unreadable ``incident-date``; the message names ``file:line`` and the field.
    """
    path = Path(path)
    hint = f"the MSHA fatality reports (e.g. ../shared/data/text/{FATALITY_FILE})"

    def incident(row: dict[str, str], line: int, text: str) -> Incident:
        label = row["accidnet-classification"].strip()
        if not label:
            raise TextDataError(f"{path}:{line}: field 'accidnet-classification' is empty — give the MSHA class")
        return Incident(
            key=row["report-key"].strip(),
            date=_iso_date(row["incident-date"], path, line),
            accident_class=label,
            text=text,
            mine=row["location"].strip(),
            mineral=row["mined-mineral"].strip(),
            mine_type=row["mine-type"].strip(),
            source=path.name,
            url=row["report-url"].strip(),
        )

    return _incidents(path, FATALITY_COLUMNS, "|", hint, "f-p-desc-of-accident", incident)


def load_accident_sample(path: str | Path) -> IncidentSet:
    """Read the MSHA Accidents-table sample (comma-separated, MSHA's column names, any order).

    ``accident_class`` is ``CLASSIFICATION`` as in the file (upper case; "NO VALUE FOUND" kept, see
    ``IncidentSet.known``).

    Raises:
        TextDataError: as ``load_fatality_reports``, for ``ACCIDENT_DT`` and the sample's columns.
    """
    path = Path(path)
    hint = f"the MSHA accidents sample (e.g. ../shared/data/text/{SAMPLE_FILE})"

    def incident(row: dict[str, str], line: int, text: str) -> Incident:
        kind = row["COAL_METAL_IND"].strip()
        return Incident(
            key=f"{path.name}:{line}",
            date=_sample_date(row["ACCIDENT_DT"], path, line),
            accident_class=row["CLASSIFICATION"].strip(),
            text=text,
            mine=f"mine {row['MINE_ID'].strip()} ({row['OPERATOR_NAME'].strip()})",
            mineral="",
            mine_type=MINE_TYPES.get(kind, kind),
            source=path.name,
        )

    return _incidents(path, SAMPLE_COLUMNS, ",", hint, "NARRATIVE", incident)


def _incidents(
    path: Path,
    columns: tuple[str, ...],
    delimiter: str,
    hint: str,
    narrative: str,
    incident: Callable[[dict[str, str], int, str], Incident],
) -> IncidentSet:
    """The incidents of a delimited file, one ``incident(row, line, text)`` per row with a non-empty
    ``narrative`` column (rows without one are counted as skipped); a file with none is an error."""
    incidents, skipped = [], 0
    for line, row in _rows(path, columns, delimiter, hint):
        text = row[narrative].strip()
        if not text:
            skipped += 1
            continue
        incidents.append(incident(row, line, text))
    if not incidents:
        raise TextDataError(f"{path}: no rows with a narrative ({skipped} empty) — nothing to learn from")
    return IncidentSet(tuple(incidents), str(path), skipped)


def _iso_date(text: str, path: Path, line: int) -> dt.date:
    try:
        return dt.datetime.fromisoformat(text.strip()).date()  # local date of the incident
    except ValueError:
        raise TextDataError(
            f"{path}:{line}: field 'incident-date' = '{text.strip()}' is not a date — "
            "expected ISO 8601 like 2016-12-21T14:56:00-05:00"
        ) from None


def _sample_date(text: str, path: Path, line: int) -> dt.date:
    value = text.strip()
    try:
        if value.isdigit():
            return EXCEL_EPOCH + dt.timedelta(days=int(value))
        return dt.datetime.strptime(value, "%m/%d/%Y").date()
    except (ValueError, OverflowError):
        raise TextDataError(
            f"{path}:{line}: field 'ACCIDENT_DT' = '{value}' is not a date — expected mm/dd/yyyy "
            "or a spreadsheet day number like 40982"
        ) from None


# ---------------------------------------------------------------------------------------------- splits


@dataclass(frozen=True)
class IncidentSplit:
    """Integer positions of the training and test incidents; ``protocol`` is "time" or "stratified"."""

    train: np.ndarray
    test: np.ndarray
    protocol: str


def time_split(incidents: Sequence[Incident] | IncidentSet, *, test_frac: float = 0.3) -> IncidentSplit:
    """Oldest ~(1 - test_frac) of the incidents for training, the newest for test, in date order.

    All incidents of one date fall on the same side (the cut moves forward past a shared date), so
    reports of one multi-fatality accident never straddle the split and every test date is later than
    every training date.
    """
    if not 0 < test_frac < 1:
        raise ValueError(f"test_frac must be in (0, 1), got {test_frac}")
    dates = np.array([x.date.toordinal() for x in incidents], dtype=np.int64)
    order = np.argsort(dates, kind="stable")
    cut = len(dates) - max(1, round(len(dates) * test_frac))
    while 0 < cut < len(dates) and dates[order[cut]] == dates[order[cut - 1]]:
        cut += 1
    if cut <= 0 or cut >= len(dates):
        raise ValueError(f"{len(dates)} incidents on too few dates to split with test_frac={test_frac}")
    return IncidentSplit(order[:cut], order[cut:], "time")


def stratified_split(labels: Sequence[str], *, test_frac: float = 0.3, seed: int = 0) -> IncidentSplit:
    """Shuffled split keeping class proportions; classes with a single member are stratified together
    (with the largest class when they are only one incident), since a class of one cannot be split."""
    from sklearn.model_selection import train_test_split  # here, so reading incidents does not load scipy

    counts = Counter(labels)
    strata = [y if counts[y] >= 2 else "\0rare" for y in labels]
    if strata.count("\0rare") == 1:
        strata = [counts.most_common(1)[0][0] if s == "\0rare" else s for s in strata]
    train, test = train_test_split(np.arange(len(labels)), test_size=test_frac, random_state=seed, stratify=strata)
    return IncidentSplit(np.sort(train), np.sort(test), "stratified")


def merge_rare_classes(
    train_labels: Sequence[str], test_labels: Sequence[str], *, min_count: int = 5, other: str = "Other"
) -> tuple[list[str], list[str]]:
    """Fold classes with fewer than ``min_count`` TRAINING incidents, and test classes never seen in
    training, into ``other`` (the sources' own catch-all: "Other" in the fatality reports, "OTHER" in
    the sample). Decided on the training labels only, so the test never shapes the classes."""
    counts = Counter(train_labels)
    kept = {y for y, n in counts.items() if n >= min_count}
    return [y if y in kept else other for y in train_labels], [y if y in kept else other for y in test_labels]


# --------------------------------------------------------------------------------------------- hazards

# MineGuard hazard name -> MSHA classes (lower case; both sources' spellings). Why each:
# gas  - methane / coal-dust ignitions and explosions are what the gas alarm guards against;
# fire - mine and equipment fires (the accident sample only: no fatality report in 2007-2016 is "Fire");
# belt - MSHA has no conveyor class: conveyor accidents are classified "Machinery" (caught in moving
#        parts) or "Powered Haulage" (which covers belt conveyors). Only narratives of those classes that
#        mention a conveyor or belt (``CONVEYOR``, not "seat belt"/"safety belt") count as belt; the rest
#        (trucks, loaders, crushers) describe none of the five hazards and count as "none";
# roof - falls of roof, back, face, rib, pillar, side or highwall: ground falls, what roof-pressure
#        monitoring warns of;
# ppe  - the injuries a hard hat or a fall-arrest harness exists for: struck by falling, rolling or
#        sliding material, striking or bumping (head strikes), slips and falls of persons. A proxy: the
#        narratives describe the injury, seldom whether the PPE was worn;
# none - every other known class. "NO VALUE FOUND" (unknown class) is in no list.
HAZARD_CLASSES: dict[str, tuple[str, ...]] = {
    "none": (
        "electrical",
        "other",
        "explosives and breaking agents",
        "hoisting",
        "handling material",
        "handling of materials",
        "exploding vessels under pressure",
        "inundation",
        "drowning",
        "non-powered haulage",
        "nonpowered haulage",
        "hand tools",
        "handtools (nonpowered)",
        "disorders (repeated trauma)",
        "disorders (physical agents)",
        "stepping or kneeling on object",
        "dust disease of lungs",
        "entrapment",
        "all other occupational illnesses",
        "occupational skin diseases",
        "respiratory conditions (toxic agents)",
        "impoundment",
    ),
    "gas": ("ignition or explosion of gas or dust",),
    "fire": ("fire",),
    "belt": ("machinery", "powered haulage"),  # only with a conveyor in the narrative, else "none"
    "roof": ("fall of roof or back", "fall of face, rib, side or highwall", "fall of face/rib/pillar/side/highwall"),
    "ppe": (
        "slip or fall of person",
        "falling, rolling, or sliding rock or material of any kind",
        "falling/sliding/rolling materials",
        "striking or bumping",
    ),
}
CONVEYOR = re.compile(r"\bconveyor|(?<!seat )(?<!safety )\bbelt(?:s|line|lines)?\b", re.IGNORECASE)
_HAZARD_OF_CLASS = {c: h for h, classes in HAZARD_CLASSES.items() for c in classes}


def hazard_of(accident_class: str, text: str = "") -> str | None:
    """The MineGuard hazard name of an incident, or None for an unknown or unlisted class."""
    hazard = _HAZARD_OF_CLASS.get(accident_class.strip().lower())
    if hazard == "belt" and not CONVEYOR.search(text):
        return "none"
    return hazard


def narratives_by_hazard(root: Path) -> dict[str, list[str]]:
    """Real narratives for each of the six hazard names (``HAZARD_CLASSES`` order), from both sources.

    Args:
        root: the shared data folder (``../shared/data``, holding ``text/msha_...``) or its ``text`` folder.

    Returns:
        {"none": [...], "gas": [...], "fire": [...], "belt": [...], "roof": [...], "ppe": [...]}: the
        narratives as in the files (fatality reports first, then the sample, file order). Incidents of
        an unknown class are left out.
    """
    root = Path(root)
    text_dir = root / "text" if (root / "text" / FATALITY_FILE).is_file() else root
    out: dict[str, list[str]] = {h: [] for h in HAZARD_CLASSES}
    for incidents in (load_fatality_reports(text_dir / FATALITY_FILE), load_accident_sample(text_dir / SAMPLE_FILE)):
        for x in incidents.incidents:
            hazard = hazard_of(x.accident_class, x.text)
            if hazard is not None:
                out[hazard].append(x.text)
    return out
