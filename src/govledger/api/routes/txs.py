"""Transactions: submit one or a batch, read status and receipt, long-poll for commit, inclusion proof."""

from __future__ import annotations

from typing import Annotated

import msgspec
from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import Response

from govledger.api.context import ApiContext, ctx_of, wait_seconds
from govledger.api.errors import ApiError, retry_headers, status_for
from govledger.api.http import (
    BATCH_BODY_LIMIT,
    JSON_TYPE,
    MSGPACK_TYPES,
    SINGLE_BODY_LIMIT,
    body_doc,
    json_response,
    media_type,
    parse_hash,
    read_body,
    wants_msgpack,
)
from govledger.api.hub import Committed
from govledger.api.models import COMMITTED, PENDING, SubmitResult, TxStatus
from govledger.codec import encode
from govledger.ledger.mempool import FULL_CODES, MAX_BATCH
from govledger.node.queries import tx_proof as tx_proof_of

router = APIRouter(prefix="/v1/txs", tags=["transactions"])

TimeoutMs = Annotated[int | None, Query(ge=0, description="How long to wait for commit (ms, at most 60000).")]


class _JsonSubmit(msgspec.Struct, forbid_unknown_fields=True):
    tx: bytes


_json_submit = msgspec.json.Decoder(_JsonSubmit)
_batch_decoder = msgspec.msgpack.Decoder(list[bytes])


def _committed_status(tx_id: bytes, c: Committed) -> TxStatus:
    return TxStatus(tx_id=tx_id.hex(), status=COMMITTED, height=c.height, index=c.index, receipt=c.receipt)


async def _single_tx_bytes(request: Request) -> bytes:
    body = await read_body(request, SINGLE_BODY_LIMIT)
    kind = media_type(request)
    if kind in MSGPACK_TYPES:
        return body
    if kind == JSON_TYPE:
        try:
            return _json_submit.decode(body).tx
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise ApiError("request.invalid", f'expected {{"tx": "<base64 transaction>"}}: {exc}') from None
    raise ApiError(
        "request.unsupported_media_type", "send application/msgpack (raw transaction) or application/json"
    )


async def _wait_response(ctx: ApiContext, tx_id: bytes, timeout_ms: int | None) -> Response:
    done = await ctx.hub.wait(tx_id, wait_seconds(timeout_ms), ctx.committed)
    if done is not None:
        return json_response(_committed_status(tx_id, done))
    if ctx.is_pending(tx_id):
        return json_response(TxStatus(tx_id=tx_id.hex(), status=PENDING), 202)
    raise ApiError("tx.not_found", f"transaction {tx_id.hex()} is neither pending nor committed")


@router.post(
    "",
    summary="Submit one transaction",
    description=(
        'Body: the canonical transaction bytes as `application/msgpack`, or JSON `{"tx": base64}`. '
        "Answers 202 `pending` once admitted; with `wait=true`, waits for the commit and returns the receipt "
        "(202 `pending` if `timeout_ms` passes first). "
        "Rejections are 4xx with the admission code (`tx.bad_signature`, `tx.replay`, `mempool.full`, ...)."
    ),
    status_code=202,
    openapi_extra=body_doc(
        "Canonical MessagePack bytes of one Transaction.",
        {
            "type": "object",
            "properties": {"tx": {"type": "string", "contentEncoding": "base64"}},
            "required": ["tx"],
        },
    ),
)
async def submit_tx(request: Request, wait: bool = False, timeout_ms: TimeoutMs = None) -> Response:
    ctx = ctx_of(request)
    raw = await _single_tx_bytes(request)
    result = (await run_in_threadpool(ctx.node.submit, [raw]))[0]
    if not result.ok:
        ctx.metrics.rejected([result.code])
        raise ApiError(result.code, result.message or result.code, status_for(result.code))
    if wait:
        return await _wait_response(ctx, result.tx_id, timeout_ms)
    return json_response(TxStatus(tx_id=result.tx_id.hex(), status=PENDING), 202)


@router.post(
    "/batch",
    summary="Submit a batch of transactions",
    description=(
        f"Body (`application/msgpack`): an array of at most {MAX_BATCH} raw transactions "
        "(each a byte string). Answers 200 with one `{tx_id, code, message}` per transaction, in order "
        "(`code` is `ok` when admitted). "
        "JSON by default, MessagePack when `Accept: application/msgpack`."
    ),
    openapi_extra=body_doc("A MessagePack array of byte strings, each a canonical Transaction."),
)
async def submit_batch(request: Request) -> Response:
    ctx = ctx_of(request)
    body = await read_body(request, BATCH_BODY_LIMIT)
    if media_type(request) not in MSGPACK_TYPES:
        raise ApiError(
            "request.unsupported_media_type", "a batch is an application/msgpack array of byte strings"
        )
    try:
        raws = _batch_decoder.decode(body)
    except msgspec.ValidationError as exc:
        raise ApiError("codec.invalid", f"a batch is an array of byte strings: {exc}") from None
    except msgspec.DecodeError as exc:
        raise ApiError("codec.malformed", f"malformed MessagePack: {exc}") from None
    if len(raws) > MAX_BATCH:
        raise ApiError("mempool.batch_too_large", f"a batch holds at most {MAX_BATCH} transactions")
    results = await run_in_threadpool(ctx.node.submit, raws)
    ctx.metrics.rejected(r.code for r in results)
    out = [SubmitResult(r.tx_id.hex(), r.code, r.message) for r in results]
    headers = retry_headers("mempool.full") if any(r.code in FULL_CODES for r in results) else None
    if wants_msgpack(request):
        return Response(encode(out), media_type="application/msgpack", headers=headers)
    return json_response(out, headers=headers)


@router.get("/{tx_id}", summary="Transaction status, receipt and height")
def get_tx(request: Request, tx_id: str) -> Response:
    ctx = ctx_of(request)
    tid = parse_hash(tx_id, "tx id")
    done = ctx.committed(tid)
    if done is not None:
        return json_response(_committed_status(tid, done))
    if ctx.is_pending(tid):
        return json_response(TxStatus(tx_id=tx_id.lower(), status=PENDING))
    raise ApiError("tx.not_found", f"transaction {tx_id} is neither pending nor committed")


@router.get(
    "/{tx_id}/wait",
    summary="Long-poll until a transaction is committed",
    description="200 with the receipt once committed; 202 `pending` if the timeout passes first.",
)
async def wait_tx(request: Request, tx_id: str, timeout_ms: TimeoutMs = None) -> Response:
    return await _wait_response(ctx_of(request), parse_hash(tx_id, "tx id"), timeout_ms)


@router.get(
    "/{tx_id}/proof",
    summary="Inclusion proof of a committed transaction and its receipt",
    description="A `TxProof`: RFC 9162 paths to the header's tx and result roots, the header and its commit.",
)
def tx_proof(request: Request, tx_id: str) -> Response:
    ctx = ctx_of(request)
    tid = parse_hash(tx_id, "tx id")
    proof = tx_proof_of(ctx.node.storage, tid)
    if proof is None:
        raise ApiError("tx.not_found", f"transaction {tx_id} is not committed")
    return json_response(proof)
