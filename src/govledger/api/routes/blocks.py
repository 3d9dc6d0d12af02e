"""Blocks: header, transaction ids and commit of a height (or the latest), its receipts, validator sets."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from govledger.api.context import ApiContext, ctx_of
from govledger.api.errors import ApiError
from govledger.api.http import json_response
from govledger.api.models import BlockInfo, BlockReceipts
from govledger.errors import GovledgerError

router = APIRouter(prefix="/v1", tags=["blocks"])

Height = Annotated[int, Path(ge=0, description="Block height (0 is genesis).")]


def _block_info(ctx: ApiContext, height: int, include_txs: bool) -> BlockInfo:
    storage = ctx.node.storage
    block = storage.block(height)
    if block is None:
        raise ApiError("block.not_found", f"no block at height {height} (tip {storage.height()})")
    receipts = storage.receipts(height) or []
    return BlockInfo(
        height=height,
        hash=block.header.hash().hex(),
        header=block.header,
        tx_ids=[r.tx_id.hex() for r in receipts],
        commit=storage.commit(height),
        txs=list(block.txs) if include_txs else None,
    )


@router.get("/blocks/latest", summary="The latest committed block")
def latest_block(request: Request, include_txs: bool = False) -> Response:
    ctx = ctx_of(request)
    return json_response(_block_info(ctx, ctx.node.storage.height(), include_txs))


@router.get(
    "/blocks/{height}",
    summary="A block: header, hash, transaction ids and commit",
    description="`include_txs=true` adds the raw transactions (base64).",
)
def get_block(request: Request, height: Height, include_txs: bool = False) -> Response:
    return json_response(_block_info(ctx_of(request), height, include_txs))


@router.get("/blocks/{height}/receipts", summary="The receipts of a block's transactions, in order")
def get_receipts(request: Request, height: Height) -> Response:
    receipts = ctx_of(request).node.storage.receipts(height)
    if receipts is None:
        raise ApiError("block.not_found", f"no block at height {height}")
    block_events = ctx_of(request).node.storage.block_events(height)
    return json_response(BlockReceipts(height=height, receipts=receipts, block_events=block_events))


@router.get(
    "/validators",
    summary="The validator set that signs a height",
    description="Defaults to the next height to be committed.",
)
def get_validators(request: Request, height: Annotated[int | None, Query(ge=0)] = None) -> Response:
    chain = ctx_of(request).node.chain
    h = chain.height + 1 if height is None else height
    try:
        return json_response(chain.validator_set(h))
    except GovledgerError as exc:
        raise ApiError("block.not_found", exc.message) from None
