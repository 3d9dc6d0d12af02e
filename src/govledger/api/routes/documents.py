"""`POST /v1/documents/verify`: check a certificate against this node's committed state.

Body: a wrapped OpenAttestation document (JSON, at most 4 MiB) or an SD-JWT VC (compact text,
`application/dc+sd-jwt` or `text/plain`). Answer (200, valid or not): `valid`, one row per check
(`integrity`, `issuance`, `revocation`, `identity`; an SD-JWT VC has no issuance row) and, for a
document, every OpenAttestation fragment (name, type, status, code, message). Input that is not a
document or credential at all is `400` with its code (`document.malformed_json`,
`document.not_wrapped`, `sdjwt.malformed`, ...). The checks read committed state directly; a client
that does not trust this node runs the same checks with proofs (`govledger verify FILE`).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from govledger.api.context import ctx_of
from govledger.api.errors import ApiError
from govledger.api.http import body_doc, json_response, read_body
from govledger.certificates.verifying import OA, SD_JWT, Verdict, detect, verify_oa, verify_sd_jwt
from govledger.documents.js import MAX_JSON_BYTES_DEFAULT
from govledger.node.node import Node

router = APIRouter(prefix="/v1/documents", tags=["certificates"])


def verify_text(node: Node, text: str) -> Verdict:
    fmt = detect(text)
    with node.storage.snapshot() as snap:
        if fmt == OA:
            return verify_oa(text, snap, node.chain.chain_id)
        if fmt == SD_JWT:
            return verify_sd_jwt(text.strip(), snap, node.chain.chain_id)
    raise ApiError(
        "document.malformed_json", "the body is neither a wrapped OpenAttestation document nor an SD-JWT VC"
    )


@router.post(
    "/verify",
    summary="Verify a certificate (OpenAttestation document or SD-JWT VC) against the ledger",
    openapi_extra=body_doc(
        "",
        {"type": "object", "description": "A wrapped OpenAttestation v2 document (or an SD-JWT VC as text)."},
    ),
)
async def verify_document(request: Request) -> Response:
    ctx = ctx_of(request)
    raw = await read_body(request, MAX_JSON_BYTES_DEFAULT)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError("document.malformed_json", "the body is not UTF-8 text") from None
    verdict = await run_in_threadpool(verify_text, ctx.node, text)
    if verdict.malformed:
        first = next((c for c in verdict.checks if c.code), None)
        code = first.code if first is not None else "document.malformed_json"
        raise ApiError(code, first.message if first is not None else "malformed input", 400)
    return json_response(verdict.json())
