"""Server-Sent Events: a live stream of committed events, filtered by app and subject.

Each event is one `data:` line holding an `EventMessage` (height, tx id, app, kind, subject,
attributes). Comments (`: keep-alive`) are sent when idle. A client that falls more than the hub's
buffer behind gets a final `event: dropped` message and the stream ends.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import StreamingResponse

from govledger.api.context import ctx_of
from govledger.api.errors import ApiError
from govledger.api.hub import CommitHub, Subscription
from govledger.api.models import ErrorBody, ErrorEnvelope
from govledger.codec import to_json

router = APIRouter(prefix="/v1", tags=["events"])

_DROPPED = (
    b"event: dropped\ndata: "
    + to_json(ErrorEnvelope(ErrorBody("events.too_slow", "the client fell too far behind and was dropped")))
    + b"\n\n"
)


async def _stream(hub: CommitHub, sub: Subscription, limit: int, keepalive_s: float) -> AsyncIterator[bytes]:
    try:
        yield b": connected\n\n"
        sent = 0
        while True:
            try:
                await asyncio.wait_for(sub.ready.wait(), keepalive_s)
            except TimeoutError:
                yield b": keep-alive\n\n"
                continue
            sub.ready.clear()
            if sub.dropped:
                yield _DROPPED
                return
            while sub.queue:
                yield sub.queue.popleft()
                sent += 1
                if limit and sent >= limit:
                    return
    finally:
        hub.unsubscribe(sub)


@router.get(
    "/events",
    summary="Live stream of committed events (Server-Sent Events)",
    description=(
        "Filter by `app` and/or `subject` (exact match). `limit` closes the stream after that many events "
        "(0: unlimited). Events committed before the connection are not replayed: use /v1/history."
    ),
    response_class=StreamingResponse,
)
async def events(
    request: Request,
    app: str = "",
    subject: str = "",
    limit: Annotated[int, Query(ge=0)] = 0,
) -> StreamingResponse:
    ctx = ctx_of(request)
    if app and app not in ctx.node.chain.apps:
        raise ApiError("app.unknown", f"no app named {app!r}")
    sub = ctx.hub.subscribe(app, subject)
    return StreamingResponse(
        _stream(ctx.hub, sub, limit, ctx.sse_keepalive_s),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
