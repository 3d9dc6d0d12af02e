"""Node-level routes: installed apps, the genesis trust anchor, health and Prometheus metrics."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from starlette.responses import Response

from govledger.api.context import ctx_of
from govledger.api.http import JSON_TYPE, json_response
from govledger.api.metrics import CONTENT_TYPE
from govledger.api.models import Health

router = APIRouter(tags=["node"])


@router.get(
    "/v1/apps",
    summary="Installed apps, their operations (body fields and JSON schema) and queries",
)
def list_apps(request: Request) -> Response:
    return Response(ctx_of(request).catalog_json, media_type=JSON_TYPE)


@router.get(
    "/v1/genesis",
    summary="Chain id, genesis block hash, genesis validator set and the genesis document",
    description="What a client trusts on first use unless it pins these values itself.",
)
def genesis(request: Request) -> Response:
    return Response(ctx_of(request).genesis_json, media_type=JSON_TYPE)


@router.get("/health", summary="Liveness: height, mempool size, last block age")
def health(request: Request) -> Response:
    node = ctx_of(request).node
    tip = node.chain.tip
    now_ms = int(time.time() * 1000)
    # a BFT node whose consensus loop stopped still serves reads: say so, so a supervisor restarts it
    failed: str | None = getattr(node, "failed", None)
    return json_response(
        Health(
            status="ok" if failed is None else "failed",
            chain_id=node.chain.chain_id,
            height=tip.height,
            mempool_txs=len(node.mempool),
            mempool_bytes=node.mempool.pending_bytes,
            last_block_time_ms=tip.time_ms,
            last_block_age_ms=max(0, now_ms - tip.time_ms),
            reason=failed or "",
        ),
        status=200 if failed is None else 503,
    )


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics(request: Request) -> Response:
    return Response(ctx_of(request).metrics.render(), media_type=CONTENT_TYPE)
