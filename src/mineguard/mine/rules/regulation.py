"""Default multi-level thresholds per sensor kind and zone kind, cited from Chinese coal-mine rules.

Every regulation value below was read in ``shared/data/text/cn_coal_safety_regulations/``; its
``source`` names the file, the article or clause, the Chinese phrase and an English gloss. Values
are in the canonical units of :mod:`mineguard.mine.units` (gases in ``%`` vol are
converted to ``ppm`` where the canonical unit is ppm: 0.0024 % vol = 24 ppm).

How a clause becomes a severity (our mapping, not the regulation's words):

- ``warning``: an audible/visual alarm (声光报警), a maximum allowable value (最高允许浓度, 不得超过),
  or "find the cause at once" (立即查明原因);
- ``critical``: stop work, cut power, withdraw people (停止工作, 切断电源, 撤出人员, 停止作业);
- ``emergency``: evacuate the surroundings of an accumulation (附近20m内 ... 撤出人员).

Boundaries: the texts say both "reaches or exceeds" (达到或超过, ``>=``) and "exceeds" (超过, ``>``),
"not below" (不低于, breach is ``<``). A :class:`Threshold` only has ``>=``/``<=``, so for the strict
phrases the boundary value itself counts as a breach; that errs on the safe side by one reading.

Not in these files, hence *engineering defaults* (``source`` starts with ``ENGINEERING DEFAULT``):
dust (规程 第六百四十条 points to 表25, which the corpus text does not contain), roof_pressure and
vibration (no limit in the corpus), the low-oxygen emergency level, and wind-speed limits per
roadway type (规程 第一百三十六条 refers to 表5, also missing; only the explicit m/s values of that
article and of 第一百五十二条 are used).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

Op = Literal[">=", "<="]
ENGINEERING = "ENGINEERING DEFAULT (not a regulation value)"

_RULES = "1-煤矿建设安全规程.txt"
_VENT = "8-煤矿的井工开采通风技术条件.txt"
_MONITOR = "64-煤矿安全监控系统通用技术要求.txt"


class Severity(StrEnum):
    """Alert severity, ordered ``info < warning < critical < emergency``."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"
    EMERGENCY = "emergency"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def __lt__(self, other: object) -> bool:
        return self.rank < Severity(other).rank  # type: ignore[arg-type]

    def __le__(self, other: object) -> bool:
        return self.rank <= Severity(other).rank  # type: ignore[arg-type]

    def __gt__(self, other: object) -> bool:
        return self.rank > Severity(other).rank  # type: ignore[arg-type]

    def __ge__(self, other: object) -> bool:
        return self.rank >= Severity(other).rank  # type: ignore[arg-type]


_RANK = {s: i for i, s in enumerate(Severity)}


@dataclass(frozen=True)
class Threshold:
    """One level: the condition ``value <op> threshold`` in ``unit`` holds at ``level``.

    ``zone_kind`` None means any zone kind without a more specific entry for the sensor kind.
    """

    kind: str
    zone_kind: str | None
    level: Severity
    op: Op
    value: float
    unit: str
    source: str

    @property
    def is_regulation(self) -> bool:
        return not self.source.startswith(ENGINEERING)

    def breached(self, value: float) -> bool:
        return value >= self.value if self.op == ">=" else value <= self.value


W, C, E = Severity.WARNING, Severity.CRITICAL, Severity.EMERGENCY

DEFAULT_THRESHOLDS: tuple[Threshold, ...] = (
    # --- methane (% vol) -----------------------------------------------------------------------
    Threshold(
        "methane",
        None,
        W,
        ">=",
        1.0,
        "%",
        f"{_RULES} 第一百七十三条: '采掘工作面及其他作业地点风流中甲烷浓度达到1.0％时，必须停止用电钻打眼' "
        "(methane in the air of a working face or other work place reaching 1.0 %: stop electric drilling); "
        f"alarm level also {_MONITOR} 4.5.2.2 a) '甲烷浓度达到或超过1.0%时，声光报警' "
        "(>= 1.0 %: audible/visual alarm)",
    ),
    Threshold(
        "methane",
        None,
        C,
        ">=",
        1.5,
        "%",
        f"{_RULES} 第一百七十三条: '甲烷浓度达到1.5％时，必须停止工作，切断电源，撤出人员' "
        "(methane reaching 1.5 %: stop work, cut power, withdraw people); "
        f"{_MONITOR} 4.5.2.2 a) '达到或超过1.5%时，切断…电源并闭锁' (>= 1.5 %: power off and lock out)",
    ),
    Threshold(
        "methane",
        "working_face",
        W,
        ">=",
        1.0,
        "%",
        f"{_RULES} 第四百九十八条 表18: '采煤工作面 报警浓度≥1.0' (longwall face: alarm at >= 1.0 %)",
    ),
    Threshold(
        "methane",
        "working_face",
        C,
        ">=",
        1.5,
        "%",
        f"{_RULES} 第四百九十八条 表18: '采煤工作面 断电浓度≥1.5 复电浓度＜1.0' "
        "(longwall face: power off at >= 1.5 %, power back below 1.0 %)",
    ),
    Threshold(
        "methane",
        "working_face",
        E,
        ">=",
        2.0,
        "%",
        f"{_RULES} 第一百七十三条: '体积大于0.5m3的空间内积聚的甲烷浓度达到2.0％时，"
        "附近20m内必须停止工作，撤出人员，切断电源' "
        "(methane accumulated to 2.0 % in a space over 0.5 m3: stop work, evacuate and cut power within 20 m)",
    ),
    Threshold(
        "methane",
        "airway",
        W,
        ">=",
        0.75,
        "%",
        f"{_RULES} 第一百七十一条: '矿井总回风巷或者一翼回风巷中甲烷…浓度超过0.75％时，必须立即查明原因' "
        f"(main or wing return airway above 0.75 %: find the cause at once); same in {_VENT} 4.1.2",
    ),
    Threshold(
        "methane",
        "airway",
        C,
        ">=",
        1.0,
        "%",
        f"{_RULES} 第一百七十二条: '采区回风巷、采掘工作面回风巷风流中甲烷浓度超过1.0％…必须停止工作，撤出人员' "
        "(district or face return airway above 1.0 %: stop work, withdraw people); "
        f"{_MONITOR} 4.5.2.2 b) '回风流中的甲烷浓度达到或超过1.0%时，声光报警、切断…电源并闭锁'",
    ),
    # --- oxygen (% vol) ------------------------------------------------------------------------
    Threshold(
        "o2",
        None,
        W,
        "<=",
        20.0,
        "%",
        f"{_RULES} 第一百三十五条 and {_VENT} 4.1.1: '采掘工作面的进风流中，氧气浓度不低于20％' "
        "(oxygen in the intake air of working faces not below 20 %)",
    ),
    Threshold(
        "o2",
        None,
        E,
        "<=",
        18.0,
        "%",
        f"{ENGINEERING}: 18 % vol is a common oxygen-deficiency limit; the corpus gives only the 20 % floor",
    ),
    # --- toxic gases (ppm; the table gives % vol) ----------------------------------------------
    Threshold(
        "co",
        None,
        W,
        ">=",
        24.0,
        "ppm",
        f"{_VENT} 4.1.3 表1: '一氧化碳(CO)最高允许浓度0.0024%' (CO maximum allowable 0.0024 % vol = 24 ppm)",
    ),
    Threshold(
        "no2",
        None,
        W,
        ">=",
        2.5,
        "ppm",
        f"{_VENT} 4.1.3 表1: '氧化氮(换算成为二氧化氮NO2)最高允许浓度0.00025%' "
        "(nitrogen oxides as NO2 maximum allowable 0.00025 % vol = 2.5 ppm)",
    ),
    Threshold(
        "h2s",
        None,
        W,
        ">=",
        6.6,
        "ppm",
        f"{_VENT} 4.1.3 表1: '硫化氢(H2S)最高允许浓度0.00066%' (H2S maximum allowable 0.00066 % vol = 6.6 ppm)",
    ),
    # --- temperature (degC) --------------------------------------------------------------------
    Threshold(
        "temperature",
        "working_face",
        W,
        ">=",
        26.0,
        "degC",
        f"{_RULES} 第六百五十五条 and {_VENT} 4.2.2: '采掘工作面空气温度超过26℃…"
        "必须缩短超温地点工作人员的工作时间' "
        "(working-face air above 26 degC: shorten working hours)",
    ),
    Threshold(
        "temperature",
        "working_face",
        C,
        ">=",
        30.0,
        "degC",
        f"{_RULES} 第六百五十五条 and {_VENT} 4.2.3: '采掘工作面的空气温度超过30℃…必须停止作业' "
        "(working-face air above 30 degC: stop work)",
    ),
    Threshold(
        "temperature",
        "station",
        W,
        ">=",
        30.0,
        "degC",
        f"{_RULES} 第六百五十五条: '机电设备硐室超过30℃时，必须缩短…工作时间' "
        "(electromechanical chamber above 30 degC: shorten working hours; 'station' is our closest zone kind)",
    ),
    Threshold(
        "temperature",
        "station",
        C,
        ">=",
        34.0,
        "degC",
        f"{_RULES} 第六百五十五条: '机电设备硐室超过34℃时，必须停止作业' "
        "(electromechanical chamber above 34 degC: stop work)",
    ),
    Threshold(
        "temperature",
        "shaft",
        W,
        "<=",
        2.0,
        "degC",
        f"{_RULES} 第一百三十七条 and {_VENT} 4.2.1: '进风井口以下的空气温度(干球温度)必须在2℃以上' "
        "(air below the intake shaft collar must be above 2 degC, dry bulb)",
    ),
    # --- wind speed (m/s) ----------------------------------------------------------------------
    Threshold(
        "wind_speed",
        "shaft",
        W,
        ">=",
        8.0,
        "m/s",
        f"{_RULES} 第一百三十六条: '设有梯子间的井筒或者修理中的井筒，风速不得超过8m/s' "
        "(shaft with a ladderway or under repair: wind speed not above 8 m/s)",
    ),
    Threshold(
        "wind_speed",
        "working_face",
        W,
        ">=",
        5.0,
        "m/s",
        f"{_RULES} 第一百三十六条: '综合机械化采煤工作面…其最大风速可高于表5的规定值，但不得超过5m/s' "
        "(fully mechanised face with dust suppression: maximum wind speed 5 m/s)",
    ),
    Threshold(
        "wind_speed",
        "roadway",
        W,
        "<=",
        0.5,
        "m/s",
        f"{_RULES} 第一百三十六条: '无瓦斯涌出的架线电机车巷道中的最低风速…不得低于0.5m/s' "
        "(trolley-locomotive roadway without gas emission: wind speed not below 0.5 m/s; the general 表5 "
        "minimum is not in the corpus)",
    ),
    # --- dust, roof pressure, vibration: no value in the corpus --------------------------------
    Threshold(
        "dust",
        None,
        W,
        ">=",
        4.0,
        "mg/m3",
        f"{ENGINEERING}: {_RULES} 第六百四十条 requires dust to meet 表25, which is not in the corpus text; "
        "replace with the site's occupational-health limit",
    ),
    Threshold("dust", None, C, ">=", 10.0, "mg/m3", f"{ENGINEERING}: escalation level for dust, site-tunable"),
    Threshold(
        "roof_pressure",
        None,
        W,
        ">=",
        30.0,
        "MPa",
        f"{ENGINEERING}: support leg pressure near a typical 35-40 MPa rated working resistance; "
        "no limit in the corpus, set from the support's rating",
    ),
    Threshold(
        "roof_pressure", None, C, ">=", 38.0, "MPa", f"{ENGINEERING}: leg pressure close to the rated resistance"
    ),
    Threshold(
        "vibration",
        None,
        W,
        ">=",
        4.5,
        "mm/s",
        f"{ENGINEERING}: ISO 10816-3 style zone boundary for machine velocity; no limit in the corpus",
    ),
    Threshold("vibration", None, C, ">=", 7.1, "mm/s", f"{ENGINEERING}: ISO 10816-3 style zone boundary"),
)


def defaults_for(kind: str, zone_kind: str | None = None, *, op: Op | None = None) -> list[Threshold]:
    """The default levels for ``kind`` in a zone of ``zone_kind``, lowest severity first.

    Entries for the exact zone kind win over the generic (``zone_kind=None``) ones; ``op`` keeps
    only one direction (a kind may have both a maximum and a minimum). Empty when none is known.
    """
    rows = [t for t in DEFAULT_THRESHOLDS if t.kind == kind and t.zone_kind == zone_kind and zone_kind is not None]
    if not rows:
        rows = [t for t in DEFAULT_THRESHOLDS if t.kind == kind and t.zone_kind is None]
    if op is not None:
        rows = [t for t in rows if t.op == op]
    return sorted(rows, key=lambda t: t.level.rank)
