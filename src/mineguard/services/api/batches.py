"""What the raw-read routes share: the body as bytes, the refusal of a body that is not a batch at
all, and the default time window of a history query.

A batch route (readings, events) reads its body raw so that each item is judged on its own; only a
body that cannot be read as a batch (not JSON, wrong shape, too many items) answers 422, and that
body is kept as a reject too (the reject row commits with the request).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import Request
from fastapi.responses import JSONResponse

from mineguard.services.api.deps import Sender, Unit
from mineguard.services.api.errors import ApiError, error_body
from mineguard.services.ingest.store import record_rejections
from mineguard.services.ingest.validate import Rejection
from mineguard.services.storage.types import utc_now

DEFAULT_WINDOW = timedelta(hours=12)


async def raw_body(request: Request) -> bytes:
    return await request.body()


def refuse_batch(unit: Unit, sender: Sender, rejection: Rejection, *, now: datetime) -> JSONResponse:
    """Keep ``rejection`` in the rejects and answer 422 with its detail."""
    record_rejections(unit.session, [rejection], source=sender.source, now=now)
    return JSONResponse(error_body(422, rejection.detail), status_code=422)  # the reject row still commits


def time_window(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    """``start``/``end`` of a history query, ``end`` now and ``start`` 12 h before it when not given;
    an end before the start is 422."""
    end = end or utc_now()
    start = start or end - DEFAULT_WINDOW
    if end < start:
        raise ApiError(422, "end is before start — swap them")
    return start, end
