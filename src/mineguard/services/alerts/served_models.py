"""The models the running service judges with: the registry's active versions, with fall-back.

:class:`ServedModels` is the one place the background jobs get a model of a kind from. Each call of
:meth:`ServedModels.get` (``risk()`` for the risk job) reads which version is active at the site
(``services/model_store``), so a promotion or a rollback is served from the next round on, without a
restart; a loaded version is kept by its id, so a round costs one small query. What serves:

- no active version: the kind's default from the settings (``MINEGUARD_RISK_MODEL``, ``trend`` by
  default, for ``risk``);
- an active version that loads: that model, guarded — a call that raises or answers NaN or infinite
  numbers is answered by the kind's fall-back (``trend``) instead;
- an active version that fails to load: the kind's fall-back.

:meth:`ServedModels.check_health` (after each round, with the ``Served`` it used) counts the failures
in the Prometheus metrics (``mineguard_model_failures_total{model=<kind>}``) and raises one
``model-health:<kind>`` alert while the kind's model is failing, resolved once a round passes without
failure.

:meth:`ServedModels.risk_models` is what the risk round judges with: the ``risk`` model for every sensor
kind, except the kind the active ``forecast`` version serves (a LightGBM forecaster,
``warning/risk/forecaster.py``), guarded by the served risk model: a forecast that raises or answers
NaN, or a version that does not load, falls back to the risk model, and its model-health alert
names that model. The ``multimodal`` kind (``alerts/fusion_job.py``) likewise serves nothing without an active
version (``warning.window_served.NoFusionModel``), nor while its version fails. The rule path never depends on
any of this: the threshold rules keep running whatever a model
does.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from mineguard.mine.rules.regulation import Severity
from mineguard.services.alerts import book
from mineguard.services.alerts.policy import EscalationPolicy
from mineguard.services.model_store import store
from mineguard.services.model_store.kinds import get_model_kind
from mineguard.services.observability.metrics import ServiceMetrics
from mineguard.warning.risk import RiskModel
from mineguard.warning.risk.fallback import FallbackRiskModel

log = logging.getLogger(__name__)

# The model-health alert's texts (site-independent wording, not ids): {label} "risk model", {version}
# "v3", {fallback} "trend", {problem} what failed, {n} how many calls failed in the round.
TEXTS = {
    "load": (
        "{Label} {version} does not load: warnings use the {fallback} model",
        "{problem} — roll back (`mineguard models rollback {kind}`) or promote a version that loads; until then "
        "early warnings come from the {fallback} model and the threshold rules",
    ),
    "output": (
        "{Label} {version} failing: warnings use the {fallback} model",
        "{n} assessment(s) failed in the last round ({problem}) — those sensors were judged by the {fallback} "
        "model; roll back (`mineguard models rollback {kind}`) or promote a version that works",
    ),
}


@dataclass(frozen=True)
class Served:
    """A kind's model as served now: ``model`` (guarded: its failing calls fall back), a ``label`` for
    logs and evidence (``risk v3`` or ``risk default (trend)``), the active ``version`` (None: the
    settings' default) and ``load_problem`` when the active version failed to load."""

    kind: str
    model: Any
    label: str
    version: int | None
    load_problem: str | None = None


@dataclass(frozen=True)
class RiskModels:
    """What one risk round judges with: ``risk`` for every sensor kind but those of ``forecast`` (version
    None: no forecast version active; its ``model`` then serves nothing)."""

    risk: Served
    forecast: Served
    serves: tuple[str, ...] = ()  # the sensor kinds the forecast judges (none when it failed to load)

    def by_kind(self) -> dict[str, tuple[RiskModel, str]]:
        """sensor kind -> (model, label) for the kinds the forecast serves (``check_risk(by_kind=...)``)."""
        return {kind: (self.forecast.model, self.forecast.label) for kind in self.serves}

    def all(self) -> tuple[Served, Served]:
        return self.risk, self.forecast


class ServedModels:
    """The served model of each kind at one site (see the module docs). Thread-safe."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        site_id: str,
        *,
        defaults: Mapping[str, Any],
        metrics: ServiceMetrics | None = None,
        retry_load_s: float = 60.0,
    ) -> None:
        """``retry_load_s``: how long a version that failed to load is left as it is before it is tried again
        (a full disk or a database hiccup passes; a file this code cannot read fails again, counted again)."""
        self.sessions, self.site_id, self.retry_load_s = sessions, site_id, retry_load_s
        self.defaults = dict(defaults)  # kind -> the model served with no active version
        self.metrics = metrics
        # kind -> (active version id, what it serves, when (monotonic s) a failed load is tried again)
        self._cache: dict[str, tuple[int | None, Served, float]] = {}
        self._lock = threading.Lock()

    def risk(self) -> Served:
        """The risk model to judge with now: ``served.model`` is a :class:`RiskModel`."""
        return self.get("risk")

    def risk_model(self) -> tuple[RiskModel, str]:
        """``(model, label)`` of :meth:`risk`, for a job that only needs those."""
        served = self.risk()
        return served.model, served.label

    def risk_models(self) -> RiskModels:
        """The risk model, and the active forecast version guarded by it (see the module docs)."""
        risk, forecast = self.risk(), self.get("forecast")
        if forecast.version is None:
            return RiskModels(risk, forecast)
        if forecast.load_problem is not None:
            fallback = FallbackRiskModel(risk.model, risk.model)
            label = f"forecast v{forecast.version} (fall-back: {risk.label})"
            return RiskModels(risk, replace(forecast, model=fallback, label=label))
        primary = getattr(forecast.model, "primary", forecast.model)
        guarded = FallbackRiskModel(primary.with_short_history(risk.model), risk.model)
        return RiskModels(risk, replace(forecast, model=guarded), (primary.serves.sensor_kind,))

    def get(self, kind: str) -> Served:
        with self.sessions() as session:
            row = store.active(session, self.site_id, kind)
            version_id = None if row is None else row.id
            with self._lock:
                cached = self._cache.get(kind)
                fresh = cached is not None and (cached[1].load_problem is None or time.monotonic() < cached[2])
                if fresh and cached[0] == version_id:
                    return cached[1]
            served = self._load(session, kind, row)
        with self._lock:
            self._cache[kind] = (version_id, served, time.monotonic() + self.retry_load_s)
        log.info(
            "serving %s", served.label if served.load_problem is None else f"{served.label}: {served.load_problem}"
        )
        return served

    def _load(self, session: Session, kind_name: str, row: Any) -> Served:
        kind = get_model_kind(kind_name)
        fallback = kind.fallback()
        if row is None and not kind.serves_without_version:  # forecast: the risk model judges every kind
            return Served(kind_name, kind.guard(fallback, fallback), f"{kind_name}: no active version", None)
        if row is None:
            default = self.defaults.get(kind_name, fallback)
            return Served(kind_name, kind.guard(default, fallback), f"{kind_name} default ({default.name})", None)
        label = f"{kind_name} v{row.version}"
        try:
            model = store.load_version(session, row)
        except Exception as exc:  # a broken version never stops the job: the fall-back serves
            problem = str(exc)[:300]
            if self.metrics is not None:
                self.metrics.model_failures_total.labels(kind_name).inc()
            return Served(
                kind_name, kind.guard(fallback, fallback), f"{label} (fall-back: {fallback.name})", row.version, problem
            )
        return Served(kind_name, kind.guard(model, fallback), label, row.version)

    def check_health(
        self, served: Served, now: datetime, *, policy: EscalationPolicy | None = None
    ) -> list[book.AlertChange]:
        """After a round judged with ``served``: count its failures and raise, update or clear its
        kind's model-health alert."""
        kind = served.kind
        failures = served.model.take_failures() if hasattr(served.model, "take_failures") else []
        if failures and self.metrics is not None:
            self.metrics.model_failures_total.labels(kind).inc(len(failures))
        key = f"model-health:{kind}"
        with self.sessions() as session, session.begin():
            if served.load_problem is None and not failures:
                change = book.condition_cleared(session, key, now, f"{served.label} works again")
            else:
                spec = get_model_kind(kind)
                which = "load" if served.load_problem is not None else "output"
                problem = served.load_problem or "; ".join(sorted(set(failures))[:3])
                words = {
                    "label": spec.label,
                    "Label": spec.label[:1].upper() + spec.label[1:],
                    "version": f"v{served.version}" if served.version is not None else "(default)",
                    "fallback": getattr(getattr(served.model, "fallback", None), "name", spec.fallback().name),
                    "problem": problem,
                    "n": len(failures),
                    "kind": kind,
                }
                title, message = (text.format(**words) for text in TEXTS[which])
                change = book.raise_or_update(
                    session,
                    key=key,
                    rule_id="model-health",
                    severity=Severity.WARNING,
                    t=now,
                    subject_id=f"{kind}:{self.site_id}",
                    title=title,
                    message=message,
                    policy=policy or EscalationPolicy(),
                    evidence={
                        "kind": kind,
                        "version": served.version,
                        "status": "load_failed" if which == "load" else "bad_output",
                        "problem": problem,
                        "failed_calls": len(failures),
                    },
                )
        return [] if change is None else [change]
