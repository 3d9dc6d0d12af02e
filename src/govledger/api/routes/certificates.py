"""Certificates from the registers: issue or fetch, verify by id (what a QR code opens), status lists.

    GET /v1/certificates/{kind}/{id}?format=json|oa|sd-jwt|qr.png|qr.svg
        The live certificate of a land title (`land`), a company (`company`, good standing) or a
        civil-register record (`birth`, `death`, `marriage`, `divorce`), issued now if the record
        changed since the last one (or there is none). `json` (default): both forms, the status-list
        entry, the verification URL and its QR code (SVG); `oa`: the OpenAttestation document;
        `sd-jwt`: the SD-JWT VC (`application/dc+sd-jwt`); `qr.png` / `qr.svg`: the QR code alone.
    GET /v1/certificates/verify/{certificate_id}
        Verify an issued certificate (both forms) against committed state: what a phone opens from
        the QR code printed on a copy. `certificate_id` is the document's targetHash.
    GET /v1/certificates/status/{list_id}
        The registry's Token Status List (`application/statuslist+jwt`), signed by the registry.

Errors: `404 certificates.unknown_kind | not_found | unknown_certificate | unknown_list`,
`409 certificates.not_set_up` (the registry's issuer is not on the ledger yet), ledger refusals with
their own codes.
"""

from __future__ import annotations

import json
import time
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from govledger.api.errors import ApiError
from govledger.api.http import json_response
from govledger.api.services import raise_mapped, services_of
from govledger.apps.identity import queries as idq
from govledger.apps.identity.model import ByListId
from govledger.certificates.index import IssuedCertificate
from govledger.certificates.issuers import REGISTRIES
from govledger.certificates.kinds import KINDS, kind_of
from govledger.certificates.verifying import verify_oa, verify_sd_jwt
from govledger.documents import qr
from govledger.errors import GovledgerError
from govledger.identity.status_list import StatusBits, status_list_token
from govledger.ledger.app import AppView
from govledger.node.services import NodeServices

router = APIRouter(prefix="/v1/certificates", tags=["certificates"])

FORMATS = ("json", "oa", "sd-jwt", "qr.png", "qr.svg")


def verify_url(request: Request, cert_id: str) -> str:
    return f"{str(request.base_url).rstrip('/')}/v1/certificates/verify/{cert_id}"


def describe(services: NodeServices, cert: IssuedCertificate, url: str) -> dict[str, Any]:
    issuer = services.issuer(cert.registry)
    return {
        "certificate_id": cert.cert_id,
        "kind": cert.kind,
        "record_id": cert.record_id,
        "record_type": KINDS[cert.kind].record_type,
        "issuer": {
            "name": issuer.registry.display,
            "did": issuer.did,
            "oa_signer": issuer.eth_signer.did,
            "document_store": issuer.store_hex,
        },
        "height": cert.height,
        "issued_height": cert.issued_height,
        "revoked": not cert.live,
        "status_list": {"list_id": cert.list_id, "index": cert.status_index},
        "verify_url": url,
        "qr_svg": qr.qr_svg(url).decode(),
        "document": cert.document,
        "sd_jwt": cert.sd_jwt,
    }


def _issue(services: NodeServices, kind_name: str, record_id: str) -> IssuedCertificate:
    try:
        return services.certificates().certificate(kind_of(kind_name), record_id)
    except GovledgerError as exc:
        raise_mapped(exc)


@router.get("/verify/{certificate_id}", summary="Verify an issued certificate (what its QR code opens)")
def verify_certificate(request: Request, certificate_id: str) -> Response:
    services = services_of(request)
    cert = services.index().get(certificate_id.lower())
    if cert is None:
        raise ApiError("certificates.unknown_certificate", "no certificate with that id was issued here", 404)
    chain_id = services.chain_id
    with services.node.storage.snapshot() as snap:
        oa = verify_oa(cert.document, snap, chain_id)
        sd = verify_sd_jwt(cert.sd_jwt, snap, chain_id)
    return json_response(
        {
            "certificate_id": cert.cert_id,
            "kind": cert.kind,
            "record_id": cert.record_id,
            "valid": oa.valid and sd.valid,
            "document": oa.json(),
            "sd_jwt": {k: v for k, v in sd.json().items() if k != "claims"},
        }
    )


@router.get("/status/{list_id}", summary="A registry's Token Status List (statuslist+jwt)")
def status_list(request: Request, list_id: str) -> Response:
    services = services_of(request)
    registry = next((r for r in REGISTRIES.values() if r.list_id == list_id), None)
    if registry is None:
        raise ApiError("certificates.unknown_list", f"no certificate status list {list_id[:64]!r}", 404)
    with services.node.storage.snapshot() as snap:
        values = idq.status_values(AppView(snap, "identity"), ByListId(list_id))
    if values is None:
        raise ApiError("certificates.unknown_list", f"status list {list_id!r} is not on the ledger yet", 404)
    try:
        issuer = services.issuer(registry.name)
    except GovledgerError as exc:
        raise_mapped(exc)
    token = status_list_token(
        StatusBits(values.list.bits, values.data),
        uri=values.list.uri,
        signer=issuer.jws_signer,
        iat=int(time.time()),
        iss=issuer.did,
    )
    return Response(token, media_type="application/statuslist+jwt")


@router.get("/{kind}/{record_id}", summary="The live certificate of a registry record (issued if needed)")
async def certificate(
    request: Request,
    kind: str,
    record_id: str,
    format: Annotated[str, Query(description=f"One of {', '.join(FORMATS)}.")] = "json",
) -> Response:
    if format not in FORMATS:
        raise ApiError("request.invalid", f"format must be one of {', '.join(FORMATS)}")
    services = services_of(request)
    cert = await run_in_threadpool(_issue, services, kind, record_id)
    url = verify_url(request, cert.cert_id)
    filename = f"{cert.kind}-{record_id}"
    if format == "oa":
        body = json.dumps(cert.document, ensure_ascii=False).encode()
        headers = {"Content-Disposition": f'attachment; filename="{filename}.oa.json"'}
        return Response(body, media_type="application/json", headers=headers)
    if format == "sd-jwt":
        return Response(cert.sd_jwt, media_type="application/dc+sd-jwt")
    if format == "qr.png":
        return Response(qr.qr_png(url, scale=6), media_type="image/png")
    if format == "qr.svg":
        return Response(qr.qr_svg(url, scale=6), media_type="image/svg+xml")
    return json_response(await run_in_threadpool(describe, services, cert, url))
