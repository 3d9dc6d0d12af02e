"""The personal-data vault over HTTP: store (registry offices) and read (the privacy flow).

    GET  /v1/vault            this vault's id (signed into every request)
    POST /v1/vault/records    a signed `WriteRequest` (api/vault_requests.py): seal version 1 of each
                              record, answer pseudonyms and commitments (to register on the ledger)
    POST /v1/vault/read       a signed `ReadRequest` (govledger.vault.sign_read) for a committed
                              `privacy.log_access` entry: the fields and the salt, once per entry

Reads follow docs/privacy.md exactly: the requester commits the access-log entry first, then asks;
the vault checks the entry against committed state itself (`vault.not_logged`, `vault.grant_used`,
...). Writes need a request signed by an active member key of a member holding a controller role,
checked against committed governance state (`vault.not_authorised`). Bodies are JSON (bytes as
base64) or canonical msgpack. Status codes: 403 (signature, authorisation, no log entry), 404
(unknown subject or record), 409 (entry already used), 410 (erased), 503 (vault unavailable).
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from govledger.api.errors import ApiError
from govledger.api.http import (
    MSGPACK_TYPES,
    SINGLE_BODY_LIMIT,
    body_doc,
    json_response,
    media_type,
    read_body,
)
from govledger.api.services import raise_mapped, services_of
from govledger.api.vault_requests import MAX_RECORDS, StoredRecord, VaultInfo, WriteAnswer, WriteRequest
from govledger.apps.governance.app import get_member, member_of_key
from govledger.apps.privacy.app import CONTROLLER_ROLES
from govledger.codec import decode, from_jsonable
from govledger.crypto.signatures import verify
from govledger.errors import GovledgerError
from govledger.ledger.app import AppView
from govledger.node.services import NodeServices
from govledger.vault import ReadRequest, Vault

router = APIRouter(prefix="/v1/vault", tags=["vault"])

T = TypeVar("T")


async def _body_as(request: Request, type_: type[T]) -> T:
    raw = await read_body(request, SINGLE_BODY_LIMIT)
    try:
        if media_type(request) in MSGPACK_TYPES:
            return decode(raw, type_)
        return from_jsonable(msgspec.json.decode(raw), type_)
    except msgspec.DecodeError as exc:
        raise ApiError("request.invalid", f"the body is not JSON: {exc}") from None
    except GovledgerError as exc:
        raise ApiError("request.invalid", exc.message) from None


def _vault(services: NodeServices) -> Vault:
    try:
        return services.vault()
    except GovledgerError as exc:
        raise_mapped(exc)


@router.get("", summary="This vault's id")
def vault_info(request: Request) -> Response:
    return json_response(VaultInfo(_vault(services_of(request)).vault_id))


def authorise_write(services: NodeServices, vault: Vault, req: WriteRequest) -> None:
    if req.vault_id != vault.vault_id or not verify(req.requester, req.message(), req.signature):
        raise ApiError(
            "vault.bad_signature", "the request is not signed for this vault by the requester", 403
        )
    with services.node.storage.snapshot() as snap:
        view = AppView(snap, "governance")
        key_id = req.requester.key_id()
        member_id = member_of_key(view, key_id)
        member = get_member(view, member_id) if member_id is not None else None
    if member is None or key_id not in member.active_key_ids():
        raise ApiError("vault.not_authorised", "the requester's key is not an active member key", 403)
    if not set(member.roles) & set(CONTROLLER_ROLES):
        raise ApiError("vault.not_authorised", f"member {member.member_id} holds no controller role", 403)


def store_records(services: NodeServices, req: WriteRequest) -> WriteAnswer:
    vault = _vault(services)
    if not 1 <= len(req.records) <= MAX_RECORDS:
        raise ApiError("request.invalid", f"a request stores 1..{MAX_RECORDS} records")
    authorise_write(services, vault, req)
    out = []
    try:
        for r in req.records:
            p = vault.pseudonym(req.registry, r.subject_id)
            try:
                sealed = vault.put(req.registry, p, r.record_id, r.fields)
                out.append(
                    StoredRecord(r.subject_id, r.record_id, p, sealed.version, sealed.commitment, True)
                )
            except GovledgerError as exc:
                if exc.code != "vault.record_exists":
                    raise
                st = next(x for x in vault.status(p).records if x.record_id == r.record_id)
                out.append(StoredRecord(r.subject_id, r.record_id, p, st.current, st.commitments[-1], False))
    except GovledgerError as exc:
        raise_mapped(exc)
    return WriteAnswer(vault.vault_id, out)


@router.post(
    "/records",
    summary="Store personal data (a registry office's signed request); answers pseudonyms and commitments",
    openapi_extra=body_doc("A canonical WriteRequest", {"type": "object"}),
)
async def write(request: Request) -> Response:
    req = await _body_as(request, WriteRequest)
    answer = await run_in_threadpool(store_records, services_of(request), req)
    return json_response(answer)


def read_record(services: NodeServices, req: ReadRequest) -> Any:
    vault = _vault(services)
    try:
        with services.node.storage.snapshot() as snap:
            return vault.read(req, snap)
    except GovledgerError as exc:
        raise_mapped(exc)


@router.post(
    "/read",
    summary="Read personal data covered by a committed access-log entry (once per entry)",
    openapi_extra=body_doc("A canonical ReadRequest", {"type": "object"}),
)
async def read(request: Request) -> Response:
    req = await _body_as(request, ReadRequest)
    record = await run_in_threadpool(read_record, services_of(request), req)
    return json_response(record)
