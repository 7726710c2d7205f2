"""Live stream of twin state changes over a WebSocket, filtered by the caller's role.

Connect to ``/api/v1/stream?token=<token>`` (browsers cannot set headers on WebSockets). Each
message is one JSON event ``{"type", "t", "data", "asset_id", "crew"}``; a ``stream.lagged``
event says how many events a slow client missed.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from mineguard.services.api.deps import viewer_of
from mineguard.services.auth.users import AuthError, user_for_token

router = APIRouter(tags=["stream"])


@router.websocket("/api/v1/stream")
async def stream(websocket: WebSocket, token: str | None = None) -> None:
    ctx = websocket.app.state.ctx
    try:
        with ctx.sessions() as session:
            user = user_for_token(session, token or "")
            viewer = viewer_of(user)
    except AuthError as exc:
        await websocket.close(code=4401, reason=str(exc)[:120])
        return
    await websocket.accept()
    subscriber = ctx.hub.subscribe(viewer)

    async def pump() -> None:
        await websocket.send_json({"type": "stream.hello", "data": {"role": str(viewer.role)}})
        while True:
            event = await subscriber.queue.get()
            if subscriber.dropped:
                await websocket.send_json({"type": "stream.lagged", "data": {"missed": subscriber.dropped}})
                subscriber.dropped = 0
            await websocket.send_json(event.to_json())

    sender = asyncio.create_task(pump())
    try:
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass
    except WebSocketDisconnect:
        pass
    finally:
        sender.cancel()
        ctx.hub.unsubscribe(subscriber)
