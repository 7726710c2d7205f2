"""``POST /api/v1/evidence`` answer."""

from __future__ import annotations

from pydantic import BaseModel


class EvidenceOut(BaseModel):
    sha256: str
    media_type: str
    size: int
    url: str
    created: bool  # False: these bytes were already stored
