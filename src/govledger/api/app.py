"""The application factory: `create_app(node)` wires routes, error handlers, the commit hub and metrics,
and the node's services (api/services.py: installed apps' routers, the identity service, document
verification, certificates, the vault).

The node's commit listeners (hub + metrics, certificate revocation) are registered here and removed at
application shutdown, when the services (vault, certificate index) are closed too. Everything the core
routes need lives in one `ApiContext` on `app.state.ctx`; the services live on `app.state.services`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import msgspec
from fastapi import FastAPI

from govledger import __version__
from govledger.api.catalog import describe_apps
from govledger.api.context import ApiContext
from govledger.api.errors import install_error_handlers
from govledger.api.hub import CommitHub
from govledger.api.metrics import Metrics
from govledger.api.models import GenesisInfo
from govledger.api.routes import blocks, events, registries, state, system, txs
from govledger.api.services import install
from govledger.codec import to_json
from govledger.errors import GovledgerError
from govledger.node.node import Node
from govledger.node.services import NodeServices

DESCRIPTION = """\
A permissioned ledger for public registries where every read carries a proof.

* **Transactions** are canonical MessagePack, signed by every required party; submit one
  (`POST /v1/txs`) or many (`POST /v1/txs/batch`), then long-poll `GET /v1/txs/{id}/wait`.
* **Reads** (`/v1/state`, `/v1/query`, `/v1/txs/{id}/proof`) return Merkle proofs against a header
  certified by more than 2/3 of the validators; the Python SDK (`govledger.sdk.Client`) checks them.
* **Errors** are always `{"error": {"code": "<stable code>", "message": "..."}}` with a 4xx status;
  429 (mempool full) carries `Retry-After`.

JSON renders byte strings as base64; ids and hashes in URLs are hex.
"""


def _genesis_json(node: Node) -> bytes:
    raw = node.storage.genesis_bytes()
    block0 = node.storage.block(0)
    if raw is None or block0 is None:
        raise GovledgerError("chain.not_initialised", "the node's data directory has no genesis")
    info = GenesisInfo(
        chain_id=node.chain.chain_id,
        genesis_hash=block0.header.hash().hex(),
        validators=node.chain.genesis.validator_set(),
        document=msgspec.Raw(raw),
    )
    return to_json(info)


def create_app(
    node: Node,
    *,
    max_waiters: int = 10_000,
    max_subscribers: int = 256,
    max_pending_events: int = 10_000,
    sse_keepalive_s: float = 15.0,
) -> FastAPI:
    hub = CommitHub(max_waiters, max_subscribers, max_pending_events)
    metrics = Metrics(node)
    hub.extra_listeners.append(metrics.on_commit)
    ctx = ApiContext(
        node=node,
        hub=hub,
        metrics=metrics,
        catalog_json=to_json(describe_apps(node.chain.apps)),
        genesis_json=_genesis_json(node),
        sse_keepalive_s=sse_keepalive_s,
    )
    node.add_listener(hub.on_commit)
    services: list[NodeServices] = []

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            node.remove_listener(hub.on_commit)
            for svc in services:
                svc.close()

    app = FastAPI(
        title="govledger",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_tags=[
            {"name": "transactions", "description": "Submit, track and prove transactions."},
            {"name": "blocks", "description": "Headers, commits, receipts and validator sets."},
            {"name": "state", "description": "Proof-carrying reads of app state."},
            {"name": "events", "description": "Committed events, live."},
            {"name": "node", "description": "Apps, genesis, health and metrics."},
            {
                "name": "certificates",
                "description": "Certificates from the registers: issue, verify, status.",
            },
            {"name": "vault", "description": "Personal data: store (registry offices), read (logged first)."},
            {"name": "identity", "description": "DIDs, trusted issuers, status lists, OpenID4VCI/VP."},
        ],
    )
    app.state.ctx = ctx
    install_error_handlers(app)
    for module in (txs, blocks, state, events, system, registries):
        app.include_router(module.router)
    services.append(install(app, node))
    return app
