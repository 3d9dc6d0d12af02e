"""What every route needs: the node, the commit hub, metrics and limits, stored on `app.state`."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from govledger.api.hub import CommitHub, Committed
from govledger.api.metrics import Metrics
from govledger.node.node import Node

DEFAULT_WAIT_MS = 10_000
MAX_WAIT_MS = 60_000


@dataclass
class ApiContext:
    node: Node
    hub: CommitHub
    metrics: Metrics
    catalog_json: bytes
    genesis_json: bytes
    sse_keepalive_s: float = 15.0

    def committed(self, tx_id: bytes) -> Committed | None:
        """Where `tx_id` was committed, from storage."""
        storage = self.node.storage
        loc = storage.tx_location(tx_id)
        if loc is None:
            return None
        height, index = loc
        receipts = storage.receipts(height)
        if receipts is None or index >= len(receipts):
            return None
        return Committed(height, index, receipts[index])

    def is_pending(self, tx_id: bytes) -> bool:
        return tx_id in self.node.mempool


def ctx_of(request: Request) -> ApiContext:
    ctx: ApiContext = request.app.state.ctx
    return ctx


def wait_seconds(timeout_ms: int | None) -> float:
    ms = DEFAULT_WAIT_MS if timeout_ms is None else timeout_ms
    return max(0, min(ms, MAX_WAIT_MS)) / 1000
