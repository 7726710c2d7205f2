"""Similar past incidents as evidence on a new alert (seed 003 §4.1, issue #6).

Seed 003 §4.1 has the early-warning system "extract analogous cases from historical accident
records": a person reading "Methane heading for its limit in Longwall face 1101 ... fan stopped"
should also see the past MSHA accidents that began that way, how they ended and where. When an
alert is *raised*, :meth:`IncidentEvidence.attach` searches an :class:`IncidentIndex` once with the
alert's title and message and writes the best matches (``SimilarIncident.as_evidence()`` dicts,
best first) under ``evidence["similar_incidents"]`` — in the alert's row, and on the change that
goes to the live stream and the notifiers.

Cost: one search per NEW alert, never per reading and never on updates, escalations or
resolutions; with the ``tfidf`` embedder that is one product with the index's dense rows
(2,309 x 10,000 for the MSHA set: milliseconds, ~92 MB held in memory), with ``minilm`` one
sentence embedding.

The index is built from the real MSHA narratives (fatality reports and the accidents sample) with
``mineguard warn index`` and switched on with the ``incident_index`` setting
(``MINEGUARD_INCIDENT_INDEX=<folder>``). Evidence is a help, never a gate: a failing search or
write is logged and the alert goes out without it.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session, sessionmaker

from mineguard.services.alerts.book import AlertChange
from mineguard.services.storage.models import Alert

if TYPE_CHECKING:  # the index (numpy, scikit-learn) is imported only when one is configured
    from mineguard.warning.text_index import IncidentIndex

log = logging.getLogger(__name__)

EVIDENCE_KEY = "similar_incidents"


class IncidentEvidence:
    """The ``k`` past incidents most similar to an alert's text, with cosine similarity > ``min_score``."""

    def __init__(self, index: IncidentIndex, *, k: int = 3, min_score: float = 0.05) -> None:
        if k < 1:
            raise ValueError(f"k must be >= 1 similar incidents, got {k}")
        if not 0.0 <= min_score < 1.0:
            raise ValueError(f"min_score is a cosine similarity in [0, 1), got {min_score}")
        self.index, self.k, self.min_score = index, k, min_score

    @classmethod
    def load(cls, path: str | Path, *, k: int = 3, min_score: float = 0.05) -> IncidentEvidence:
        """Read a folder written by ``mineguard warn index``; a bad folder raises the index's ValueError.

        One query is embedded here, so an embedder that cannot run (``minilm`` without its wheel) fails
        at startup and the first alert does not wait for the model to load.
        """
        from mineguard.warning.text_index import IncidentIndex

        evidence = cls(IncidentIndex.load(path), k=k, min_score=min_score)
        evidence.index.embedder.transform(["methane ignition"])
        return evidence

    def similar(self, title: str, message: str) -> list[dict[str, Any]]:
        """Evidence dicts of the past incidents most like ``title + ". " + message``, best first; [] if none."""
        query = f"{title}. {message}"
        return [x.as_evidence() for x in self.index.search(query, self.k, min_score=self.min_score)]

    def attach(self, sessions: sessionmaker[Session], change: AlertChange) -> None:
        """Store similar incidents on a newly raised alert (its row and ``change.alert``); other kinds: nothing.

        Runs in its own short transaction, after the one that raised the alert has committed. Never raises.
        """
        if change.kind != "raised":
            return
        alert = change.alert
        try:
            found = self.similar(alert.title or "", alert.message or "")
            if not found:
                return
            with sessions() as session, session.begin():
                row = session.get(Alert, alert.id)
                if row is None:
                    log.warning("alert %s is gone; no similar incidents stored", alert.id)
                    return
                row.evidence = {**(row.evidence or {}), EVIDENCE_KEY: found}  # a new dict: SQLAlchemy sees it
            alert.evidence = {**(alert.evidence or {}), EVIDENCE_KEY: found}
            log.info(
                "alert %s: %d similar past incidents (best %.2f, %s)",
                alert.id,
                len(found),
                found[0]["score"],
                found[0]["accident_class"],
            )
        except Exception:  # evidence is a help: the alert goes out without it
            log.exception("similar incidents for alert %s failed; the alert goes out without them", alert.id)
