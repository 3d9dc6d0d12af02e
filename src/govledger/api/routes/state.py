"""Proof-carrying reads: one state key, app queries, and the committed history of a subject."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import Response

from govledger.api.context import ApiContext, ctx_of
from govledger.api.errors import ApiError
from govledger.api.http import SINGLE_BODY_LIMIT, body_doc, json_response, parse_hex, read_body
from govledger.api.models import History, HistoryEntry
from govledger.ledger.app import App
from govledger.ledger.block import BLOCK_EVENTS_INDEX, Receipt
from govledger.ledger.state import MAX_KEY_BYTES
from govledger.node.queries import read_key, run_query

router = APIRouter(prefix="/v1", tags=["state"])

MAX_HISTORY = 1000


def _app(ctx: ApiContext, name: str) -> App:
    app = ctx.node.chain.apps.get(name)
    if app is None:
        raise ApiError("app.unknown", f"no app named {name!r}")
    return app


@router.get(
    "/state/{app}/{key_hex}",
    summary="One state key with its proof",
    description=(
        "A `StateProof` for the app-relative key (hex) at `height` (default latest): the value or its proved "
        "absence, a sparse Merkle proof against the header's state root, the header and its commit."
    ),
)
def get_state(
    request: Request, app: str, key_hex: str, height: Annotated[int | None, Query(ge=0)] = None
) -> Response:
    ctx = ctx_of(request)
    _app(ctx, app)
    key = parse_hex(key_hex, "key", MAX_KEY_BYTES)
    return json_response(read_key(ctx.node.chain, app, key, height))


_params_decoder = msgspec.json.Decoder(dict[str, Any])


@router.post(
    "/query/{app}/{name}",
    summary="Run an app query; every key it read comes with a proof",
    description=(
        "Body: the query's parameters as a JSON object (bytes as base64); an empty body means none. "
        "`height` runs it on the state at the end of that block (an auditor's 'as of'), proved there."
    ),
    openapi_extra=body_doc("", {"type": "object", "description": "The query's parameters (see /v1/apps)."}),
)
async def query(
    request: Request, app: str, name: str, height: Annotated[int | None, Query(ge=0)] = None
) -> Response:
    ctx = ctx_of(request)
    target = _app(ctx, app)
    body = await read_body(request, SINGLE_BODY_LIMIT)
    params: dict[str, Any] = {}
    if body.strip():
        try:
            params = _params_decoder.decode(body)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise ApiError("request.invalid", f"query parameters must be a JSON object: {exc}") from None
    answer = await run_in_threadpool(run_query, ctx.node.chain, target, name, params, height)
    return json_response(answer)


@router.get(
    "/history/{app}/{subject}",
    summary="Committed transactions that emitted events about a subject, oldest first",
)
def history(
    request: Request, app: str, subject: str, limit: Annotated[int, Query(ge=1, le=MAX_HISTORY)] = 100
) -> Response:
    ctx = ctx_of(request)
    _app(ctx, app)
    storage = ctx.node.storage
    cache: dict[int, list[Receipt]] = {}
    entries = []
    for height, index in storage.subject_history(app, subject, limit):
        if index == BLOCK_EVENTS_INDEX:
            events = [e for e in storage.block_events(height) if e.app == app and e.subject == subject]
            entries.append(HistoryEntry(height=height, index=-1, tx_id=None, code="ok", events=events))
            continue
        receipts = cache.get(height)
        if receipts is None:
            receipts = cache[height] = storage.receipts(height) or []
        if index >= len(receipts):
            continue
        r = receipts[index]
        events = [e for e in r.events if e.app == app and e.subject == subject]
        entries.append(
            HistoryEntry(height=height, index=index, tx_id=r.tx_id.hex(), code=r.code, events=events)
        )
    return json_response(History(app=app, subject=subject, entries=entries))
