"""Wiring the node's services into the API: app routers, the identity service, certificates, vault.

`install(app, node)` (called by `create_app`):
- builds the node's `NodeServices` (node/services.py), follows commits with it (automatic
  certificate revocation) and keeps it on `app.state.services`;
- mounts every installed app's own router (`apps.registry.INSTALLED[*].router`, imported lazily);
- puts `IdentityGate` in front of the identity routes: the identity service (its issuer key is
  decrypted on first use, a few hundred milliseconds of scrypt) is built on the first request that
  needs it and stored on `app.state.identity`, where the identity router looks for it; if it cannot
  be built the request gets `503 identity.unavailable`;
- mounts the document-verification, certificate and vault routes.

`raise_mapped` turns the services' `GovledgerError`s into `ApiError`s with the status their code
deserves (the API's own table, `api/errors.py`, answers 400 for codes it does not know).
"""

from __future__ import annotations

import importlib
from typing import Any, NoReturn

from fastapi import APIRouter, FastAPI, Request
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from govledger.api.errors import ApiError, error_response
from govledger.apps import registry
from govledger.errors import GovledgerError
from govledger.node.node import Node
from govledger.node.services import NodeServices

IDENTITY_PREFIXES = (
    "/identity/",
    "/.well-known/openid-credential-issuer/",
    "/.well-known/oauth-authorization-server/",
)

STATUS_BY_CODE: dict[str, int] = {
    "certificates.not_found": 404,
    "certificates.unknown_kind": 404,
    "certificates.unknown_certificate": 404,
    "certificates.unknown_list": 404,
    "certificates.not_set_up": 409,
    "certificates.key_unreadable": 503,
    "keyfile.wrong_passphrase": 503,
    "vault.bad_signature": 403,
    "vault.not_logged": 403,
    "vault.grant_mismatch": 403,
    "vault.grant_expired": 403,
    "vault.not_authorised": 403,
    "vault.grant_used": 409,
    "vault.erased": 410,
    "vault.unknown_subject": 404,
    "vault.unknown_record": 404,
    "vault.version_purged": 410,
    "vault.locked": 503,
    "vault.key_file": 503,
    "vault.wrong_master_key": 503,
    "tx.wait_timeout": 504,
}


def raise_mapped(exc: GovledgerError) -> NoReturn:
    raise ApiError(exc.code, exc.message, STATUS_BY_CODE.get(exc.code)) from None


def services_of(request: Request) -> NodeServices:
    svc: NodeServices = request.app.state.services
    return svc


class IdentityGate:
    """Builds the identity service before the first identity request reaches its router."""

    def __init__(self, app: ASGIApp, services: NodeServices, target: FastAPI) -> None:
        self.app = app
        self.services = services
        self.target = target

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        wanted = scope["type"] == "http" and str(scope.get("path", "")).startswith(IDENTITY_PREFIXES)
        if wanted and getattr(self.target.state, "identity", None) is None:
            try:
                self.target.state.identity = await run_in_threadpool(self.services.identity)
            except GovledgerError as exc:
                message = f"the identity service is not available: {exc.code}: {exc.message}"
                await error_response("identity.unavailable", message, 503)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def app_routers() -> list[APIRouter]:
    out = []
    for inst in registry.INSTALLED:
        if inst.router:
            module, _, attr = inst.router.partition(":")
            router: Any = getattr(importlib.import_module(module), attr)
            out.append(router)
    return out


def install(app: FastAPI, node: Node) -> NodeServices:
    from govledger.api.routes import certificates, documents, vault

    services = NodeServices(node)
    services.attach()
    app.state.services = services
    app.state.identity = None
    for router in app_routers():
        app.include_router(router)
    for module in (documents, certificates, vault):
        app.include_router(module.router)
    app.add_middleware(IdentityGate, services=services, target=app)
    return services
