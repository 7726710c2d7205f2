"""Live stream of twin state changes over a WebSocket, filtered by the caller's role.

Connect to ``/api/v1/stream?token=<token>`` (browsers cannot set headers on WebSockets). Each
message is one JSON event ``{"type", "t", "data", "asset_id", "crew"}``; a ``stream.lagged``
event says how many events a slow client missed.

The socket lives only as long as its token: it is closed with code ``4401`` when the token is
revoked (logout), expires or its account is disabled — log in again — and with ``4409`` when the
user's role or crew changes — reconnect for the new scope (see ``open_streams``).
"""

from __future__ import annotations

import asyncio
import contextlib

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from mineguard.services.api.deps import viewer_of
from mineguard.services.api.open_streams import TOKEN_UNUSABLE, StreamGrant, close_reason
from mineguard.services.auth.users import AuthError, token_holder
from mineguard.services.events import EventHub, Viewer

router = APIRouter(tags=["stream"])


@router.websocket("/api/v1/stream")
async def stream(websocket: WebSocket, token: str | None = None) -> None:
    ctx = websocket.app.state.ctx
    try:
        with ctx.sessions() as session:
            row, user = token_holder(session, token or "")
            grant, viewer = StreamGrant.of(row, user), viewer_of(user)
    except AuthError as exc:
        await websocket.close(code=TOKEN_UNUSABLE, reason=close_reason(str(exc)))
        return
    await websocket.accept()
    watch = ctx.streams.open(grant)
    tasks = [asyncio.create_task(_pump(websocket, ctx.hub, viewer)), asyncio.create_task(_until_gone(websocket))]
    try:
        await asyncio.wait([*tasks, watch.closed], return_when=asyncio.FIRST_COMPLETED)
    finally:  # no awaiting here: the server may be cancelling this handler
        for task in tasks:
            task.cancel()
            task.add_done_callback(_retrieve)
        ctx.streams.discard(watch)
    if watch.closed.done():
        code, reason = watch.closed.result()
        with contextlib.suppress(RuntimeError, OSError, WebSocketDisconnect):  # the client may be gone already
            await websocket.close(code=code, reason=reason)


async def _pump(websocket: WebSocket, hub: EventHub, viewer: Viewer) -> None:
    subscriber = hub.subscribe(viewer)
    try:
        await websocket.send_json({"type": "stream.hello", "data": {"role": str(viewer.role)}})
        while True:
            event = await subscriber.queue.get()
            if subscriber.dropped:
                await websocket.send_json({"type": "stream.lagged", "data": {"missed": subscriber.dropped}})
                subscriber.dropped = 0
            await websocket.send_json(event.to_json())
    finally:
        hub.unsubscribe(subscriber)


async def _until_gone(websocket: WebSocket) -> None:
    with contextlib.suppress(WebSocketDisconnect):
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass


def _retrieve(task: asyncio.Task) -> None:
    """Take a finished task's exception (a send to a client that has gone), so asyncio does not log it."""
    if not task.cancelled():
        task.exception()
